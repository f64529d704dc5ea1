"""Filters are data, not SQL: one validator on every path, every kind of metric.

Figures are the hand-computed ones of tests/compiler/fixture.py (MRR 2026-09: enterprise
10000.00, smb 2000.01; cash collected 2026-10 by segment smb = P3 2000.01 + P7 1500.00).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from canon.compiler.filters import MAX_DEPTH, structured_filter, validate_filter
from canon.errors import QueryError
from canon.project import Project
from tests.support.cli import run_cli

HOSTILE = [
    "segment = (SELECT max(name) FROM raw_accounts)",
    "segment IN (SELECT segment FROM read_csv('/etc/passwd'))",
    "read_text('/etc/passwd') IS NOT NULL",
    "length(segment) > 0 OR getenv('HOME') IS NOT NULL",
    "segment = 'x'; DROP TABLE raw_invoices",
    "EXISTS (SELECT 1)",
    "segment = $1",
    "main.raw_accounts.segment = 'smb'",
    "raw_payments.amount > 0",  # a table mrr does not read
]


@pytest.mark.parametrize("where", HOSTILE)
@pytest.mark.parametrize("metric", ["mrr", "collected_by_sql", "arr"])
def test_hostile_filters_never_reach_the_engine(tiny: Project, metric: str, where: str) -> None:
    """Declarative, SQL and derived metrics alike: refused while compiling, naming `where`."""
    with pytest.raises(QueryError) as info:
        tiny.sql(tiny.question([metric], where=where))
    assert info.value.location.parameter == "where"


def test_sql_metric_filter_was_passed_through(tiny: Project) -> None:
    """A SQL composition's filter used to be pasted into its query unchecked."""
    with pytest.raises(QueryError, match="subquery"):
        tiny.query(tiny.question(["collected_by_sql"], where="segment = (SELECT 'smb')"))


def test_allowed_functions_and_operators_still_answer(tiny: Project) -> None:
    q = tiny.question(
        ["mrr"],
        where="lower(segment) IN ('smb') AND segment IS NOT NULL AND raw_invoices.amount BETWEEN 0 AND 1e9",
        period_from="2026-09",
        period_to="2026-09",
    )
    assert tiny.query(q).column("mrr_cents").to_pylist() == [200_001]


def test_sql_metric_filter_on_a_dimension(tiny: Project) -> None:
    q = tiny.question(["collected_by_sql"], where="segment LIKE 'sm%'", period_from="2026-10", period_to="2026-10")
    assert tiny.query(q).column("collected_by_sql_cents").to_pylist() == [200_001 + 150_000]


def test_derived_metric_filter(tiny: Project) -> None:
    q = tiny.question(["arr"], where="segment = 'smb'", period_from="2026-09", period_to="2026-09")
    assert tiny.query(q).column("arr_cents").to_pylist() == [200_001 * 12]


def test_deep_nesting_is_one_error(capsys: pytest.CaptureFixture[str], tiny_root: Path) -> None:
    where = "(" * 3000 + "segment = 'smb'" + ")" * 3000
    res = run_cli(capsys, "query", "mrr", "--where", where, "-p", str(tiny_root))
    assert res.code == 2, res.err
    assert "Traceback" not in res.err and f"at most {MAX_DEPTH}" in res.err and "--where" in res.err


def test_validator_resolves_dimensions() -> None:
    from sqlglot import exp

    tree = validate_filter("segment = 'smb'", {"segment": exp.column("segment", table="raw_accounts")})
    assert tree.sql() == "raw_accounts.segment = 'smb'"


@pytest.mark.parametrize(
    ("items", "sql"),
    [
        (["segment:eq:enterprise"], "segment = 'enterprise'"),
        (["segment:in:smb,enterprise", "industry:ne:x"], "segment IN ('smb', 'enterprise') AND industry <> 'x'"),
        (["segment:null"], "segment IS NULL"),
        (["segment:eq:x' OR 1=1 --"], "segment = 'x'' OR 1=1 --'"),
    ],
)
def test_structured_filters_are_literals(items: list[str], sql: str) -> None:
    assert structured_filter(items) == sql


@pytest.mark.parametrize("item", ["segment", "segment:drop:x", ":eq:x", "a b:eq:x"])
def test_structured_filter_mistakes(item: str) -> None:
    with pytest.raises(QueryError) as info:
        structured_filter([item])
    assert info.value.location.parameter == "filter"
