"""The warehouse of a dbt project, reached through the dbt adapter of its profile's target.

A team whose dbt project runs on Snowflake, BigQuery, Databricks or Redshift has no DuckDB
file and no DSN to give canon; it has a dbt profile. This engine runs canon's queries through
that profile's adapter (any adapter dbt has), rendered by sqlglot in the adapter's dialect,
and hands the rows back as Arrow like every other engine. It is for questions (the audit,
`canon query`, `canon test`); bulk work (load, mart, serve) stays on the native engines.

Rows are read from the adapter's DB-API cursor, not dbt's agate table: agate re-guesses column
types from the values (a DOUBLE comes back as Decimal, an all-NULL column as Integer), whereas
the driver's own Python values keep them, so a DECIMAL stays an exact Arrow decimal128 and a
float stays a float.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from canon.dbt.adapter import OpenAdapter, dialect_for, open_adapter
from canon.dbt.profile import inside
from canon.engines.base import Engine
from canon.engines.duckdb import DuckDBEngine
from canon.engines.postgres import PostgresEngine
from canon.engines.render import render
from canon.engines.spark import SparkEngine
from canon.errors import EngineError, Location

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp

#: native engines whose facts an adapter of the same dialect shares (DuckDB's HUGEINT, …)
_NATIVE = {cls.dialect: cls for cls in (DuckDBEngine, PostgresEngine, SparkEngine)}
_BORROWED = ("has_int128", "has_try_cast", "json_object_function", "widest_number_type", "smallest_integer_type")
_CONNECTION = "canon"


class DbtAdapterEngine(Engine):
    """Queries through `dbt.adapters`: the connection of the dbt project's profile target."""

    name = "dbt"
    dialect = "duckdb"  # replaced per instance by the adapter's dialect
    can_serve = False  # one dbt adapter per process, not a handle per thread
    can_load = False  # bulk loads go through the native engines (or `dbt seed`)
    qualifies_default_schema = True  # unqualified tables live in the target's schema
    has_int128 = False  # without a native twin, exact integer sums widen to DECIMAL(38, 0)

    def __init__(
        self,
        project_dir: str | Path,
        *,
        profiles_dir: str | Path | None = None,
        target: str | None = None,
        schema: str | None = None,
        macros: Any = None,
    ) -> None:
        """`macros`: a dbt `Manifest` already parsed for this project (`canon init`'s), whose
        macros the catalog queries use instead of parsing dbt's macros again."""
        self._open: OpenAdapter = open_adapter(project_dir, profiles_dir=profiles_dir, target=target)
        if macros is not None:
            self._open.use_macros(macros)
        resolved = self._open.target
        where = Location(file=str(resolved.profiles.path / "profiles.yml"), field=resolved.profile)
        self.dialect = dialect_for(resolved.adapter_type, location=where)
        self.adapter_type = resolved.adapter_type
        self.default_schema = schema or resolved.schema
        self.database = resolved.database
        like = _NATIVE.get(self.dialect)
        if like is not None:
            for fact in _BORROWED:
                setattr(self, fact, getattr(like, fact))

    @property
    def label(self) -> str:
        """Where this engine points, without credentials (for reports and logs)."""
        t = self._open.target
        return f"dbt {t.adapter_type} profile {t.profile}, target {t.target}"

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        """The adapter with its named connection open, in the project folder (profiles hold
        paths relative to it, resolved when dbt connects)."""
        adapter = self._open.adapter
        with inside(self._open.target.project_dir), adapter.connection_named(_CONNECTION):
            yield adapter

    # -- queries ---------------------------------------------------------------------------
    def execute(self, query: exp.Expression | str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run one query; `params` fill its named placeholders as sqlglot literals.

        dbt's `execute` takes no bindings, and adapters' drivers disagree on parameter style
        (pyformat, qmark, `@name`, `:name`), so values go into the tree as typed literals that
        the dialect's generator quotes and escapes, never as pasted text.
        """
        import pyarrow as pa

        if params and isinstance(query, str):
            raise TypeError("bound parameters need a sqlglot tree, not SQL text")
        if params and not isinstance(query, str):
            sql = render(bind_literals(query, params), self.dialect)
        else:
            sql = self.render(query)
        try:
            with self._connection() as adapter:
                _, cursor = adapter.connections.add_query(sql, auto_begin=False)
                if cursor.description is None:
                    return pa.table({})
                names = [str(d[0]) for d in cursor.description]
                rows = cursor.fetchall()
        except Exception as exc:  # each adapter raises its driver's errors, wrapped or not
            raise EngineError(f"dbt {self.adapter_type} adapter failed: {_first_line(exc)}\nSQL: {sql}") from None
        return rows_to_arrow(names, rows)

    def run(self, statements: Iterable[exp.Expression | str]) -> None:
        """Statements in one transaction, where the adapter has them (dbt's begin/commit)."""
        sql = ""
        try:
            with self._connection() as adapter:
                adapter.connections.begin()
                try:
                    for statement in statements:
                        sql = self.render(statement)
                        adapter.connections.add_query(sql, auto_begin=False)
                    adapter.connections.commit()
                except Exception:
                    adapter.connections.rollback_if_open()
                    raise
        except Exception as exc:
            raise EngineError(f"dbt {self.adapter_type} adapter failed: {_first_line(exc)}\nSQL: {sql}") from None

    # -- catalog ---------------------------------------------------------------------------
    def _relation(self, schema: str | None, identifier: str | None = None) -> Any:
        adapter = self._open.adapter
        return adapter.Relation.create(
            database=self.database, schema=schema or self.default_schema, identifier=identifier
        )

    def columns(self, table: str, schema: str | None = None) -> dict[str, str]:
        """Column name → type, through the adapter's own catalog macro (one per adapter)."""
        self._open.load_macros()
        try:
            with self._connection() as adapter:
                found = adapter.get_columns_in_relation(self._relation(schema, table))
        except Exception as exc:
            raise EngineError(f"dbt {self.adapter_type} adapter could not read columns of {table}: {exc}") from None
        return {str(c.name): str(c.dtype) for c in found}

    def tables(self, schema: str | None = None) -> list[str]:
        self._open.load_macros()
        try:
            with self._connection() as adapter:
                found = adapter.list_relations_without_caching(self._relation(schema))
        except Exception as exc:
            raise EngineError(f"dbt {self.adapter_type} adapter could not list tables: {exc}") from None
        return sorted(str(r.identifier) for r in found)

    def close(self) -> None:
        """Release dbt's connections (dbt-duckdb's open database file included)."""
        self._open.close()


def bind_literals(tree: exp.Expr, params: Mapping[str, Any]) -> exp.Expr:
    """`tree` with each named placeholder replaced by its value as a sqlglot literal."""
    from sqlglot import exp

    from canon.sqltree import literal

    missing = sorted({str(p.this) for p in tree.find_all(exp.Placeholder) if p.this and str(p.this) not in params})
    if missing:
        raise EngineError(f"no value bound for placeholder(s): {', '.join(missing)}")

    def swap(node: exp.Expr) -> exp.Expr:
        from sqlglot import exp

        if isinstance(node, exp.Placeholder) and node.this:
            return literal(params[str(node.this)])
        return node

    return tree.copy().transform(swap)


def rows_to_arrow(names: list[str], rows: list[tuple[Any, ...]]) -> pa.Table:
    """Driver rows → Arrow, each column typed from its values (Decimal stays exact)."""
    import pyarrow as pa

    columns: list[list[Any]] = [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in names]
    arrays = [_array(values) for values in columns]
    return pa.Table.from_arrays(arrays, names=names)


def _array(values: list[Any]) -> pa.Array:
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if not present:
        return pa.nulls(len(values))
    if all(isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.bool_())
    if any(isinstance(v, Decimal) for v in present) and all(isinstance(v, int | Decimal) for v in present):
        exponents = [v.as_tuple().exponent for v in present if isinstance(v, Decimal)]
        scale = max((-e for e in exponents if isinstance(e, int)), default=0)
        return pa.array([None if v is None else Decimal(v) for v in values], type=pa.decimal128(38, max(0, scale)))
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        if all(-(2**63) <= v < 2**63 for v in present):
            return pa.array(values, type=pa.int64())
        return pa.array([None if v is None else Decimal(v) for v in values], type=pa.decimal128(38, 0))
    if all(isinstance(v, int | float) for v in present):
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    if all(isinstance(v, dt.datetime) for v in present):
        aware = any(v.tzinfo is not None for v in present)
        if aware:
            values = [None if v is None else v.astimezone(dt.UTC) for v in values]
        return pa.array(values, type=pa.timestamp("us", tz="UTC" if aware else None))
    if all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in present):
        return pa.array(values, type=pa.date32())
    if all(isinstance(v, str) for v in present):
        return pa.array(values, type=pa.string())
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _first_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
