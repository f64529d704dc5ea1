"""Honest results: "reproduced" only when both sides selected rows of the period; one model's
failure is a row of the report; exit codes 0/1/2 through the CLI (issue 11, item 6)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pytest

from canon.audit.report.markdown import render_markdown
from canon.audit.report.terminal import render_text
from canon.audit.result import AuditResult
from canon.audit.runner import run_stages
from canon.compiler.periods import parse_period
from canon.project import Project
from tests.audit.stages.conftest import open_context
from tests.audit.stages.shop import CANON_YML, MODEL_CENTS, MODELS, REVENUE_YML, write_shop
from tests.support.cli import run_cli

EMPTY = parse_period("2030-01")  # no order in the shop is in this month


def test_an_empty_period_is_not_comparable_never_reproduced(shop: Project) -> None:
    ctx = open_context(shop)
    ctx.options.period = EMPTY
    ctx.evaluator.period = EMPTY
    result = run_stages(ctx).result()
    assert {d.model for d in result.definitions} == set(MODEL_CENTS)
    for d in result.definitions:
        assert (d.value_cents, d.reproduced_cents) == (0, 0)  # 0 = 0 …
        assert not d.reproduced and not d.comparable  # … proves nothing
        assert d.not_comparable == "no rows on either side in 2030-01"
    doc = result.to_json()
    assert all(d["reproduced"] is False and d["comparable"] is False for d in doc["definitions"])
    assert "not comparable in 2030-01" in doc["headline"]
    text = render_text(result, width=200)
    assert "not comparable (no rows on either side in 2030-01)" in text and "✓" not in text
    assert "| not comparable (no rows on either side in 2030-01) |" in render_markdown(result)


def test_a_period_with_rows_is_still_reproduced(shop: Project) -> None:
    result = run_stages(open_context(shop)).result()
    assert all(d.reproduced and d.comparable for d in result.definitions)
    assert "not comparable" not in result.headline()


@pytest.fixture(scope="module")
def unknown_function_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop plus a model calling a function DuckDB does not have (a foreign dialect's)."""
    models = {**MODELS, "foreign_sales": MODELS["gross_sales"].replace("status <> 'refunded'", "zeroifnull(1) = 1")}
    return write_shop(tmp_path_factory.mktemp("foreign") / "shop", models=models)


def test_one_models_warehouse_error_is_a_row_and_the_rest_are_audited(unknown_function_root: Path) -> None:
    from canon.project import load_project

    project = load_project(unknown_function_root)
    try:
        result = project.audit("revenue", "2026-03", sql_dir=unknown_function_root / "models", with_history=False)
    finally:
        project.close()
    assert {d.model for d in result.definitions} == set(MODEL_CENTS)
    [failed] = result.failed
    assert (failed.model, failed.stage) == ("foreign_sales", "reproduce")
    assert "zeroifnull" in failed.reason.lower()  # the warehouse's own message
    assert result.to_json()["failed"] == [failed.to_json()]
    assert "foreign_sales (reproduce)" in render_text(result, width=300)


def test_a_compare_that_cannot_be_bridged_is_a_note_not_a_lost_report(shop: Project) -> None:
    ctx = open_context(shop, compare=("gross_sales", "order_counts"))
    result = run_stages(ctx).result()
    assert result.pair_bridge is None and result.definitions
    assert result.notes == [
        "no bridge between gross_sales and order_counts: `order_counts` is not one of the "
        "definitions found Fix: choose from: annualized_sales, board_revenue, emea_sales, gross_sales"
    ]


@pytest.fixture(scope="module")
def no_relationships_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop with no `relationships:` (a dbt project without relationships tests) and a
    contract filtering on the customers' region: the contract has no join path of its own.

    Its March figure by hand: paid sales of emea customers (C1) = O1 = 100.00 → 10000 cents.
    `emea_left_sales` is `emea_sales` written with a LEFT JOIN (the filter on the customers'
    region makes it inner): paid orders of C1 = O1 + O7 = 100 - 20 = 80.00 → 8000 cents.
    `order_refunds` sums a refunds table joined to the orders it refunds, which nothing else
    joins: R1 refunds O2 (refunded) 250.50 on 2026-03-12 → 25050 cents; R2 (April) is out.
    """
    left = MODELS["emea_sales"].replace("from stg_paid_orders o\njoin", "from stg_paid_orders o\nleft join")
    assert left != MODELS["emea_sales"]
    refunds = (
        "select date_trunc('month', r.refunded_on) as refund_month, sum(r.amount) as refunded\n"
        "from raw_refunds r\njoin raw_orders o on o.order_id = r.order_id\n"
        "where o.status = 'refunded'\ngroup by 1\n"
    )
    models = {**MODELS, "emea_left_sales": left, "order_refunds": refunds}
    root = write_shop(tmp_path_factory.mktemp("norel") / "shop", models=models)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute(
        "CREATE TABLE raw_refunds (refund_id VARCHAR, order_id VARCHAR, refunded_on DATE, amount DECIMAL(12,2))"
    )
    con.execute("INSERT INTO raw_refunds VALUES ('R1', 'O2', '2026-03-12', 250.50), ('R2', 'O2', '2026-04-02', 1.00)")
    con.close()
    (root / "canon.yml").write_text(CANON_YML.split("relationships:")[0])
    (root / "metrics" / "revenue.yml").write_text(REVENUE_YML + "    raw_customers.region: [emea]\n")
    return root


def _audit_models(root: Path, names: list[str]) -> AuditResult:
    """The audit over the shop's models, or over `names` only (a folder of their own)."""
    from canon.project import load_project

    folder = root / "models"
    if names:
        folder = root / f"only_{'_'.join(names)}"
        folder.mkdir(exist_ok=True)
        for name in names:
            (folder / f"{name}.sql").write_text(MODELS[name])
    project = load_project(root)
    try:
        return project.audit("revenue", "2026-03", sql_dir=folder, with_history=False, store=False)
    finally:
        project.close()


