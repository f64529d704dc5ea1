"""Copy tables from DuckDB into PostgreSQL or Spark, in bulk and without Python row loops.

Tests and benchmarks use this to put the same data behind every engine: PostgreSQL gets a
CSV stream through COPY (DuckDB writes the CSV), Spark reads Parquet that DuckDB writes.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

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


_PG_TYPES = {
    "VARCHAR": "TEXT",
    "TIMESTAMP_MS": "TIMESTAMP(3)",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "HUGEINT": "NUMERIC(38, 0)",
    "DOUBLE": "DOUBLE PRECISION",
    "JSON": "JSONB",
}


def postgres_type(duckdb_type: str) -> exp.DataType:
    """The PostgreSQL type holding a DuckDB column's values unchanged."""
    t = duckdb_type.upper()
    t = _PG_TYPES.get(t, t)
    t = re.sub(r"^DECIMAL", "NUMERIC", t)
    return exp.DataType.build(t, dialect="postgres")


def copy_to_postgres(
    src: DuckDBEngine, dst: PostgresEngine, tables: Iterable[str], src_schema: str = "main", dst_schema: str = "public"
) -> dict[str, int]:
    """Recreate each table in PostgreSQL with equivalent types, COPY the rows in 1 MiB chunks, ANALYZE.

    Returns rows per table (counted in PostgreSQL after the copy).
    """
    copied: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="canon-copy-") as tmp:
        dst.run([create_schema(dst_schema)])
        for name in tables:
            columns = src.columns(name, src_schema)
            target = exp.table_(name, db=dst_schema)
            types = {col: postgres_type(typ) for col, typ in columns.items()}
            dst.run([drop_table(target), create_table(target, types)])
            path = Path(tmp) / f"{src_schema}.{name}.csv"
            _copy_to_file(src, exp.table_(name, db=src_schema), path, "csv")
            with path.open("rb") as fh:
                dst.copy_csv(target, list(columns), iter(lambda: fh.read(1 << 20), b""))
            dst.run([exp.Analyze(tables=[target.copy()])])
            path.unlink()
            count = dst.scalar(exp.select(exp.Count(this=exp.Star())).from_(target))
            copied[f"{dst_schema}.{name}"] = int(count) if isinstance(count, int) else 0
    return copied


def copy_to_spark(
    src: DuckDBEngine, dst: SparkEngine, tables: Iterable[str], folder: Path, schema: str = "main"
) -> None:
    """Write each table as Parquet under `folder` and register it as a Spark view of that name."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in tables:
        path = folder / f"{name}.parquet"
        _copy_to_file(src, exp.table_(name, db=schema), path, "parquet")
        dst.register_parquet(name, path)
