"""Plain-SQL models written in PostgreSQL and Snowflake spelling, audited over the tiny warehouse.

Hand figures for 2026-10 (tests/compiler/fixture.py):
- pg_finance: paid invoices' subscription amounts: I2 10000 + I6 3000 + I7 500 = 13500.00
- pg_contract_mrr: active non-pilot contracts live in October: (120000 + 24000.12 + 1500) / 12 = 12125.01
- sf_cash: payments dated October not refunded: 10000 + 2000.01 + 3000 + 1500 = 16500.01
- sf_board: the canonical definition, 10000.00
"""

from __future__ import annotations

from pathlib import Path

import pytest

from canon.audit.runner import AuditOptions, run_audit
from canon.audit.sources import from_sql_dir
from canon.compiler.periods import parse_period
from canon.project import load_project

HERE = Path(__file__).parent / "dialect_models"


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        (
            "postgres",
            {
                "pg_finance": (1_350_000, {"raw_invoices.status": ["paid"], "raw_invoices.type": ["subscription"]}),
                "pg_contract_mrr": (
                    1_212_501,
                    {"raw_contracts.status": ["active"], "raw_contracts.type": ["one-time", "recurring"]},
                ),
            },
        ),
        (
            "snowflake",
            {
                "sf_cash": (1_650_001, {"raw_payments.refunded": [False]}),
                "sf_board": (
                    1_000_000,
                    {
                        "raw_contracts.status": ["active"],
                        "raw_contracts.type": ["recurring"],
                        "raw_invoices.status": ["paid"],
                        "raw_invoices.type": ["subscription"],
                    },
                ),
            },
        ),
    ],
)
def test_models_in_other_dialects(
    tiny_audit_root: Path, dialect: str, expected: dict[str, tuple[int, dict[str, list[object]]]]
) -> None:
    project = load_project(tiny_audit_root)
    raw = [t for t in project.engine.tables() if t.startswith("raw_")]
    models = from_sql_dir(HERE / dialect, dialect, raw)
    result = run_audit(project, AuditOptions("mrr", parse_period("2026-10"), models, with_history=False))
    project.close()
    got = {d.model: (d.value_cents, d.to_json()["decisions"]["filters"]) for d in result.definitions}
    assert got == expected, result.skipped
    assert all(d.reproduced for d in result.definitions)


def test_to_char_with_a_date_format_is_date_formatting() -> None:
    import sqlglot

    from canon.audit.inline import dates_formatted

    tree = sqlglot.parse_one("select to_char(d, 'YYYY-MM') as m, to_char(n, '999') as t from x", read="snowflake")
    assert isinstance(tree, sqlglot.exp.Query)
    out = dates_formatted(tree, "snowflake").sql("duckdb")
    assert "STRFTIME(d, '%Y-%m') AS m" in out
    assert "STRFTIME(n" not in out  # a number format is not a date
