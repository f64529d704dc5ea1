"""The audit on the ACME example: exactly the three team models, reproduced to the cent, bridged
to the canonical $1,260,000.00. Model figures are read back with SQL written here."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from canon.audit.result import AuditResult
from canon.project import load_project
from canon.workflow.session import audit_session

pytestmark = [pytest.mark.slow, pytest.mark.dbt, pytest.mark.xdist_group("acme_workflow")]

CANONICAL = 126_000_000


@pytest.fixture(scope="module")
def audit(acme_template: Path, tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    root = tmp_path_factory.mktemp("acme-audit") / "acme"
    shutil.copytree(acme_template, root, symlinks=True)
    project = load_project(root)
    result = audit_session(project, "mrr", "2026-10").audit
    project.close()
    return result


@pytest.fixture(scope="module")
def model_figures(acme_template: Path) -> dict[str, int]:
    """Each team model's own October figure, in cents, by hand-written SQL on the built tables."""
    con = duckdb.connect(str(acme_template / "warehouse.duckdb"), read_only=True)
    q = {
        "fct_revenue_monthly": "select sum(revenue) from fct_revenue_monthly where revenue_month = date '2026-10-01'",
        "fct_arr_by_account": "select sum(mrr) from fct_arr_by_account where arr_month = date '2026-10-01'",
        "fct_marketing_revenue": (
            "select sum(revenue) from fct_marketing_revenue where payment_month = date '2026-10-01'"
        ),
    }
    out = {name: round(con.execute(sql).fetchone()[0] * 100) for name, sql in q.items()}
    con.close()
    return out


def test_finds_exactly_the_three_team_models(audit: AuditResult) -> None:
    assert sorted(d.model for d in audit.definitions) == [
        "fct_arr_by_account",
        "fct_marketing_revenue",
        "fct_revenue_monthly",
    ]
    assert all(m.startswith("stg_") for m, _ in audit.skipped)


def test_each_definition_reproduced_to_the_cent(audit: AuditResult, model_figures: dict[str, int]) -> None:
    for d in audit.definitions:
        assert d.value_cents == model_figures[d.model], d.model
        assert d.reproduced and d.residual_cents == 0, (d.model, d.residual_cents)
    assert audit.canonical_cents == CANONICAL


def test_bridges_go_from_the_board_number_to_each_definition(audit: AuditResult) -> None:
    for d in audit.definitions:
        assert d.bridge is not None
        assert (d.bridge.start_cents, d.bridge.end_cents) == (CANONICAL, d.value_cents)
        # each step is a decision's price in definition − canonical; they sum to the gap exactly
        assert CANONICAL + sum(s.impact_cents for s in d.bridge.steps) == d.value_cents, d.model
        assert all(s.decision != "residual" for s in d.bridge.steps)
        assert d.bridge.exact and d.bridge.steps[-1].value_after_cents == d.value_cents


def test_decisions_read_from_the_sql(audit: AuditResult) -> None:
    by = {d.model: d.to_json()["decisions"] for d in audit.definitions}
    assert by["fct_revenue_monthly"] == {
        "measure": {"column": "raw_invoices.amount", "scale": 1.0, "aggregation": "sum", "unit": "dollars"},
        "time_basis": ["raw_invoices.invoice_date"],
        "filters": {"raw_invoices.status": ["paid", "pending"]},
        "row_decisions": [],  # every row counted once, as stored: no dedup, fan-out or match
    }
    assert by["fct_arr_by_account"] == {
        "measure": {"column": "raw_contracts.annual_value", "scale": 1 / 12, "aggregation": "sum", "unit": "dollars"},
        "time_basis": ["raw_contracts.start_date", "raw_contracts.end_date"],
        "filters": {"raw_contracts.status": ["active"], "raw_contracts.type": ["one-time", "recurring"]},
        "row_decisions": [],  # every row counted once, as stored: no dedup, fan-out or match
    }
    assert by["fct_marketing_revenue"] == {
        "measure": {"column": "raw_payments.amount", "scale": 1.0, "aggregation": "sum", "unit": "dollars"},
        "time_basis": ["raw_payments.payment_date"],
        "filters": {"raw_invoices.type": ["setup", "subscription"], "raw_payments.refunded": [False]},
        "row_decisions": [],  # every row counted once, as stored: no dedup, fan-out or match
    }


def test_headline(audit: AuditResult) -> None:
    assert audit.headline().startswith("MRR is defined 3 ways across 3 models; the largest gap is $")
    assert audit.headline().endswith("(what is summed and when)")
