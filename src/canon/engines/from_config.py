"""The one place canon.yml's `warehouse:` block becomes a connection.

The project facade, `canon serve`, `canon load`, `canon mart` and the demo each used to
turn the configuration into a connection themselves, and drifted apart (one resolved
`env:VAR` DSNs, one did not; one said the DuckDB file was missing, the others created an
empty one). Every caller now comes through `open_warehouse`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from canon.engines import ENGINES, Engine, engine_class
from canon.engines.dbt_adapter import DbtAdapterEngine
from canon.engines.duckdb import DuckDBEngine
from canon.engines.postgres import PostgresEngine
from canon.engines.spark import SparkEngine
from canon.errors import ConfigError, Location

if TYPE_CHECKING:
    from canon.config import DbtConfig, WarehouseConfig

DEFAULT_DUCKDB_FILE = "warehouse.duckdb"
_CONFIG = "canon.yml"


def duckdb_path(root: Path, warehouse: WarehouseConfig) -> Path:
    """The DuckDB file of a project: `warehouse.path`, relative to the project folder."""
    return root / (warehouse.path or DEFAULT_DUCKDB_FILE)


def missing_warehouse(root: Path, warehouse: WarehouseConfig) -> str | None:
    """Why canon.yml's DuckDB warehouse is not there (None: it is, or it is not a DuckDB file).

    Checked before opening, because opening a DuckDB file that does not exist creates it empty.
    """
    cls = ENGINES.get(warehouse.engine)
    if cls is None or not issubclass(cls, DuckDBEngine):
        return None
    file = duckdb_path(root, warehouse)
    return None if file.exists() else f"the DuckDB file {file} does not exist"


def open_warehouse(
    root: Path,
    warehouse: WarehouseConfig,
    *,
    read_only: bool = False,
    threads: int | None = None,
    memory_limit: str | None = None,
    dsn: str | None = None,
    engine: str | None = None,
    path: str | Path | None = None,
    dbt: DbtConfig | None = None,
) -> Engine:
    """Connect to the project's warehouse as configured, with command-line overrides.

    `dsn` (a `--dsn` flag) means PostgreSQL at that address; `engine` (an `--engine` flag)
    picks another engine than canon.yml's; `path` replaces the DuckDB file. The configured
    `warehouse.schema` applies only to the configured engine. Opening a DuckDB file that
    does not exist read-only is a UserError that says how to create it (a writable open
    creates it, which is what `canon load` wants). The `dbt` engine (a dbt project whose
    canon.yml has no `warehouse:` block) opens the adapter of the profile target that `dbt`
    (canon.yml's `dbt:` block: profile folder, target) names, or dbt's own default one.
    """
    kind = engine or ("postgres" if dsn else None) or warehouse.engine
    where = Location(parameter="engine") if engine else Location(file=_CONFIG, field="warehouse.engine")
    cls = engine_class(kind, location=where)
    schema = warehouse.schema_ if kind == warehouse.engine else None
    if issubclass(cls, DuckDBEngine):
        file = Path(path) if path else duckdb_path(root, warehouse)
        if read_only and not file.exists():
            raise ConfigError(
                f"the warehouse {file} does not exist",
                location=Location(file=_CONFIG, field="warehouse.path"),
                fix=(
                    "create it first: `canon load` for sources, `dbt build` for a dbt project, "
                    "or `canon init --example lessons DIR`"
                ),
            )
        return cls(file, read_only=read_only, memory_limit=memory_limit, threads=threads)
    if issubclass(cls, PostgresEngine):
        resolved = dsn or warehouse.resolved_dsn()
        if not resolved:
            raise ConfigError(
                "a PostgreSQL warehouse needs a DSN",
                location=Location(parameter="dsn") if engine else Location(file=_CONFIG, field="warehouse.dsn"),
                fix="pass --dsn postgresql://user@host:5432/db or set warehouse.dsn in canon.yml",
            )
        return cls(resolved, schema=schema)
    if issubclass(cls, DbtAdapterEngine):
        project_dir, profiles_dir, target = _dbt_place(root, dbt)
        return cls(project_dir, profiles_dir=profiles_dir, target=target, schema=schema)
    if issubclass(cls, SparkEngine):
        tables = {name: str(root / relative) for name, relative in warehouse.spark_tables.items()}
        return cls(tables=tables)
    raise ConfigError(f"canon cannot open a `{kind}` warehouse from canon.yml", location=where)


def _dbt_place(root: Path, dbt: DbtConfig | None) -> tuple[Path, Path | None, str | None]:
    """(dbt project folder, explicit profiles folder or None, explicit target or None)."""
    if dbt is None:
        return root, None, None
    project_dir = (root / dbt.project_dir).resolve()
    profiles_dir = (root / dbt.profiles_dir).resolve() if dbt.profiles_dir else None
    return project_dir, profiles_dir, dbt.target


def warehouse_dialect(root: Path, warehouse: WarehouseConfig, dbt: DbtConfig | None = None) -> str:
    """The SQL dialect the configured warehouse speaks, without connecting to it.

    A native engine's is a fact of its class; a dbt adapter's is that of its profile target's
    adapter type (the profile is read, no connection is opened).
    """
    cls = engine_class(warehouse.engine, location=Location(file=_CONFIG, field="warehouse.engine"))
    if not issubclass(cls, DbtAdapterEngine):
        return cls.dialect
    from canon.dbt.adapter import dialect_for
    from canon.dbt.profile import resolve_target

    project_dir, profiles_dir, target = _dbt_place(root, dbt)
    resolved = resolve_target(project_dir, profiles_dir=profiles_dir, target=target)
    return dialect_for(resolved.adapter_type, location=Location(file=_CONFIG, field="warehouse.engine"))
