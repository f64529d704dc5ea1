"""Row decisions priced and shown: `--compare` bridges between ledger models that differ by one row
decision, each step's impact the difference of the two hand figures (ledger.py); the reports
name the decision beside the other one."""

from __future__ import annotations

import pytest

from canon.audit.report.markdown import render_markdown
from canon.audit.report.terminal import render_text
from canon.audit.result import AuditResult
from canon.audit.runner import AuditContext, AuditOptions, bridge, discover, extract, reproduce
from canon.project import Project
from tests.audit.rows.conftest import MARCH
from tests.audit.rows.ledger import MODEL_CENTS, ledger_models


def compared(project: Project, a: str, b: str) -> AuditResult:
    models = ledger_models(project.root)
    models.models = {n: m for n, m in models.models.items() if n in (a, b, "stg_attempts")}
    metric = "cash" if " as cash" in models.models[a].sql else "revenue"  # no contract: the output's name says which
    ctx = AuditContext.open(project, AuditOptions(metric, MARCH, models, with_history=False, compare=(a, b)))
    for stage in (discover, extract, reproduce, bridge):
        stage(ctx)
    return ctx.result()


PAIRS = [
    pytest.param(
        "every_version_paid", "latest_then_paid", "dedup:raw_invoice_versions", "with latest version only", id="dedup"
    ),
    pytest.param(
        "latest_then_paid", "every_version_paid", "dedup:raw_invoice_versions", "without latest version", id="undo"
    ),
    pytest.param("billed_lines", "billed_lines_per_attempt", "fanout:raw_attempts", "with fan-out: each", id="fan-out"),
    pytest.param(
        "cash", "cash_not_excluded", "match:raw_excluded", "with rows with a match in raw_excluded", id="anti"
    ),
    pytest.param("cash", "customer_cash", "match:raw_customers", "with only rows with a match", id="semi"),
]


@pytest.mark.parametrize(("a", "b", "decision", "label"), PAIRS)
def test_one_row_decision_is_one_priced_step(ledger: Project, a: str, b: str, decision: str, label: str) -> None:
    result = compared(ledger, a, b)
    assert result.pair_bridge is not None, result.notes
    [step] = result.pair_bridge.steps
    assert step.decision == decision
    assert step.label.startswith(label)
    assert step.impact_cents == MODEL_CENTS[b] - MODEL_CENTS[a]
    assert step.value_after_cents == MODEL_CENTS[b]
    assert result.diverges()


def test_reports_name_the_row_decision(ledger: Project) -> None:
    result = compared(ledger, "every_version_paid", "latest_then_paid")
    text = render_text(result, width=240)
    assert "rows: deduplication of raw_invoice_versions" in text
    assert "latest version only: one row of raw_invoice_versions per invoice_id by updated_at desc" in text
    assert "rows: deduplication of raw_invoice_versions" in render_markdown(result)
    assert len(result.distinct_definitions()) == 2


def test_one_definition_however_the_dedup_is_written(ledger: Project) -> None:
    result = compared(ledger, "latest_then_paid", "latest_qualify")
    assert not result.diverges()
    assert result.pair_bridge is not None and result.pair_bridge.steps == []


def test_the_left_join_note_is_shown(ledger: Project) -> None:
    result = compared(ledger, "cash", "north_america_cash")
    text = render_text(result, width=240)
    assert "rows with no raw_customers row dropped (3 rows of raw_attempts)" in text
