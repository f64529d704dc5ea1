"""Engines by name, their facts, and canon.yml's warehouse block turned into a connection."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlglot import exp

from canon.config import WarehouseConfig
from canon.engines import ENGINES, connect, engine_class, sql_only
from canon.engines.dbt_adapter import DbtAdapterEngine
from canon.engines.duckdb import DuckDBEngine
from canon.engines.from_config import open_warehouse
from canon.engines.locks import exclusive
from canon.engines.postgres import PostgresEngine
from canon.errors import ConfigError, UserError


def test_registry_names_every_engine_by_its_canon_yml_name() -> None:
    assert {
        "duckdb": DuckDBEngine,
        "postgres": PostgresEngine,
        "spark": ENGINES["spark"],
        "dbt": DbtAdapterEngine,  # a dbt project's own profile target, through its adapter
    } == ENGINES
    assert engine_class("postgres") is PostgresEngine


def test_unknown_engine_lists_the_valid_names() -> None:
    with pytest.raises(UserError) as err:
        connect("oracle")
    assert "unknown engine `oracle`" in err.value.message
    assert err.value.fix == "use one of: duckdb, postgres, spark, dbt"
    with pytest.raises(UserError, match="did you mean `postgres`"):
        connect("postgress")


def test_engine_facts_replace_name_checks() -> None:
    duck, pg, spark = ENGINES["duckdb"], ENGINES["postgres"], ENGINES["spark"]
    assert [c.tables_in_schemas for c in (duck, pg, spark)] == [True, True, False]
    assert [c.can_serve for c in (duck, pg, spark)] == [True, True, False]
    assert [c.can_load for c in (duck, pg, spark)] == [True, True, False]
    assert [c.supports_advisory_locks for c in (duck, pg, spark)] == [False, True, False]
    assert [c.extra for c in (duck, pg, spark)] == [None, "postgres", "spark"]


def test_sql_facts_a_load_asks_for() -> None:
    duck, pg, spark = ENGINES["duckdb"], ENGINES["postgres"], ENGINES["spark"]
    assert [c.has_try_cast for c in (duck, pg, spark)] == [True, False, True]
    assert [c.json_object_function for c in (duck, pg, spark)] == ["json_object", "json_build_object", None]
    assert [c.widest_number_type for c in (duck, pg, spark)] == ["DOUBLE", "NUMERIC", "DOUBLE"]
    assert [c.smallest_integer_type for c in (duck, pg, spark)] == ["TINYINT", "SMALLINT", "TINYINT"]
    assert [c.text_type(12).sql(c.dialect) for c in (duck, pg, spark)] == ["TEXT", "VARCHAR(12)", "STRING"]
    assert [c.text_type().sql(c.dialect) for c in (duck, pg, spark)] == ["TEXT", "TEXT", "STRING"]
    fenced = [c.fence_subquery(exp.select("a").from_("t")).sql(c.dialect) for c in (duck, pg, spark)]
    assert fenced == ["SELECT a FROM t", "SELECT a FROM t OFFSET 0", "SELECT a FROM t"]


@pytest.mark.parametrize(
    ("dialect", "configured", "expected"),
    [
        ("duckdb", None, None),  # unqualified: DuckDB's search path finds main
        ("duckdb", "raw", "raw"),
        ("postgres", None, "public"),  # spelled out on PostgreSQL
        ("postgres", "main", "public"),  # a DuckDB-minded canon.yml still means the default
        ("postgres", "raw", "raw"),
        ("spark", "raw", None),  # temp views have no schema
        ("snowflake", "raw", "raw"),  # no engine of that name: taken as written
    ],
)
def test_source_schema_per_engine(dialect: str, configured: str | None, expected: str | None) -> None:
    assert sql_only(dialect).source_schema(configured) == expected


def test_sql_only_cannot_run() -> None:
    engine = sql_only("postgres")
    assert engine.name == "postgres" and engine.dialect == "postgres"
    with pytest.raises(NotImplementedError):
        engine.execute("SELECT 1")


def test_duckdb_path_is_relative_to_the_project(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with open_warehouse(tmp_path, WarehouseConfig(path="data/w.duckdb")) as engine:
        assert isinstance(engine, DuckDBEngine)
        assert engine.path == str(tmp_path / "data" / "w.duckdb")
    assert (tmp_path / "data" / "w.duckdb").exists()


def test_duckdb_file_is_created_writable_and_refused_read_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        open_warehouse(tmp_path, WarehouseConfig(), read_only=True)
    assert f"the warehouse {tmp_path / 'warehouse.duckdb'} does not exist" in err.value.message
    assert err.value.location.field == "warehouse.path" and "canon load" in (err.value.fix or "")
    open_warehouse(tmp_path, WarehouseConfig()).close()
    assert (tmp_path / "warehouse.duckdb").exists()
    with open_warehouse(tmp_path, WarehouseConfig(), read_only=True, threads=1) as engine:
        assert engine.scalar("SELECT current_setting('threads')") == 1


def test_postgres_dsn_from_an_unset_variable_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CANON_TEST_UNSET_DSN", raising=False)
    config = WarehouseConfig(engine="postgres", dsn="env:CANON_TEST_UNSET_DSN")
    with pytest.raises(ConfigError, match="CANON_TEST_UNSET_DSN is not set"):
        open_warehouse(Path("."), config)


def test_postgres_without_any_dsn_says_how_to_give_one() -> None:
    with pytest.raises(ConfigError) as err:
        open_warehouse(Path("."), WarehouseConfig(engine="postgres"))
    assert "needs a DSN" in err.value.message and "--dsn" in (err.value.fix or "")


def test_missing_postgres_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what an install without canon[postgres] looks like
    with pytest.raises(UserError) as err:
        open_warehouse(Path("."), WarehouseConfig(engine="postgres", dsn="postgresql://nobody@127.0.0.1:1/none"))
    assert "needs the Python package `psycopg`" in err.value.message
    assert "pip install 'canon[postgres]'" in (err.value.fix or "")
    assert err.value.exit_code == 2


def test_missing_spark_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(UserError) as err:
        open_warehouse(tmp_path, WarehouseConfig(engine="spark", spark_tables={"t": "t.parquet"}))
    assert "pip install 'canon[spark]'" in (err.value.fix or "")


def test_advisory_lock_is_a_no_op_where_the_engine_has_none() -> None:
    engine = DuckDBEngine()
    with exclusive(engine, "mart", "a mart build"), exclusive(engine, "mart", "a mart build"):
        pass  # DuckDB: the file lock already admits one writer; nothing to take twice
