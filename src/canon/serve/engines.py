"""One warehouse connection per worker thread, reopened when a new version of the file is published.

FastAPI runs synchronous endpoints on a thread pool; a DuckDB connection or a psycopg
connection must not be used by two threads at once. The warehouse is opened once (read-only
by default: serving never writes) and each thread gets the engine's own `thread_handle()`
(DuckDB: a cheap cursor on the one open database; PostgreSQL: its own connection). Every
handle is closed with the app.

A DuckDB warehouse is never rewritten in place: `canon load` and `canon mart build` write a
new version beside it and rename it over the old one (`engines/versions.py`). The pool looks
at the file's identity (device, inode, mtime) when a thread asks for its handle; when it
changed, the new version is opened (read-only) and every thread moves to it at its next
request. A request already running finishes on the version it started on — a reader never
sees half of a load. The previous version is closed when its last thread handle has moved;
`on_new_version` callbacks (the serve caches) run once per swap.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

from canon.config import ProjectConfig
from canon.engines import ENGINES, Engine, engine_class
from canon.engines.duckdb import DuckDBEngine
from canon.engines.from_config import duckdb_path, open_warehouse
from canon.engines.versions import identity, open_version
from canon.errors import ConfigError, Location


class _Version:
    """One opened version of the warehouse and the thread handles still on it."""

    def __init__(self, base: Engine, ident: tuple[int, int, int] | None) -> None:
        self.base = base
        self.ident = ident
        self.handles = 0
        self.retired = False


class EnginePool:
    def __init__(self, root: Path, config: ProjectConfig, read_only: bool = True, threads: int | None = None) -> None:
        self._root = root
        self._config = config
        self._read_only = read_only
        self._threads = threads
        self._local = threading.local()
        self._all: list[Engine] = []
        self._lock = threading.Lock()
        self._version: _Version | None = None
        self._retired: list[_Version] = []
        self.on_new_version: list[Callable[[], None]] = []
        where = Location(file="canon.yml", field="warehouse.engine")
        self._class = engine_class(config.warehouse.engine, location=where)
        if not self._class.can_serve:
            servable = [name for name, cls in ENGINES.items() if cls.can_serve]
            raise ConfigError(
                f"canon serve cannot read a {config.warehouse.engine} warehouse",
                location=where,
                fix=f"serve a copy of the warehouse in one of: {', '.join(servable)}",
            )
        # A read-only DuckDB file is followed across versions; anything else is opened once.
        self._file = (
            duckdb_path(root, config.warehouse) if issubclass(self._class, DuckDBEngine) and read_only else None
        )

    @property
    def dialect(self) -> str:
        return self._class.dialect

    @property
    def version(self) -> tuple[int, int, int] | None:
        """The identity of the file version being served (None: not a DuckDB file, or not opened yet)."""
        return self._version.ident if self._version else None

    def _current(self) -> _Version:
        """The version to hand out now: opened on first use, reopened when the file was replaced (under the lock)."""
        ident = identity(self._file) if self._file is not None else None
        version = self._version
        if version is not None and (self._file is None or ident is None or ident == version.ident):
            return version
        if self._file is not None and ident is not None:
            base: Engine = open_version(self._file, threads=self._threads)
        else:
            base = open_warehouse(self._root, self._config.warehouse, read_only=self._read_only, threads=self._threads)
        self._version = _Version(base, ident)
        if version is not None:
            version.retired = True
            self._retired.append(version)
            self._close_idle()
            for callback in self.on_new_version:
                with contextlib.suppress(Exception):  # a cache that cannot clear must not stop serving
                    callback()
        return self._version

    def _close_idle(self) -> None:
        for v in [v for v in self._retired if v.handles == 0]:
            self._retired.remove(v)
            with contextlib.suppress(Exception):
                v.base.close()

    def get(self) -> Engine:
        engine: Engine | None = getattr(self._local, "engine", None)
        mine: _Version | None = getattr(self._local, "version", None)
        with self._lock:
            current = self._current()
            if engine is not None and mine is current:
                return engine
            if engine is not None and mine is not None:  # this thread moves to the new version
                with contextlib.suppress(Exception):
                    engine.close()
                if engine in self._all:
                    self._all.remove(engine)
                mine.handles -= 1
                self._close_idle()
            engine = current.base.thread_handle()
            current.handles += 1
            self._all.append(engine)
        self._local.engine, self._local.version = engine, current
        return engine

    def close(self) -> None:
        with self._lock:
            engines, self._all = self._all, []
            versions = [*self._retired, *([self._version] if self._version else [])]
            self._retired, self._version = [], None
        for engine in engines:
            with contextlib.suppress(Exception):  # shutting down: nothing left to do about it
                engine.close()
        for v in versions:
            with contextlib.suppress(Exception):
                v.base.close()
        self._local = threading.local()
