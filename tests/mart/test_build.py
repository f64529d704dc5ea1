"""The build: atomic swap (a failed validation or a failing query keeps the old mart serving),
feeds that may be absent (OPEX, direct cost facts), and errors that name the contract line."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from canon.contracts.model import Metric
from canon.contracts.spec import ServedColumn
from canon.engines import Engine, connect
from canon.engines.duckdb import DuckDBEngine
from canon.errors import CanonError, ContractError, EngineError, UserError
from canon.examples.lessons.pgcopy import copy_schemas
from canon.mart import MartValidationError, build_mart
from tests.mart.conftest import AS_OF, BuiltMart, World
from tests.mart.helpers import rows
from tests.support.postgres import fresh_database


def _with_served(metric: Metric, name: str, **changes: Any) -> Metric:
    cols = [c.model_copy(update=changes) if c.name == name else c for c in metric.spec.served_columns]
    return Metric(spec=metric.spec.model_copy(update={"served_columns": cols}), file=metric.file, doc=metric.doc)


def _with_sql(metric: Metric, sql: str) -> Metric:
    comp = metric.spec.composition.model_copy(update={"sql": sql})
    return Metric(spec=metric.spec.model_copy(update={"composition": comp}), file=metric.file, doc=metric.doc)


def _snapshot(engine: Engine) -> dict[str, Any]:
    return {t: engine.execute(f"SELECT * FROM mart.{t} ORDER BY ALL") for t in engine.tables("mart")}


def _assert_untouched(engine: Engine, before: dict[str, Any]) -> None:
    after = _snapshot(engine)
    assert after.keys() == before.keys()
    for name, table in before.items():
        assert after[name].equals(table), name
    assert engine.tables("mart__canon_staging") == []


def _copy_world(world: World, tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(world.warehouse, path)
    return path


@pytest.mark.xdist_group("lessons_duckdb")
def test_failed_validation_keeps_the_previous_mart(duckdb_mart: BuiltMart) -> None:
    contracts = [c for c in duckdb_mart.world.contracts() if c.name in ("revenue_recognition", "margin", "pnl_summary")]
    before = _snapshot(duckdb_mart.engine)
    broken = [_with_served(c, "net_income_cents", nullable=False) if c.name == "pnl_summary" else c for c in contracts]
    with pytest.raises(MartValidationError) as err:
        build_mart(duckdb_mart.engine, broken, as_of=AS_OF)
    text = err.value.render()
    assert "pnl_summary.yml:" in text and "net_income_cents" in text and "still serving" in text
    assert "row (reporting_period='2025-09', geography_grain=" in text  # the first offending row, by its grain
    assert err.value.exit_code == 1
    v = next(v for v in err.value.violations if v.column == "net_income_cents")
    assert v.rule == "required" and v.rows >= 3 and v.location.line is not None
    _assert_untouched(duckdb_mart.engine, before)


@pytest.mark.xdist_group("lessons_duckdb")
def test_enum_and_type_rules_name_the_row(duckdb_mart: BuiltMart) -> None:
    contracts = [c for c in duckdb_mart.world.contracts() if c.name in ("revenue_recognition", "margin")]
    before = _snapshot(duckdb_mart.engine)
    broken = [
        _with_served(c, "reporting_period_grain", enum=["week"])
        if c.name == "revenue_recognition"
        else _with_served(c, "organization_slug", type="integer")
        for c in contracts
    ]
    with pytest.raises(MartValidationError) as err:
        build_mart(duckdb_mart.engine, broken, as_of=AS_OF)
    rules = {(v.grouping, v.column, v.rule) for v in err.value.violations}
    assert rules == {("revenue_recognition", "reporting_period_grain", "enum"), ("margin", "organization_slug", "type")}
    assert "(value 'month') is not one of week" in err.value.render()
    assert "has engine type VARCHAR; the contract says integer" in err.value.render()
    _assert_untouched(duckdb_mart.engine, before)


@pytest.mark.xdist_group("lessons_duckdb")
def test_a_failing_query_mid_build_keeps_the_previous_mart(duckdb_mart: BuiltMart) -> None:
    contracts = duckdb_mart.world.contracts()
    before = _snapshot(duckdb_mart.engine)
    # a query the contract check cannot fault: it fails only when the engine runs it, after other groupings
    recon = next(c for c in contracts if c.name == "reconciliation")
    bad = recon.spec.composition.sql.replace("THEN -r.recognized_amount_cents", "THEN -r.no_such_column", 1)  # type: ignore[union-attr]
    assert bad != recon.spec.composition.sql  # type: ignore[union-attr]
    broken = [_with_sql(c, bad) if c.name == "reconciliation" else c for c in contracts]
    with pytest.raises(EngineError):
        build_mart(duckdb_mart.engine, broken, as_of=AS_OF)
    _assert_untouched(duckdb_mart.engine, before)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.xdist_group("lessons_pg")
def test_failed_validation_keeps_the_previous_mart_on_postgres(pg_mart: BuiltMart) -> None:
    contracts = pg_mart.world.contracts()
    before = {
        t: pg_mart.engine.execute(f"SELECT * FROM mart.{t} ORDER BY 1, 2, 3") for t in pg_mart.engine.tables("mart")
    }
    broken = [_with_served(c, "opex_kind", enum=["native_grain"]) if c.name == "pnl_summary" else c for c in contracts]
    with pytest.raises(MartValidationError) as err:
        build_mart(pg_mart.engine, broken, as_of=AS_OF)
    assert "opex_kind" in err.value.render()
    for name, table in before.items():
        assert pg_mart.engine.execute(f"SELECT * FROM mart.{name} ORDER BY 1, 2, 3").equals(table)
    assert pg_mart.engine.tables("mart__canon_staging") == []


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.xdist_group("lessons_pg")
def test_a_second_build_of_the_same_schema_is_refused_while_one_runs(pg_mart: BuiltMart) -> None:
    """Two builds would drop each other's staging tables: the second is refused at once, naming why,
    and nothing it would have touched changes; a finished build leaves the schema free."""
    import psycopg

    from canon.engines.locks import lock_key
    from canon.errors import BusyError

    engine = pg_mart.engine
    before = {t: engine.execute(f"SELECT * FROM mart.{t} ORDER BY 1, 2, 3") for t in engine.tables("mart")}
    with psycopg.connect(pg_mart.engine.dsn, autocommit=True) as other:  # type: ignore[attr-defined]
        key = lock_key("mart:mart")
        took = other.execute(b"SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        assert took == (True,)  # the fixture's own build released the schema when it finished
        try:
            with pytest.raises(BusyError) as err:
                build_mart(pg_mart.engine, pg_mart.world.contracts(), as_of=AS_OF)
            assert err.value.exit_code == 2 and "already running a mart build" in err.value.render()
        finally:
            other.execute(b"SELECT pg_advisory_unlock(%s)", (key,))
    for name, table in before.items():
        assert engine.execute(f"SELECT * FROM mart.{name} ORDER BY 1, 2, 3").equals(table), name
    assert engine.tables("mart__canon_staging") == []


def _check_without_opex(engine: Engine) -> None:
    pnl = rows(engine, "SELECT * FROM mart.pnl_summary")
    assert pnl
    for r in pnl:
        assert r["operating_expense_cents"] is None and r["opex_kind"] is None
        assert r["opex_allocation_rule_applied"] is None and r["net_income_cents"] is None
        assert r["null_reason"] == "null:upstream_unavailable"
        if r["cost_of_service_cents"] is not None:  # v0: contribution margin is still served
            assert r["contribution_margin_cents"] == (
                r["recognized_revenue_cents"] - r["cost_of_service_cents"] - r["attributable_ad_spend_cents"]
            )


@pytest.mark.xdist_group("lessons_duckdb")
def test_without_the_opex_feed_on_duckdb(world: World, tmp_path: Path) -> None:
    engine = connect("duckdb", path=_copy_world(world, tmp_path))
    assert isinstance(engine, DuckDBEngine)
    engine.conn.execute("DROP TABLE finance.cash_balance_entries")
    report = build_mart(engine, world.contracts(), as_of=AS_OF)
    assert report.grouping("pnl_summary").unavailable_sources == ("finance.cash_balance_entries",)
    _check_without_opex(engine)
    with_opex = rows(connect("duckdb", path=world.warehouse, read_only=True), "SELECT 1 AS one")  # world untouched
    assert with_opex == [{"one": 1}]


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.xdist_group("lessons_pg")
def test_without_the_opex_feed_on_postgres(world: World, pg_server: str) -> None:
    silver = connect("duckdb", path=world.warehouse, read_only=True)
    engine = connect("postgres", dsn=fresh_database(pg_server, "lessons_no_opex"))
    copy_schemas(silver, engine, schemas=["spine", "revenue", "coaching", "delivery"])  # type: ignore[arg-type]
    build_mart(engine, world.contracts(), as_of=AS_OF)
    _check_without_opex(engine)
    engine.close()


@pytest.mark.xdist_group("lessons_duckdb")
def test_without_direct_cost_facts(world: World, tmp_path: Path) -> None:
    engine = connect("duckdb", path=_copy_world(world, tmp_path))
    assert isinstance(engine, DuckDBEngine)
    engine.conn.execute("DROP TABLE coaching.coach")
    build_mart(engine, world.contracts(), as_of=AS_OF)
    margin = rows(engine, "SELECT * FROM mart.margin")
    assert all(r["direct_cost_cents"] is None and r["null_reason"] == "null:upstream_unavailable" for r in margin)
    statuses = rows(
        engine,
        "SELECT figure_name, reconciliation_status AS s, variance_reason AS why, count(*) AS n "
        "FROM mart.reconciliation WHERE figure_name IN ('margin_cost', 'gross_margin') GROUP BY ALL",
    )
    assert {r["s"] for r in statuses} == {"not_reconcilable_missing_source"}  # never reconciled from revenue alone
    assert all("absent from silver" in r["why"] for r in statuses)
    assert (
        rows(engine, "SELECT count(*) AS n FROM mart.pnl_summary WHERE cost_of_service_cents IS NOT NULL")[0]["n"] == 0
    )


def test_missing_required_source_names_the_contract(world: World, tmp_path: Path) -> None:
    engine = connect("duckdb", path=_copy_world(world, tmp_path))
    assert isinstance(engine, DuckDBEngine)
    engine.conn.execute("DROP TABLE revenue.refund_item")
    with pytest.raises(UserError) as err:
        build_mart(engine, world.contracts(), as_of=AS_OF)
    assert "revenue.refund_item" in err.value.render() and ".yml:" in err.value.render()
    assert engine.tables("mart") == [] and engine.tables("mart__canon_staging") == []


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ('SELECT o.order_id AS reporting_period FROM revenue."order" AS o', "not listed under composition.sources"),
        ("SELECT canon_policy('_nope') AS reporting_period FROM revenue.recognition", "policy parameter `_nope`"),
        ("SELECT * FROM revenue.recognition", "uses `*`"),
        ("SELECT recognition_period AS reporting_period FROM revenue.recognition GROUP BY 1", "unknown column(s)"),
        ("DROP_SLUG", "`organization_slug` of `revenue_recognition` is produced by nothing"),
        ("SELEC 1", "does not parse"),
    ],
)
def test_contract_mistakes_are_reported_with_their_line(world: World, sql: str, message: str) -> None:
    engine = connect("duckdb", path=world.warehouse, read_only=True)
    contracts = [c for c in world.contracts() if c.name == "revenue_recognition"]
    if sql == "DROP_SLUG":
        real = contracts[0].spec.composition.sql  # type: ignore[union-attr]
        sql = real.replace("  g.organization_slug,\n", "").replace("g.organization_slug, ", "")
    with pytest.raises((ContractError, CanonError)) as err:
        build_mart(engine, [_with_sql(contracts[0], sql)], as_of=AS_OF)
    text = err.value.render()
    assert message in text, text
    assert "revenue_recognition.yml:" in text


def test_served_column_type_family_is_checked() -> None:
    from canon.mart.validate import ACCEPTS, type_family

    assert type_family("DOUBLE") == "float" and "float" not in ACCEPTS["integer"]
    assert type_family("numeric") == "exact" and type_family("DECIMAL(38,0)") == "exact"
    assert type_family("timestamp with time zone") == "timestamp"
    assert type_family("character varying") == "string"
    assert ServedColumn(name="x", type="integer").nullable is False
