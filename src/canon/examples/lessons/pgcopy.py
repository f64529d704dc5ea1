"""Copy the example's schemas from its DuckDB warehouse into PostgreSQL (DuckDB CSV → COPY).

Tests and benchmarks run the same mart on PostgreSQL with the same rows: each table is
recreated with the equivalent PostgreSQL types, streamed through COPY in 1 MiB chunks (no
Python row loop), then ANALYZEd so the planner knows its size.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from psycopg import sql as pgsql
from sqlglot import exp

from canon.engines.ddl import create_schema, create_table, drop_table
from canon.engines.duckdb import DuckDBEngine
from canon.engines.postgres import PostgresEngine
from canon.examples.lessons.schema import GROWTH_SCHEMA, SILVER_SCHEMAS

_TYPES = {
    "VARCHAR": "TEXT",
    "TIMESTAMP_MS": "TIMESTAMP(3)",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "HUGEINT": "NUMERIC(38, 0)",
    "DOUBLE": "DOUBLE PRECISION",
    "JSON": "JSONB",
}


def postgres_type(duckdb_type: str) -> exp.DataType:
    t = duckdb_type.upper()
    t = _TYPES.get(t, t)
    t = re.sub(r"^DECIMAL", "NUMERIC", t)
    return exp.DataType.build(t, dialect="postgres")


def copy_schemas(
    src: DuckDBEngine, dst: PostgresEngine, schemas: Iterable[str] = (*SILVER_SCHEMAS, GROWTH_SCHEMA)
) -> dict[str, int]:
    """Recreate every table of `schemas` in PostgreSQL and copy the rows; returns rows per table."""
    copied: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="canon-pgcopy-") as tmp:
        for schema in schemas:
            dst.run([create_schema(schema)])
            for name in src.tables(schema):
                columns = src.columns(name, schema)
                target = exp.table_(name, db=schema)
                types = {c: postgres_type(t) for c, t in columns.items()}
                dst.run([drop_table(target), create_table(target, types)])
                path = Path(tmp) / f"{schema}.{name}.csv"
                copy_out = exp.Copy(
                    this=exp.table_(name, db=schema),
                    kind=False,
                    files=[exp.Literal.string(str(path))],
                    params=[
                        exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("csv")),
                        exp.CopyParameter(this=exp.var("HEADER"), expression=exp.false()),
                    ],
                )
                src.conn.execute(src.render(copy_out))
                copy_in = pgsql.SQL("COPY {}.{} ({}) FROM STDIN (FORMAT csv)").format(
                    pgsql.Identifier(schema),
                    pgsql.Identifier(name),
                    pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns),
                )
                with dst.conn.cursor() as cur:
                    with cur.copy(copy_in) as copy, path.open("rb") as fh:
                        while chunk := fh.read(1 << 20):
                            copy.write(chunk)
                    cur.execute(pgsql.SQL("ANALYZE {}.{}").format(pgsql.Identifier(schema), pgsql.Identifier(name)))
                path.unlink()
                copied[f"{schema}.{name}"] = int(dst.scalar(exp.select(exp.Count(this=exp.Star())).from_(target)) or 0)  # type: ignore[call-overload]
    return copied
