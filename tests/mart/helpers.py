"""Small helpers for the mart tests: read tables as Python rows, run hand-written SQL on silver."""

from __future__ import annotations

from typing import Any

import polars as pl

from canon.engines import Engine
from canon.engines.duckdb import DuckDBEngine


def rows(engine: Engine, sql: str) -> list[dict[str, Any]]:
    """Rows of a hand-written query (test code, not product code: plain SQL text is fine here)."""
    return engine.execute(sql).to_pylist()


def frame(engine: Engine, sql: str) -> pl.DataFrame:
    return pl.from_arrow(engine.execute(sql))  # type: ignore[return-value]


def silver(eng: DuckDBEngine, table: str) -> pl.DataFrame:
    return frame(eng, f"SELECT * FROM {table}")


def round_half_away(num: int, den: int) -> int:
    """Exact round(num / den), halves away from zero, for den > 0 (integers only, no floats)."""
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def key(row: dict[str, Any], *cols: str) -> tuple[Any, ...]:
    return tuple(row[c] for c in cols)
