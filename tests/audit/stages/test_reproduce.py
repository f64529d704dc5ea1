"""`reproduce`: each model's own figure and its decisions' figure, against the hand figures in
shop.py and, for the built-relation case, a table whose contents the test wrote itself."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from canon.audit.runner import AuditContext, AuditOptions, discover, extract, reproduce
from canon.audit.sources import ModelSource
from canon.contracts.refs import ColumnRef
from canon.project import load_project
from tests.audit.stages.conftest import MARCH
from tests.audit.stages.shop import MODEL_CENTS, shop_models, write_shop


def extracted(ctx: AuditContext) -> AuditContext:
    discover(ctx)
    extract(ctx)
    return ctx


def test_model_figures_and_reproductions_equal_the_hand_figures(ctx: AuditContext) -> None:
    reproduce(extracted(ctx))
    got = {d.model: (d.value_cents, d.reproduced_cents) for d in ctx.definitions}
    assert got == {name: (cents, cents) for name, cents in MODEL_CENTS.items()}
    assert [d.model for d in ctx.definitions] == sorted(MODEL_CENTS)


def test_decisions_that_do_not_compile_are_listed_not_fatal(ctx: AuditContext) -> None:
    extracted(ctx)
    e = ctx.extractions["gross_sales"]
    # salaries cannot be joined to orders: this vector has no SQL
    ctx.extractions["gross_sales"] = replace(
        e, vector=e.vector.with_filter(ColumnRef("raw_payroll", "paid_on"), {"2026-03-31"}), unmapped=[]
    )
    reproduce(ctx)
    gross = next(d for d in ctx.definitions if d.model == "gross_sales")
    assert gross.value_cents == MODEL_CENTS["gross_sales"]  # the model's own SQL still runs
    assert gross.reproduced_cents == 0
    assert [u.reason for u in gross.unmapped] == ["the decisions do not compile"]


@pytest.fixture()
def built_root(tmp_path: Path) -> Path:
    """The shop plus a stale built `main.gross_sales`: March stored as 1400.00 (the SQL says 1432.59)."""
    root = write_shop(tmp_path / "shop", models={"gross_sales": "select 1 as x\n"})
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute("CREATE TABLE gross_sales (order_month DATE, revenue DECIMAL(12,2))")
    con.execute("INSERT INTO gross_sales VALUES ('2026-02-01', 60.00), ('2026-03-01', 1400.00), ('2026-04-01', 75.00)")
    con.close()
    return root


def test_a_built_model_is_read_from_its_relation(built_root: Path) -> None:
    from tests.audit.stages.shop import MODELS

    project = load_project(built_root)
    try:
        models = shop_models(built_root)
        source = ModelSource("gross_sales", MODELS["gross_sales"], "models/gross_sales.sql", ("main", "gross_sales"))
        models.models = {"gross_sales": source}
        ctx = extracted(AuditContext.open(project, AuditOptions("revenue", MARCH, models, with_history=False)))
        reproduce(ctx)
    finally:
        project.close()
    [d] = ctx.definitions
    assert (d.value_cents, d.reproduced_cents) == (140_000, MODEL_CENTS["gross_sales"])
    assert d.residual_cents == 140_000 - 143_259  # the stale build, shown as a residual
