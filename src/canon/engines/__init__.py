"""Warehouse engines behind one small interface; drivers are imported only when used."""

from __future__ import annotations

from typing import Any

from canon.engines.base import Engine
from canon.errors import ConfigError, hint_or_list

ENGINE_NAMES = ("duckdb", "postgres", "spark")


def connect(kind: str, **options: Any) -> Engine:
    """Open an engine by name: `duckdb` (path), `postgres` (dsn), `spark` (session or tables)."""
    if kind == "duckdb":
        from canon.engines.duckdb import DuckDBEngine

        return DuckDBEngine(**options)
    if kind == "postgres":
        from canon.engines.postgres import PostgresEngine

        return PostgresEngine(**options)
    if kind == "spark":
        from canon.engines.spark import SparkEngine

        return SparkEngine(**options)
    raise ConfigError(f"unknown engine `{kind}`", fix=hint_or_list(kind, ENGINE_NAMES))


__all__ = ["ENGINE_NAMES", "Engine", "connect"]
