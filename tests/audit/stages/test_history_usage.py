"""`history` over a git repository written by the test, and `usage` over a query log written by
the test; expected commits and counts are read off what was written."""

from __future__ import annotations

import json
from pathlib import Path

from canon.audit.runner import AuditContext, AuditOptions, discover, extract, history, reproduce, usage
from canon.project import Project, load_project
from tests.audit.factories import definition
from tests.audit.gitrepo import ALICE, BOB, commit, git
from tests.audit.stages.conftest import MARCH, open_context
from tests.audit.stages.shop import MODELS, shop_models, write_shop

ONLY = {"gross_sales": MODELS["gross_sales"], "board_revenue": MODELS["board_revenue"]}


def audited(root: Path) -> AuditContext:
    """Definitions of the models under `root` (discover, extract, reproduce), then their history."""
    project = load_project(root)
    try:
        ctx = AuditContext.open(project, AuditOptions("revenue", MARCH, shop_models(root)))
        for stage in (discover, extract, reproduce, history):
            stage(ctx)
    finally:
        project.close()
    return ctx


def test_history_blames_each_decision_line(tmp_path: Path) -> None:
    root = write_shop(tmp_path / "shop", models={})
    git(root, "init", "-q")
    gross_file, board_file = "models/gross_sales.sql", "models/board_revenue.sql"
    commit(root, {gross_file: ONLY["gross_sales"]}, "gross sales for the board", ALICE, "2025-01-05T09:00:00+00:00")
    # Bob adds the board's model later, citing a ticket
    commit(root, {board_file: ONLY["board_revenue"]}, "FIN-7 board revenue", BOB, "2025-06-01T09:00:00+00:00")
    ctx = audited(root)
    gross = {(c.decision, c.author, tuple(c.lines)) for c in ctx.history["gross_sales"]}
    # line 1: the measure (sum(amount)) and the period; line 3: where status <> 'refunded'
    assert ("measure", "Alice Analyst", (1,)) in gross
    assert ("filter:raw_orders.status", "Alice Analyst", (3,)) in gross
    assert all(c.tickets == [] for c in ctx.history["gross_sales"])
    board = {c.decision: c for c in ctx.history["board_revenue"]}
    assert board["filter:raw_orders.status"].author == "Bob Contractor"
    assert board["filter:raw_orders.status"].tickets == ["FIN-7"]
    assert board["filter:raw_orders.kind"].lines == [2]  # the CASE inside the sum


def test_usage_counts_queries_in_the_three_months_to_the_period(shop: Project, tmp_path: Path) -> None:
    rows = [
        *[(f"2026-03-0{d}", "ann", "finance", "select sum(revenue) from gross_sales") for d in (1, 2, 3)],
        *[(f"2026-02-1{d}", "sam", "sales", 'select * from "GROSS_SALES" where revenue > 0') for d in (1, 2, 3)],
        ("2025-11-30", "ann", "finance", "select * from board_revenue"),  # before the window
        ("2026-03-04", "ann", "finance", "select * from order_counts"),  # not a definition
    ]
    log = tmp_path / "queries.jsonl"
    log.write_text(
        "".join(
            json.dumps({"timestamp": f"{day}T10:00:00", "user": u, "team": t, "query": q}) + "\n"
            for day, u, t, q in rows
        )
    )
    ctx = open_context(shop, query_log=log)
    ctx.definitions = [definition("gross_sales"), definition("board_revenue"), definition("emea_sales")]
    usage(ctx)
    assert set(ctx.usage) == {"gross_sales", "board_revenue", "emea_sales"}
    gross = ctx.usage["gross_sales"]
    assert gross.queries_per_month == 6 / 3  # window 2026-01..2026-03
    assert gross.by_team == {"finance": 3 / 3, "sales": 3 / 3}
    assert gross.last_queried == "2026-03-03T10:00:00"
    board = ctx.usage["board_revenue"]
    assert (board.queries_per_month, board.last_queried) == (0, "2025-11-30T10:00:00")
    assert ctx.usage["emea_sales"].last_queried is None


def test_without_a_query_log_there_is_no_usage(shop: Project) -> None:
    ctx = open_context(shop)
    ctx.definitions = [definition("gross_sales")]
    usage(ctx)
    assert ctx.usage == {}