def test_a_contract_with_no_join_path_is_priced_through_a_models_join(no_relationships_root: Path) -> None:
    result = _audit_models(no_relationships_root, [])
    assert result.canonical_cents == 10_000  # the docstring's hand figure
    assert result.notes == [
        "the contract revenue joins as the models' SQL does (raw_orders.customer_id → raw_customers.customer_id): "
        "canon.yml declares no such relationship; add it under `relationships:` to make it the project's"
    ]
    by_model = {d.model: d for d in result.definitions}
    assert set(by_model) == {*MODEL_CENTS, "emea_left_sales", "order_refunds"} and not result.failed
    # money of a table only the model's own join ties to the orders is the metric's family
    assert by_model["order_refunds"].value_cents == by_model["order_refunds"].reproduced_cents == 25_050
    assert "payroll_cost" in dict(result.skipped)  # money nothing joins to the orders is not
    for name in ("emea_sales", "emea_left_sales"):  # the models whose join was read: reproduced through it
        emea = by_model[name]
        assert emea.value_cents == emea.reproduced_cents == 8_000 and emea.reproduced, name
        # bridged from the canonical 10,000 to the model's 8,000
        assert emea.bridge is not None and emea.bridge.start_cents == 10_000
        assert emea.bridge.steps[-1].value_after_cents == 8_000


def test_a_contract_no_model_can_join_is_a_note_and_every_model_is_listed(no_relationships_root: Path) -> None:
    result = _audit_models(no_relationships_root, ["gross_sales", "board_revenue"])
    assert result.canonical_cents is None
    [note] = result.notes
    assert note.startswith("no canonical figure: the contract revenue does not compile (no join path from `raw_orders`")
    assert {d.model: d.value_cents for d in result.definitions} == {
        m: MODEL_CENTS[m] for m in ("gross_sales", "board_revenue")
    }
    assert all(d.reproduced and d.bridge is None for d in result.definitions)
    assert "Canonical Revenue: not computed for 2026-03" in render_text(result, width=200)


# ---------------------------------------------------------------- exit codes, in-process CLI


def _audit(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    res = run_cli(
        capsys,
        "audit",
        "--metric",
        "revenue",
        "--period",
        "2026-03",
        "--sql-dir",
        str(root / "models"),
        "--project",
        str(root),
        *args,
    )
    return res.code, res.out, res.err


def test_exit_0_when_the_audit_ran(capsys: pytest.CaptureFixture[str], shop_root: Path) -> None:
    code, out, _ = _audit(capsys, shop_root, "--format", "json")
    assert code == 0 and orjson.loads(out)["definitions"]


def test_exit_1_with_fail_on_divergence_when_definitions_differ(
    capsys: pytest.CaptureFixture[str], shop_root: Path
) -> None:
    code, out, err = _audit(capsys, shop_root, "--format", "json", "--fail-on-divergence")
    assert code == 1 and orjson.loads(out)["definitions"]  # the report is still written
    assert "definitions differ" in err


def test_exit_1_and_a_headline_that_says_so_when_every_model_is_skipped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = write_shop(tmp_path / "shop", models={k: MODELS[k] for k in ("order_counts", "payroll_cost")})
    code, out, _ = _audit(capsys, root, "--format", "json")
    doc = orjson.loads(out)
    assert code == 1 and doc["definitions"] == []
    assert doc["headline"] == "No definition of Revenue found: every model was skipped (2 models not a definition)"
    assert "0 ways" not in doc["headline"]


def test_exit_2_only_for_usage_errors(capsys: pytest.CaptureFixture[str], shop_root: Path) -> None:
    code, _, err = _audit(capsys, shop_root, "--model-timeout", "0")
    assert code == 2 and "--model-timeout" in err
