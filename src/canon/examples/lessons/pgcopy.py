"""Copy the example's schemas from its DuckDB warehouse into PostgreSQL (DuckDB CSV → COPY).

Tests and benchmarks run the same mart on PostgreSQL with the same rows; the copy itself is
`canon.engines.transfer.copy_to_postgres` (equivalent types, COPY in chunks, ANALYZE).
"""

from __future__ import annotations

from collections.abc import Iterable

from canon.engines.duckdb import DuckDBEngine
from canon.engines.postgres import PostgresEngine
from canon.engines.transfer import copy_to_postgres
from canon.examples.lessons.schema import GROWTH_SCHEMA, SILVER_SCHEMAS


def copy_schemas(
    src: DuckDBEngine, dst: PostgresEngine, schemas: Iterable[str] = (*SILVER_SCHEMAS, GROWTH_SCHEMA)
) -> dict[str, int]:
    """Recreate every table of `schemas` in PostgreSQL and copy the rows; returns rows per table."""
    copied: dict[str, int] = {}
    for schema in schemas:
        copied.update(copy_to_postgres(src, dst, src.tables(schema), src_schema=schema, dst_schema=schema))
    return copied
