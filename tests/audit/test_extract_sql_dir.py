"""Audit of hand-written plain-SQL models over the tiny warehouse; figures computed by hand.

Period 2026-10 (see tests/compiler/fixture.py for the rows):
- finance_revenue: non-void invoices dated October: 10000 + 2000.01 + 3000 + 500 - 750 + 1500 = 16250.01
- sales_arr (mrr column): active non-pilot contracts live in October: (120000 + 24000.12 + 1500) / 12 = 12125.01
- marketing_cash: October payments not refunded: 10000 + 2000.01 + 3000 + 1500 = 16500.01
- board_mrr: the canonical definition written with a semi-join: 10000.00
"""

from __future__ import annotations

from pathlib import Path

import pytest

from canon.audit.result import AuditResult
from canon.audit.runner import AuditOptions, run_audit
from canon.audit.sources import from_sql_dir
from canon.compiler.periods import parse_period
from canon.project import load_project
from tests.audit.conftest import TINY_MODELS


@pytest.fixture(scope="module")
def audit(tiny_audit_root: Path) -> AuditResult:
    project = load_project(tiny_audit_root)
    raw = [t for t in project.engine.tables() if t.startswith("raw_")]
    models = from_sql_dir(TINY_MODELS, "duckdb", raw)
    result = run_audit(project, AuditOptions("mrr", parse_period("2026-10"), models, with_history=False))
    project.close()
    return result


def test_finds_exactly_the_money_definitions(audit: AuditResult) -> None:
    assert sorted(d.model for d in audit.definitions) == ["board_mrr", "finance_revenue", "marketing_cash", "sales_arr"]
    skipped = dict(audit.skipped)
    assert set(skipped) == {"stg_invoices", "stg_contracts", "invoice_counts", "paid_invoices"}


def test_model_figures_and_reproduction(audit: AuditResult) -> None:
    got = {d.model: (d.value_cents, d.reproduced_cents) for d in audit.definitions}
    assert got == {
        "finance_revenue": (1_625_001, 1_625_001),
        "sales_arr": (1_212_501, 1_212_501),
        "marketing_cash": (1_650_001, 1_650_001),
        "board_mrr": (1_000_000, 1_000_000),
    }
    assert audit.canonical_cents == 1_000_000


def test_decision_vectors(audit: AuditResult) -> None:
    by = {d.model: d.to_json()["decisions"] for d in audit.definitions}
    assert by["finance_revenue"] == {
        "measure": {"column": "raw_invoices.amount", "scale": 1.0, "aggregation": "sum", "unit": "dollars"},
        "time_basis": ["raw_invoices.invoice_date"],
        "filters": {"raw_invoices.status": ["paid", "pending"]},
        "row_decisions": [],
    }
    assert by["sales_arr"]["measure"] == {
        "column": "raw_contracts.annual_value",
        "scale": 1 / 12,
        "aggregation": "sum",
        "unit": "dollars",
    }
    assert by["sales_arr"]["time_basis"] == ["raw_contracts.start_date", "raw_contracts.end_date"]
    assert by["sales_arr"]["filters"] == {
        "raw_contracts.status": ["active"],
        "raw_contracts.type": ["one-time", "recurring"],
    }
    assert by["marketing_cash"] == {
        "measure": {"column": "raw_payments.amount", "scale": 1.0, "aggregation": "sum", "unit": "dollars"},
        "time_basis": ["raw_payments.payment_date"],
        "filters": {"raw_payments.refunded": [False]},
        "row_decisions": [],
    }
    assert by["board_mrr"]["filters"] == audit.canonical_vector.to_json()["filters"]  # type: ignore[union-attr]


def test_bridges_sum_exactly_to_the_canonical_figure(audit: AuditResult) -> None:
    for d in audit.definitions:
        assert d.bridge is not None
        assert 1_000_000 + sum(s.impact_cents for s in d.bridge.steps) == d.value_cents, d.model


def test_board_definition_is_the_canonical_one(audit: AuditResult) -> None:
    board = next(d for d in audit.definitions if d.model == "board_mrr")
    assert board.vector.same_definition(audit.canonical_vector)  # type: ignore[arg-type]
    assert board.bridge is not None and board.bridge.steps == []
