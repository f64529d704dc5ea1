"""Loading into PostgreSQL: DuckDB parses the file, COPY ships text rows, SQL does the rest.

The file is parsed by DuckDB into a scratch database on disk (bounded memory, the same line
numbering and malformed-row capture as a DuckDB load), then streamed in Arrow batches,
written as CSV text, into a session-temporary table over COPY. Every rule then runs in
PostgreSQL, so relationships are checked against the warehouse's own tables.

Replacing a table happens inside the load's transaction (PostgreSQL DDL is transactional).
A table with no dependent views is swapped by rename. A table that views depend on (dbt
models over a source, typically) cannot be dropped, so when its columns are unchanged it is
emptied and refilled in place — still inside the transaction, so readers wait for COMMIT
and then see the new rows; when its columns changed, the load stops with the views named.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
from sqlglot import exp

from canon.engines.postgres import PostgresEngine
from canon.engines.render import render
from canon.errors import EngineError, LoadError, Location
from canon.load.backend import Backend, drop, iter_batches, table
from canon.load.files import LoadTarget
from canon.load.staging import Staged, drop_staging, stage_file
from canon.load.validate import LINE, raw_name
from canon.sqltree import col

BATCH_ROWS = 100_000

_DEPENDENTS = """
SELECT DISTINCT vn.nspname || '.' || v.relname
FROM pg_depend d
JOIN pg_rewrite r ON r.oid = d.objid
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE d.classid = 'pg_rewrite'::regclass AND tn.nspname = %s AND t.relname = %s AND v.oid <> t.oid
ORDER BY 1
"""

_SHAPE = """
SELECT column_name, data_type, numeric_precision, numeric_scale, character_maximum_length
FROM information_schema.columns WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position
"""


class PostgresBackend(Backend):
    default_schema = "public"
    engine: PostgresEngine

    def __init__(self, engine: PostgresEngine, memory_limit: str | None = "1GB") -> None:
        import duckdb
        import psycopg

        self._driver_error = psycopg.Error
        self.engine = engine
        self.conn: psycopg.Connection[Any] = self.engine.conn
        self.label = engine.label
        self.conn.execute("SET TIME ZONE 'UTC'")
        # A bulk-load session: room for the staging/checked temp tables and the key
        # aggregation in memory (the defaults, 8MB and 4MB, send both to disk at 1M rows).
        self.conn.execute("SET temp_buffers = '512MB'")
        self.conn.execute("SET work_mem = '256MB'")
        self._scratch_dir = Path(tempfile.mkdtemp(prefix="canon-load-"))
        self.scratch = duckdb.connect(str(self._scratch_dir / "stage.duckdb"))
        self.scratch.execute("SET enable_progress_bar = false")
        self.scratch.execute("SET preserve_insertion_order = true")
        if memory_limit:
            self.scratch.execute("SET memory_limit = ?", [memory_limit])

    def _execute(self, sql_text: str, params: Any = None) -> list[tuple[Any, ...]]:
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql_text.encode(), params)
                return cur.fetchall() if cur.description is not None else []
        except self._driver_error as exc:
            raise EngineError(f"PostgreSQL failed: {exc}\nSQL: {sql_text[:2000]}") from exc

    def run(self, tree: exp.Expr) -> None:
        self._execute(self.render(tree))

    def rows(self, tree: exp.Expr) -> list[tuple[Any, ...]]:
        return self._execute(self.render(tree))

    def analyze(self, rel: exp.Table) -> None:
        self.run(exp.Analyze(tables=[rel.copy()]))

    # ------------------------------------------------------------------ staging

    def _copy(self, name: str, columns: list[tuple[str, str]], reader: Any) -> None:
        create = exp.Create(
            this=exp.Schema(
                this=table(name),
                expressions=[
                    exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=exp.DataType.build(t))
                    for c, t in columns
                ],
            ),
            kind="TABLE",
            properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        )
        self._execute(self.render(drop(table(name))))
        self._execute(self.render(create))
        options = pacsv.WriteOptions(include_header=False)

        def chunks() -> Iterator[memoryview]:
            for batch in iter_batches(reader):
                if batch.num_rows == 0:
                    continue
                buf = io.BytesIO()
                pacsv.write_csv(batch, buf, options)
                yield buf.getbuffer()

        self.engine.copy_csv(table(name), [c for c, _ in columns], chunks())

    def stage(self, target: LoadTarget, index: int) -> Staged:
        local = stage_file(self.scratch, target, f"__canon_stage{index}")
        name, rejects_name = f"__canon_stage{index}", f"__canon_rejects{index}"
        try:
            cols = [(LINE, "BIGINT")] + [(raw_name(i), "TEXT") for i in range(len(target.columns))]
            query = exp.select(*[col(c) for c, _ in cols]).from_(local.relation.copy())
            reader = self.scratch.sql(render(query, "duckdb")).to_arrow_reader(BATCH_ROWS)
            self._copy(name, cols, reader)
            rejects = None
            if local.rejects is not None:
                rcols = [("line", "BIGINT"), ("message", "TEXT"), ("csv_line", "TEXT")]
                rquery = exp.select(*[col(c) for c, _ in rcols]).from_(local.rejects.copy())
                self._copy(
                    rejects_name,
                    rcols,
                    self.scratch.sql(render(rquery, "duckdb")).to_arrow_reader(BATCH_ROWS),
                )
                rejects = table(rejects_name)
        finally:
            drop_staging(self.scratch, local)
        self.analyze(table(name))
        return Staged(table(name), local.records, rejects, local.rejected, [name, rejects_name])

    # ------------------------------------------------------------------ transaction

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            with self.conn.transaction():
                yield
        except self._driver_error as exc:
            raise EngineError(f"PostgreSQL failed: {exc}") from exc

    def kind(self, schema: str, name: str) -> str | None:
        found = self._execute(
            "SELECT table_type FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            (schema, name),
        )
        return str(found[0][0]) if found else None

    def replace(self, rel: exp.Table, query: exp.Select) -> None:
        schema, name = rel.db, rel.name
        if self.kind(schema, name) is None:
            self.run(exp.Create(this=rel.copy(), kind="TABLE", expression=query))
            return
        new = self.build_beside(rel, query)
        dependents = [r[0] for r in self._execute(_DEPENDENTS, (schema, name))]
        if not dependents:
            self.run(drop(rel))
            self.run(exp.Alter(this=new.copy(), kind="TABLE", actions=[exp.AlterRename(this=exp.to_table(name))]))
            return
        if self._execute(_SHAPE, (schema, name)) != self._execute(_SHAPE, (schema, new.name)):
            raise LoadError(
                f"`{schema}.{name}` changes columns but views depend on it: {', '.join(dependents)}",
                location=Location(parameter="table"),
                fix="drop those views first (dbt run recreates them), then load again",
            )
        self.run(exp.TruncateTable(expressions=[rel.copy()]))
        self.run(exp.insert(exp.select(exp.Star()).from_(new.copy()), rel.copy()))
        self.run(drop(new))

    def cleanup(self, staged: list[Staged]) -> None:
        for s in staged:
            for name in s.tables:
                with suppress(EngineError):
                    self._execute(self.render(drop(table(name))))

    def close(self) -> None:
        try:
            self.scratch.close()
        finally:
            shutil.rmtree(self._scratch_dir, ignore_errors=True)
            self.engine.close()
