"""The dbt adapter engine: SQL per adapter dialect (golden + sqlglot round trip), rows → exact Arrow.

Snowflake, BigQuery, Databricks and Redshift cannot run here; what canon would send them is
pinned by golden files and must parse back in that dialect to the same text. Regenerate:
CANON_UPDATE_GOLDEN=1 pytest tests/engines/test_dbt_adapter.py
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from canon.dbt.adapter import ADAPTER_DIALECTS, dialect_for
from canon.engines import ENGINES
from canon.engines.dbt_adapter import DbtAdapterEngine, bind_literals, rows_to_arrow
from canon.engines.render import render
from canon.errors import ConfigError
from canon.project import Project
from tests.compiler.conftest import tiny, tiny_root  # noqa: F401 - fixtures shared with the compiler tests

GOLDEN = Path(__file__).parent / "golden_dbt"
ADAPTERS = ("snowflake", "bigquery", "databricks", "redshift")


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_sql_for_each_adapter_is_golden_and_parses_back(tiny: Project, adapter: str) -> None:  # noqa: F811
    dialect = dialect_for(adapter)
    question = tiny.question(["mrr"], by=["segment"], period_from="2026-07", period_to="2026-10")
    tree = tiny.compile(question, DialectOnlyFor(dialect))
    sql = render(tree, dialect, pretty=True)
    again = render(sqlglot.parse_one(sql, read=dialect), dialect, pretty=True)
    assert again == sql, f"{adapter}: the SQL does not survive a round trip through sqlglot's {dialect} parser"
    path = GOLDEN / f"mrr_by_segment.{adapter}.sql"
    if os.environ.get("CANON_UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(sql + "\n")
        if os.environ.get("CANON_UPDATE_GOLDEN") != "1":
            pytest.fail(f"golden file {path.name} was missing and has been written; review and commit it")
    assert sql + "\n" == path.read_text(), f"SQL for {adapter} changed; rerun with CANON_UPDATE_GOLDEN=1 if intended"


def DialectOnlyFor(dialect: str) -> object:
    from canon.engines import sql_only

    return sql_only(dialect)


def test_adapter_types_map_to_sqlglot_dialects_sqlglot_has() -> None:
    from sqlglot.dialects.dialect import Dialect

    for adapter, dialect in ADAPTER_DIALECTS.items():
        assert Dialect.get(dialect) is not None, f"{adapter} → {dialect} is not a sqlglot dialect"
    with pytest.raises(ConfigError) as err:
        dialect_for("mystery")
    assert "mystery" in str(err.value) and "snowflake" in err.value.render()


def test_registered_as_dbt_and_not_for_bulk_work() -> None:
    assert ENGINES["dbt"] is DbtAdapterEngine
    assert not DbtAdapterEngine.can_load and not DbtAdapterEngine.can_serve


def test_rows_to_arrow_keeps_money_exact_and_types_from_values() -> None:
    table = rows_to_arrow(
        ["amount", "cents", "ratio", "day", "at", "name", "flag", "nothing", "huge"],
        [
            (
                Decimal("1234.50"),
                123450,
                0.5,
                dt.date(2026, 10, 1),
                dt.datetime(2026, 10, 1, 9),
                "a",
                True,
                None,
                2**70,
            ),
            (Decimal("0.05"), None, 1, None, None, None, False, None, 1),
        ],
    )
    assert table.schema.field("amount").type == pa.decimal128(38, 2)
    assert table.column("amount").to_pylist() == [Decimal("1234.50"), Decimal("0.05")]
    assert table.schema.field("cents").type == pa.int64()
    assert table.schema.field("ratio").type == pa.float64()
    assert table.schema.field("day").type == pa.date32()
    assert table.schema.field("at").type == pa.timestamp("us")
    assert table.schema.field("name").type == pa.string()
    assert table.schema.field("flag").type == pa.bool_()
    assert table.column("nothing").null_count == 2
    assert table.schema.field("huge").type == pa.decimal128(38, 0)
    assert table.column("huge").to_pylist() == [Decimal(2**70), Decimal(1)]
    assert rows_to_arrow(["x"], []).num_rows == 0


def test_bound_values_become_escaped_literals_never_text() -> None:
    query = exp.select("id").from_("t").where(exp.EQ(this=exp.column("name"), expression=exp.Placeholder(this="n")))
    bound = bind_literals(query, {"n": "x' OR 1=1 --"})
    assert render(bound, "postgres") == 'SELECT "id" FROM "t" WHERE "name" = \'x\'\' OR 1=1 --\''
    for dialect in ("snowflake", "bigquery", "databricks", "redshift"):  # each escapes its own way
        back = sqlglot.parse_one(render(bound, dialect), read=dialect)
        assert back.find(exp.Literal).this == "x' OR 1=1 --", dialect
    dated = bind_literals(exp.select(exp.Placeholder(this="d")), {"d": dt.date(2026, 10, 1)})
    assert render(dated, "bigquery") == "SELECT CAST('2026-10-01' AS DATE)"
    with pytest.raises(Exception, match="no value bound"):
        bind_literals(query, {})
