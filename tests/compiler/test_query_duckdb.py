"""Every figure here is computed by hand in tests/compiler/fixture.py's docstring."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from canon.project import Project


def values(project: Project, metric: str, **kw: Any) -> dict[Any, Any]:
    q = project.question([metric], **kw)
    table = project.query(q)
    col = next(c for c in table.column_names if c.startswith(metric))
    keys = [c for c in table.column_names if c not in (col, "period_start")]
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r[col] for r in table.to_pylist()}


def test_canonical_mrr_by_month(tiny: Project) -> None:
    got = values(tiny, "mrr", period_from="2026-09", period_to="2026-10")
    assert got == {"2026-09": 1_200_001, "2026-10": 1_000_000}


def test_breakdown_by_segment(tiny: Project) -> None:
    got = values(tiny, "mrr", by=["segment"], period_from="2026-09", period_to="2026-10")
    assert got == {
        ("2026-09", "enterprise"): 1_000_000,
        ("2026-09", "smb"): 200_001,
        ("2026-10", "enterprise"): 1_000_000,
    }


def test_where_on_dimension(tiny: Project) -> None:
    got = values(tiny, "mrr", where="segment = 'smb'", period_from="2026-09", period_to="2026-10")
    assert got == {"2026-09": 200_001}


def test_validity_range_basis_with_scale(tiny: Project) -> None:
    got = values(tiny, "contract_mrr", period_from="2026-09", period_to="2026-10")
    assert got == {"2026-09": 1_200_001, "2026-10": 1_212_501}


def test_cash_basis_with_boolean_filter(tiny: Project) -> None:
    got = values(tiny, "cash", period_from="2026-09", period_to="2026-11")
    assert got == {"2026-09": 1_000_000, "2026-10": 1_650_001, "2026-11": 50_000}


def test_filter_on_one_to_many_table_is_a_semi_join(tiny: Project) -> None:
    got = values(tiny, "collected_subscriptions", period_from="2026-09", period_to="2026-10")
    assert got == {"2026-09": 1_200_001, "2026-10": 1_350_000}


def test_count_distinct_metric(tiny: Project) -> None:
    got = values(tiny, "paying_accounts", period_from="2026-09", period_to="2026-10")
    assert got == {"2026-09": 3, "2026-10": 2}


def test_derived_metric(tiny: Project) -> None:
    got = values(tiny, "arr", period_from="2026-09", period_to="2026-10")
    assert got == {"2026-09": 14_400_012, "2026-10": 12_000_000}


def test_several_metrics_side_by_side(tiny: Project) -> None:
    table = tiny.query(tiny.question(["mrr", "cash"], period_from="2026-09", period_to="2026-11"))
    rows = {r["period"]: (r["mrr_cents"], r["cash_cents"]) for r in table.to_pylist()}
    assert rows == {
        "2026-09": (1_200_001, 1_000_000),
        "2026-10": (1_000_000, 1_650_001),
        "2026-11": (None, 50_000),
    }


def test_quarter_grain(tiny: Project) -> None:
    got = values(tiny, "mrr", grain="quarter", period_from="2026-Q3", period_to="2026-Q4")
    assert got == {"2026-Q3": 1_200_001, "2026-Q4": 1_000_000}


def test_sql_composition_answers_like_a_declarative_metric(tiny: Project) -> None:
    got = values(tiny, "collected_by_sql", period_from="2026-09", period_to="2026-11")
    assert got == values(tiny, "cash", period_from="2026-09", period_to="2026-11")
    assert got == {"2026-09": 1_000_000, "2026-10": 1_650_001, "2026-11": 50_000}


def test_catalog_is_read_once_per_connection(tiny: Project) -> None:
    # The catalog check is canon's whole in-process overhead on a small query: a second
    # question on the same connection must not ask the warehouse for its columns again.
    calls: list[str] = []
    engine = tiny.engine
    real = engine.columns

    def counting(table: str, schema: str | None = None) -> dict[str, str]:
        calls.append(table)
        return real(table, schema)

    engine.columns = counting  # type: ignore[method-assign]
    try:
        first = values(tiny, "mrr", period_from="2026-09", period_to="2026-10")
        after_first = len(calls)
        second = values(tiny, "mrr", by=["segment"], period_from="2026-09", period_to="2026-10")
    finally:
        del engine.columns
    assert after_first > 0 and len(calls) == after_first
    # the figures are the fixture's hand-computed ones (tests/compiler/fixture.py), not each other
    assert first == {"2026-09": 1_200_001, "2026-10": 1_000_000}
    assert second == {
        ("2026-09", "enterprise"): 1_000_000,
        ("2026-09", "smb"): 200_001,
        ("2026-10", "enterprise"): 1_000_000,
    }


def test_query_takes_metric_names_and_keywords(tiny: Project) -> None:
    by_name = tiny.query("mrr", period_from="2026-09", period_to="2026-10")
    by_question = tiny.query(tiny.question(["mrr"], period_from="2026-09", period_to="2026-10"))
    assert by_name.equals(by_question)


def test_a_query_does_not_import_pandas(tiny_root: Path) -> None:
    # pyarrow imports pandas (≈0.3 s) when asked to build an array from a Python list.
    code = (
        "import sys; from canon import load_project; p = load_project(sys.argv[1]); "
        "t = p.query('mrr', period_from='2026-09', period_to='2026-10'); p.close(); "
        "print(t.num_rows, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tiny_root)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "False"]
