"""Never hang: lineage is memoized (a 40-level CTE chain is linear work, counted in visits), and a
per-model budget turns a model into a "too complex" row instead of a stall (issue 11, item 4)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlglot import parse_one

from canon.audit.budget import TooComplex, budget
from canon.audit.inline import qualified
from canon.audit.lineage import Lineage
from canon.audit.runner import run_stages
from canon.project import Project, load_project
from tests.audit.stages.conftest import open_context
from tests.audit.stages.shop import MODEL_CENTS, MODELS, shop_models, write_shop

SCHEMA = {"raw_orders": {"order_id": "text", "amount": "decimal(12,2)", "status": "text"}}


def diamond_chain(depth: int) -> str:
    """Each CTE joins the previous one to itself: unmemoized, level k is walked 2^k times."""
    ctes = ["c0 as (select order_id, amount, status from raw_orders where status = 'paid')"]
    for k in range(1, depth + 1):
        ctes.append(
            f"c{k} as (select x.order_id, x.amount, x.status from c{k - 1} x "
            f"join c{k - 1} y on x.order_id = y.order_id where x.amount > -{k})"
        )
    return f"with {', '.join(ctes)} select sum(amount) as revenue from c{depth}"


def lineage_of(depth: int) -> Lineage:
    return Lineage(qualified(parse_one(diamond_chain(depth), read="duckdb"), SCHEMA, "duckdb"))


@pytest.mark.parametrize("depth", [10, 20, 40])
def test_a_deep_cte_chain_is_walked_in_linear_work(depth: int) -> None:
    lineage = lineage_of(depth)
    conditions = lineage.row_conditions()
    lineage.output(lineage.root, "revenue")
    # one WHERE, one self-join ON per level, the staging WHERE: each condition once
    assert len(conditions) == 2 * depth + 1
    # one walk of rows and at most two of outputs per scope: linear (2^40 walks without memoization)
    assert lineage.visits <= 3 * depth + 4


def test_the_same_output_read_twice_is_resolved_once_and_returned_as_a_copy() -> None:
    lineage = lineage_of(5)
    first = lineage.output(lineage.root, "revenue")
    visits = lineage.visits
    second = lineage.output(lineage.root, "revenue")
    assert lineage.visits == visits and first == second and first is not second


def test_a_walk_stops_when_the_budget_has_run_out() -> None:
    lineage = lineage_of(40)
    with budget(0.0), pytest.raises(TooComplex):
        time.sleep(0.001)
        lineage.row_conditions()
    assert lineage.row_conditions()  # outside any budget the same walk completes


def test_a_model_past_its_budget_is_a_too_complex_row_and_the_audit_goes_on(shop: Project) -> None:
    ctx = open_context(shop, model_timeout=1e-9)
    result = run_stages(ctx).result()
    assert result.definitions == [] and result.nothing_found
    rows = {f.model: (f.stage, f.reason) for f in result.failed}
    assert rows["gross_sales"] == ("discover", "too complex to map within 1e-09 s at discover")
    assert set(rows) == set(shop_models(shop.root).models)
    assert "could not be read" in result.headline()


@pytest.fixture(scope="module")
def deep_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chain = diamond_chain(40).replace(
        "sum(amount) as revenue", "date_trunc('month', ordered_on) as m, sum(amount) as revenue"
    )
    chain = chain.replace("order_id, amount, status", "order_id, amount, status, ordered_on")
    chain = chain.replace("x.amount, x.status", "x.amount, x.status, x.ordered_on") + " group by 1\n"
    return write_shop(tmp_path_factory.mktemp("deep") / "shop", models={**MODELS, "deep_sales": chain})


def test_a_40_level_chain_is_audited_well_within_the_budget(deep_root: Path) -> None:
    project = load_project(deep_root)
    try:
        t0 = time.perf_counter()
        result = project.audit("revenue", "2026-03", sql_dir=deep_root / "models", with_history=False, model_timeout=20)
        elapsed = time.perf_counter() - t0
    finally:
        project.close()
    assert not result.failed, result.failed
    deep = next(d for d in result.definitions if d.model == "deep_sales")
    # paid orders of March above -1 (level 1; the -20.00 credit O7 is out): O1 + O3 + O4 = 1140.25
    assert deep.reproduced and deep.value_cents == 114_025
    assert {d.model for d in result.definitions} == {*MODEL_CENTS, "deep_sales"}
    assert elapsed < 20
