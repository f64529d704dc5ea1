"""One warehouse connection per worker thread.

FastAPI runs synchronous endpoints on a thread pool; a DuckDB connection or a psycopg
connection must not be used by two threads at once. DuckDB hands out cheap per-thread cursors
on one open database (read-only by default: serving never writes); PostgreSQL gets one
connection per thread. Every connection is closed with the app.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from canon.config import ProjectConfig
from canon.engines import Engine, connect
from canon.errors import ConfigError, Location


class EnginePool:
    def __init__(self, root: Path, config: ProjectConfig, read_only: bool = True, threads: int | None = None) -> None:
        self._root = root
        self._config = config
        self._read_only = read_only
        self._threads = threads
        self._local = threading.local()
        self._all: list[Engine] = []
        self._lock = threading.Lock()
        self._base: Engine | None = None
        wh = config.warehouse
        if wh.engine == "spark":
            raise ConfigError(
                "canon serve reads DuckDB or PostgreSQL warehouses, not Spark",
                location=Location(file="canon.yml", field="warehouse.engine"),
                fix="serve a DuckDB or PostgreSQL copy of the warehouse",
            )

    @property
    def dialect(self) -> str:
        return "postgres" if self._config.warehouse.engine == "postgres" else "duckdb"

    def _open(self) -> Engine:
        wh = self._config.warehouse
        if wh.engine == "postgres":
            return connect("postgres", dsn=wh.resolved_dsn(), schema=wh.schema_)
        from canon.engines.duckdb import DuckDBEngine

        with self._lock:
            if self._base is None:
                path = self._root / (wh.path or "warehouse.duckdb")
                if not path.exists():
                    raise ConfigError(
                        f"the warehouse {path} does not exist",
                        location=Location(file="canon.yml", field="warehouse.path"),
                        fix=(
                            "create it first: `canon load` for sources, `dbt build` for a dbt project, "
                            "or `canon init --example lessons DIR`"
                        ),
                    )
                self._base = DuckDBEngine(path, read_only=self._read_only, threads=self._threads)
            base = self._base
        assert isinstance(base, DuckDBEngine)
        return DuckDBEngine(connection=base.conn.cursor())

    def get(self) -> Engine:
        engine: Engine | None = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._open()
            self._local.engine = engine
            with self._lock:
                self._all.append(engine)
        return engine

    def close(self) -> None:
        with self._lock:
            engines, self._all = self._all, []
            base, self._base = self._base, None
        for engine in engines:
            with contextlib.suppress(Exception):  # shutting down: nothing left to do about it
                engine.close()
        if base is not None:
            base.close()
        self._local = threading.local()
