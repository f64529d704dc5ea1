"""Loading into DuckDB: the file is read by the warehouse itself, tables swapped by rename.

DuckDB has transactional DDL: the new table is built under `<table>__canon_new`, the old one
dropped and the new one renamed, all inside the load's one transaction. A failure — or the
process dying — before COMMIT leaves the file exactly as it was (the WAL holds no committed
trace of the attempt), so readers see the old tables or the new ones, never a mix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import duckdb
from sqlglot import exp

from canon.engines.duckdb import DuckDBEngine
from canon.errors import EngineError
from canon.load.backend import Backend, drop
from canon.load.files import LoadTarget
from canon.load.staging import Staged, drop_staging, stage_file


class DuckDBBackend(Backend):
    default_schema = "main"
    engine: DuckDBEngine

    def __init__(self, engine: DuckDBEngine, memory_limit: str | None = None) -> None:
        self.engine = engine
        self.conn: duckdb.DuckDBPyConnection = self.engine.conn
        if memory_limit:  # beyond it DuckDB spills temporary tables to <file>.tmp/
            self.conn.execute("SET memory_limit = ?", [memory_limit])
        self.label = engine.path
        # Line numbers rely on insertion order; timestamps without an offset mean UTC.
        self.conn.execute("SET enable_progress_bar = false")
        self.conn.execute("SET preserve_insertion_order = true")
        self.conn.execute("SET TimeZone = 'UTC'")

    def run(self, tree: exp.Expr) -> None:
        sql = self.render(tree)
        try:
            self.conn.execute(sql)
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB failed: {exc}\nSQL: {sql[:2000]}") from exc

    def rows(self, tree: exp.Expr) -> list[tuple[Any, ...]]:
        sql = self.render(tree)
        try:
            return self.conn.execute(sql).fetchall()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB failed: {exc}\nSQL: {sql[:2000]}") from exc

    def stage(self, target: LoadTarget, index: int) -> Staged:
        return stage_file(self.conn, target, f"__canon_stage{index}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def kind(self, schema: str, name: str) -> str | None:
        found = self.conn.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchall()
        return str(found[0][0]) if found else None

    def replace(self, rel: exp.Table, query: exp.Select) -> None:
        new = self.build_beside(rel, query)
        self.run(drop(rel))
        self.run(exp.Alter(this=new.copy(), kind="TABLE", actions=[exp.AlterRename(this=exp.to_table(rel.name))]))

    def cleanup(self, staged: list[Staged]) -> None:
        for s in staged:
            with suppress(duckdb.Error):
                drop_staging(self.conn, s)
