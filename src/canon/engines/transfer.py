"""Copy tables from DuckDB into PostgreSQL or Spark, in bulk and without Python row loops.

Tests and benchmarks use this to put the same data behind every engine: PostgreSQL gets a
CSV stream through COPY (DuckDB writes the CSV), Spark reads Parquet that DuckDB writes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from psycopg import sql as pgsql
from sqlglot import exp

from canon.engines.ddl import create_schema, create_table, drop_table
from canon.engines.duckdb import DuckDBEngine
from canon.engines.postgres import PostgresEngine
from canon.engines.spark import SparkEngine


def _copy_to_file(src: DuckDBEngine, table: exp.Table, path: Path, fmt: str) -> None:
    params = [exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var(fmt))]
    if fmt == "csv":
        params.append(exp.CopyParameter(this=exp.var("HEADER"), expression=exp.false()))
    copy = exp.Copy(
        this=exp.Subquery(this=exp.select("*").from_(table)),
        kind=False,
        files=[exp.Literal.string(str(path))],
        params=params,
    )
    src.conn.execute(src.render(copy))


def copy_to_postgres(
    src: DuckDBEngine,
    dst: PostgresEngine,
    tables: Iterable[str],
    src_schema: str = "main",
    dst_schema: str = "public",
) -> None:
    """Recreate each table in PostgreSQL with the same columns and types, then COPY the rows."""
    with tempfile.TemporaryDirectory(prefix="canon-copy-") as tmp:
        for name in tables:
            columns = src.columns(name, src_schema)
            target = exp.table_(name, db=dst_schema)
            types = {col: exp.DataType.build(typ, dialect="duckdb") for col, typ in columns.items()}
            dst.run([create_schema(dst_schema), drop_table(target), create_table(target, types)])
            path = Path(tmp) / f"{name}.csv"
            _copy_to_file(src, exp.table_(name, db=src_schema), path, "csv")
            copy_sql = pgsql.SQL("COPY {}.{} FROM STDIN (FORMAT csv)").format(
                pgsql.Identifier(dst_schema), pgsql.Identifier(name)
            )
            with dst.conn.cursor() as cur, cur.copy(copy_sql) as copy, path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)


def copy_to_spark(
    src: DuckDBEngine, dst: SparkEngine, tables: Iterable[str], folder: Path, schema: str = "main"
) -> None:
    """Write each table as Parquet under `folder` and register it as a Spark view of that name."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in tables:
        path = folder / f"{name}.parquet"
        _copy_to_file(src, exp.table_(name, db=schema), path, "parquet")
        dst.register_parquet(name, path)
