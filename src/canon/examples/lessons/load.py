"""Create the silver schemas in DuckDB and append Arrow tables to them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from canon.engines.ddl import create_schema, create_table, drop_table
from canon.engines.render import render
from canon.examples.lessons.schema import TABLES


def _render(node: exp.Expression) -> str:
    return render(node, "duckdb")


def create_tables(conn: Any, names: list[str]) -> None:
    for schema in dict.fromkeys(n.split(".")[0] for n in names):
        conn.execute(_render(create_schema(schema)))
    for name in names:
        schema, table = name.split(".")
        target = exp.table_(table, db=schema)
        conn.execute(_render(drop_table(target)))
        cols = {c: exp.DataType.build(t, dialect="duckdb") for c, t in TABLES[name]}
        conn.execute(_render(create_table(target, cols)))


def append(conn: Any, name: str, table: pa.Table) -> None:
    """Append rows in the table's declared column order (names must match exactly)."""
    expected = [c for c, _ in TABLES[name]]
    if table.column_names != expected:
        raise ValueError(f"{name}: columns {table.column_names} != {expected}")
    if table.num_rows == 0:
        return
    schema, tbl = name.split(".")
    conn.register("_canon_chunk", table)
    try:
        insert = exp.insert(exp.select("*").from_("_canon_chunk"), exp.table_(tbl, db=schema))
        conn.execute(_render(insert))
    finally:
        conn.unregister("_canon_chunk")


class Sink:
    """Buffers appended tables and writes each in large batches: one INSERT costs ~10 ms however
    small, so thousands of per-org_market pieces are grouped, up to `limit` rows per batch."""

    def __init__(self, conn: Any, limit: int = 2_000_000) -> None:
        self.conn = conn
        self.limit = limit
        self.pending: dict[str, list[pa.Table]] = {}
        self.rows: dict[str, int] = {}

    def __call__(self, name: str, table: pa.Table) -> None:
        self.pending.setdefault(name, []).append(table)
        self.rows[name] = self.rows.get(name, 0) + table.num_rows
        if self.rows[name] >= self.limit:
            self._flush(name)

    def _flush(self, name: str) -> None:
        parts = self.pending.pop(name, [])
        self.rows.pop(name, None)
        if parts:
            append(self.conn, name, pa.concat_tables(parts, promote_options="default"))

    def flush(self) -> None:
        for name in list(self.pending):
            self._flush(name)


def decimals(units: np.ndarray, precision: int, scale: int) -> pa.Array:
    """A decimal array from integer units of 10^-scale (exact, no float on the way)."""
    n = len(units)
    raw = np.zeros((n, 2), dtype=np.int64)
    raw[:, 0] = units
    raw[:, 1] = np.where(units < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(precision, scale), n, [None, pa.py_buffer(raw.tobytes())])
