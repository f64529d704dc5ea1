"""One warehouse connection per worker thread.

FastAPI runs synchronous endpoints on a thread pool; a DuckDB connection or a psycopg
connection must not be used by two threads at once. The warehouse is opened once (read-only
by default: serving never writes) and each thread gets the engine's own `thread_handle()`
(DuckDB: a cheap cursor on the one open database; PostgreSQL: its own connection). Every
handle is closed with the app.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from canon.config import ProjectConfig
from canon.engines import ENGINES, Engine, engine_class
from canon.engines.from_config import open_warehouse
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
        where = Location(file="canon.yml", field="warehouse.engine")
        self._class = engine_class(config.warehouse.engine, location=where)
        if not self._class.can_serve:
            servable = [name for name, cls in ENGINES.items() if cls.can_serve]
            raise ConfigError(
                f"canon serve cannot read a {config.warehouse.engine} warehouse",
                location=where,
                fix=f"serve a copy of the warehouse in one of: {', '.join(servable)}",
            )

    @property
    def dialect(self) -> str:
        return self._class.dialect

    def _open(self) -> Engine:
        with self._lock:
            if self._base is None:
                self._base = open_warehouse(
                    self._root, self._config.warehouse, read_only=self._read_only, threads=self._threads
                )
                self._base.restrict_external_access()  # a request's SQL reads the warehouse, never a file
            base = self._base
        return base.thread_handle()

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
