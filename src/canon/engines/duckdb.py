"""DuckDB: the embedded default, one file in the project, no server."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from canon.engines.base import Engine
from canon.engines.render import render
from canon.errors import EngineError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from sqlglot import exp


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = "duckdb"
    default_schema = "main"
    has_try_cast = True
    json_object_function = "json_object"
    # One open file admits one read-write process, and `canon serve` hands each thread a
    # cursor on one shared connection; nothing cross-process to lock beyond that.

    def __init__(
        self,
        path: str | Path = ":memory:",
        read_only: bool = False,
        connection: Any = None,
        memory_limit: str | None = None,
        threads: int | None = None,
    ) -> None:
        import duckdb

        self.path = str(path)
        try:
            self.conn: duckdb.DuckDBPyConnection = connection or self._connect(read_only)
        except duckdb.Error as exc:
            hint = ""
            if "lock" in str(exc).lower():
                hint = (
                    " Fix: another process has this file open for writing, or this command needs to write"
                    " while one reads it (e.g. `canon serve`); stop that process and run this again."
                )
            raise EngineError(f"cannot open DuckDB file {self.path}: {exc}{hint}") from None
        if memory_limit or threads:
            from sqlglot import exp  # settings are trees: a typed value stays a literal

            if memory_limit:
                self._set("memory_limit", exp.Literal.string(memory_limit))
            if threads:
                self._set("threads", exp.Literal.number(int(threads)))

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file; read-only when another process reads it (`canon serve`), so reading commands still work.

        Writers never need the live file for writing: `canon load` and `canon mart build` write a
        new version beside it and swap it in (`engines/versions.py`). A command that does write
        through this connection is then told by DuckDB that the file is open read-only.
        """
        import duckdb

        try:
            return duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            if read_only or "lock" not in str(exc).lower() or self.path == ":memory:":
                raise
            return duckdb.connect(self.path, read_only=True)

    def _set(self, setting: str, value: exp.Expr) -> None:
        """A DuckDB setting as a tree: the value is a quoted literal even when a user typed it."""
        import duckdb
        from sqlglot import exp

        item = exp.SetItem(this=exp.EQ(this=exp.column(setting), expression=value))
        try:
            self.conn.execute(self.render(exp.Set(expressions=[item])))
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB refused `{setting}` = {render(value, 'duckdb')}: {exc}") from None

    def execute(self, query: exp.Expression | str, params: Mapping[str, Any] | None = None) -> pa.Table:
        import duckdb
        import pyarrow as pa

        sql = self.render(query)
        try:
            relation = self.conn.sql(sql, params=dict(params)) if params else self.conn.sql(sql)
            return relation.to_arrow_table() if relation is not None else pa.table({})
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB failed: {exc}\nSQL: {sql}") from None

    def run(self, statements: Iterable[exp.Expression | str]) -> None:
        import duckdb

        cur = self.conn.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            for st in statements:
                cur.execute(self.render(st))
            cur.execute("COMMIT")
        except duckdb.Error as exc:
            cur.execute("ROLLBACK")
            raise EngineError(f"DuckDB failed: {exc}") from None

    def columns(self, table: str, schema: str | None = None) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = ? ORDER BY ordinal_position",
            [table, schema or self.default_schema],
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def tables(self, schema: str | None = None) -> list[str]:
        rows = self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
            [schema or self.default_schema],
        ).fetchall()
        return [r[0] for r in rows]

    def thread_handle(self) -> DuckDBEngine:
        """A cursor on the same open database: cheap, and safe to use from another thread."""
        return DuckDBEngine(connection=self.conn.cursor())

    def close(self) -> None:
        self.conn.close()
