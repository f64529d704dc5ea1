"""`discover` over the shop's models: which aggregate money of the metric's family, and why the
others are skipped (reasons written here from the model texts in shop.py)."""

from __future__ import annotations

from canon.audit.extract import ref_of
from canon.audit.runner import AuditContext, canonical, discover
from canon.contracts.refs import ColumnRef
from tests.audit.stages.shop import REVENUE_CENTS


def test_candidates_are_the_money_aggregates_of_the_family(ctx: AuditContext) -> None:
    discover(ctx)
    assert sorted(ctx.candidates) == ["annualized_sales", "board_revenue", "emea_sales", "gross_sales"]
    outputs = {name: [c.output for c in found.candidates] for name, found in ctx.candidates.items()}
    assert outputs == {
        "annualized_sales": ["annualized"],
        "board_revenue": ["revenue"],
        "emea_sales": ["revenue"],
        "gross_sales": ["revenue"],
    }
    columns = {ref_of(c.shape.column) for found in ctx.candidates.values() for c in found.candidates}
    assert columns == {ColumnRef("raw_orders", "amount")}


def test_every_other_model_is_skipped_with_its_reason(ctx: AuditContext) -> None:
    discover(ctx)
    assert set(ctx.skipped) == {"stg_paid_orders", "order_counts", "payroll_cost", "broken"}
    no_money = "aggregates no money itself (counts, ids, or passes rows through)"
    assert ctx.skipped["stg_paid_orders"] == no_money  # passes rows through
    assert ctx.skipped["order_counts"] == no_money  # counts
    # sums money, but salaries are not joined to orders: not the metric's family
    assert ctx.skipped["payroll_cost"] == "aggregates no money of the metric's family (counts, ids, pass-through)"
    assert ctx.skipped["broken"].startswith("not read: cannot parse model broken")
    assert not set(ctx.skipped) & set(ctx.candidates)


def test_discover_reports_progress_per_model(ctx: AuditContext) -> None:
    seen: list[tuple[str, int, int]] = []
    ctx.options.progress = lambda stage, i, n: seen.append((stage, i, n))
    ctx.stage = "discover"
    discover(ctx)
    names = sorted(ctx.models.models)
    # one line per model, naming it: a stall shows which model it is on
    assert seen == [(f"discover {names[i]}", i, 8) for i in range(8)]


def test_canonical_is_the_contracts_figure(ctx: AuditContext) -> None:
    canonical(ctx)
    assert ctx.canonical_cents == REVENUE_CENTS  # paid sales in March: 100.00 + 1000.00
