"""Warehouse engines behind one small interface; drivers are imported only when used.

`ENGINES` maps each engine's canon.yml name to its class. Importing the classes is cheap
(no driver is imported until a connection is opened), so code can read an engine's facts
(`ENGINES["spark"].can_serve`) before deciding to connect at all.
"""

from __future__ import annotations

from typing import Any

from canon.engines.base import DialectOnly, Engine
from canon.engines.dbt_adapter import DbtAdapterEngine
from canon.engines.duckdb import DuckDBEngine
from canon.engines.postgres import PostgresEngine
from canon.engines.spark import SparkEngine
from canon.errors import ConfigError, Location, hint_or_list

ENGINES: dict[str, type[Engine]] = {
    cls.name: cls for cls in (DuckDBEngine, PostgresEngine, SparkEngine, DbtAdapterEngine)
}
ENGINE_NAMES = tuple(ENGINES)


def engine_class(name: str, *, location: Location | None = None) -> type[Engine]:
    """The class registered under `name`; an unknown name is a UserError listing the valid ones."""
    cls = ENGINES.get(name)
    if cls is None:
        raise ConfigError(f"unknown engine `{name}`", location=location, fix=hint_or_list(name, ENGINE_NAMES))
    return cls


def connect(name: str, **options: Any) -> Engine:
    """Open an engine by name: `duckdb` (path), `postgres` (dsn), `spark` (session or tables),
    `dbt` (project_dir, profiles_dir, target)."""
    return engine_class(name)(**options)


def sql_only(dialect: str) -> Engine:
    """An engine that only renders SQL for `dialect`, with the facts of the engine of that name if any."""
    return DialectOnly(dialect, ENGINES.get(dialect))


__all__ = ["ENGINES", "ENGINE_NAMES", "Engine", "connect", "engine_class", "sql_only"]
