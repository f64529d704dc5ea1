"""Apache Spark (pyspark): the engine for data beyond one machine; local mode in tests.

Tables are registered as temporary views over Parquet files (or given DataFrames), so the
same compiled SQL reads the same data it reads on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from canon.engines.base import Engine, require_driver
from canon.errors import EngineError

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp


def build_local_session(app_name: str = "canon", cores: int = 2, memory: str = "2g") -> Any:
    """A local-mode SparkSession tuned for a small machine (few shuffle partitions, UTC)."""
    os.environ.setdefault("PYSPARK_PYTHON", "python3")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    pyspark_sql = require_driver("pyspark.sql", "spark", "spark")
    session = (
        pyspark_sql.SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", memory)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(Engine):
    name = "spark"
    dialect = "spark"
    default_schema = "default"
    extra = "spark"
    # Tables are session temporary views registered under their bare names.
    tables_in_schemas = False
    # A local session per process is a batch engine: serve a DuckDB or PostgreSQL copy, and
    # load files into one of those (Spark reads the Parquet they export).
    can_serve = False
    can_load = False
    # TRY_CAST since Spark 3.2 (sqlglot writes it as CAST, which returns NULL on a bad value
    # in canon's non-ANSI sessions).
    has_try_cast = True

    def __init__(self, session: Any = None, tables: Mapping[str, str | Path] | None = None) -> None:
        self.session = session or build_local_session()
        for name, path in (tables or {}).items():
            self.register_parquet(name, path)

    def register_parquet(self, name: str, path: str | Path) -> None:
        self.session.read.parquet(str(path)).createOrReplaceTempView(name)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.session.createDataFrame(table.to_pandas()).createOrReplaceTempView(name)

    def execute(self, query: exp.Expression | str, params: Mapping[str, Any] | None = None) -> pa.Table:
        sql = self.render(query)
        try:
            return self.session.sql(sql, args=dict(params) if params else None).toArrow()
        except Exception as exc:  # pyspark raises many unrelated classes
            raise EngineError(f"Spark failed: {exc}\nSQL: {sql}") from None

    def run(self, statements: Iterable[exp.Expression | str]) -> None:
        for st in statements:
            self.session.sql(self.render(st))

    def columns(self, table: str, schema: str | None = None) -> dict[str, str]:
        if not self.session.catalog.tableExists(table):
            return {}
        return {f.name: f.dataType.simpleString() for f in self.session.table(table).schema.fields}

    def tables(self, schema: str | None = None) -> list[str]:
        return sorted(t.name for t in self.session.catalog.listTables())
