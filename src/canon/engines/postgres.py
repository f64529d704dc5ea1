"""PostgreSQL through psycopg 3: a real server, rows fetched once and handed back as Arrow."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING, Any

from canon.engines.base import Engine, require_driver
from canon.errors import EngineError

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp


@functools.cache
def _oid_types() -> dict[int, pa.DataType]:
    """PostgreSQL type OIDs → Arrow types for the results canon reads back (built on first use:
    pyarrow is not imported by code that only renders SQL)."""
    import pyarrow as pa

    return {
        16: pa.bool_(),
        20: pa.int64(),
        21: pa.int16(),
        23: pa.int32(),
        25: pa.string(),
        1043: pa.string(),
        1042: pa.string(),
        700: pa.float32(),
        701: pa.float64(),
        1082: pa.date32(),
        1114: pa.timestamp("us"),
        1184: pa.timestamp("us", tz="UTC"),
        3802: pa.string(),
        114: pa.string(),
    }


def _psycopg() -> ModuleType:
    return require_driver("psycopg", "postgres", "postgres")


class PostgresEngine(Engine):
    name = "postgres"
    dialect = "postgres"
    default_schema = "public"
    extra = "postgres"
    qualifies_default_schema = True
    supports_advisory_locks = True
    has_int128 = False
    json_object_function = "json_build_object"  # its json_object() takes arrays of text
    widest_number_type = "NUMERIC"  # arbitrary precision: 1e400 is a value, not an error
    smallest_integer_type = "SMALLINT"  # no TINYINT

    @classmethod
    def text_type(cls, length: int | None = None) -> exp.DataType:
        """VARCHAR(n) for a declared length: PostgreSQL enforces it and reports it in
        information_schema (`character_maximum_length`); TEXT otherwise."""
        from sqlglot import exp

        return exp.DataType.build(f"VARCHAR({length})" if length else "TEXT")

    @classmethod
    def fence_subquery(cls, query: exp.Select) -> exp.Select:
        """OFFSET 0: PostgreSQL flattens subqueries (and single-use CTEs) into their parent, so
        each use of a computed column would re-evaluate its whole expression; OFFSET 0 is the
        classic fence that keeps the subquery, each column computed once per row."""
        return query.offset(0)

    def __init__(self, dsn: str, schema: str | None = None) -> None:
        psycopg = _psycopg()
        self.dsn = dsn
        self._schema = schema
        if schema:
            self.default_schema = schema
        try:
            self.conn: Any = psycopg.connect(dsn, autocommit=True)
        except psycopg.Error as exc:
            raise EngineError(f"cannot connect to PostgreSQL ({_redact(dsn)}): {exc}") from None

    @property
    def label(self) -> str:
        """Where this engine points, without the password (for reports and logs)."""
        return _redact(self.dsn)

    def execute(self, query: exp.Expression | str, params: Mapping[str, Any] | None = None) -> pa.Table:
        import pyarrow as pa

        psycopg = _psycopg()
        sql = self.render(query)
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql.encode(), dict(params) if params else None)
                if cur.description is None:
                    return pa.table({})
                names = [d.name for d in cur.description]
                rows = cur.fetchall()
                types = [self._arrow_type(d, rows, i) for i, d in enumerate(cur.description)]
        except psycopg.Error as exc:
            raise EngineError(f"PostgreSQL failed: {exc}\nSQL: {sql}") from None
        columns: list[Any] = list(zip(*rows, strict=False)) if rows else [() for _ in names]
        arrays = [_to_array(list(col), t) for col, t in zip(columns, types, strict=False)]
        return pa.Table.from_arrays(arrays, names=names)

    @staticmethod
    def _arrow_type(desc: Any, rows: list[tuple[Any, ...]], idx: int) -> pa.DataType:
        import pyarrow as pa

        if desc.type_code == 1700:  # numeric: scale from the values themselves
            exponents = [v.as_tuple().exponent for r in rows if isinstance(v := r[idx], Decimal)]
            scale = max((-e for e in exponents if isinstance(e, int)), default=0)
            return pa.decimal128(38, max(0, scale))
        return _oid_types().get(desc.type_code, pa.string())

    def run(self, statements: Iterable[exp.Expression | str]) -> None:
        psycopg = _psycopg()
        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                for st in statements:
                    cur.execute(self.render(st).encode())
        except psycopg.Error as exc:
            raise EngineError(f"PostgreSQL failed: {exc}") from None

    def columns(self, table: str, schema: str | None = None) -> dict[str, str]:
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = %s AND table_schema = %s ORDER BY ordinal_position",
                (table, schema or self.default_schema),
            )
            return {r[0]: r[1] for r in cur.fetchall()}

    def tables(self, schema: str | None = None) -> list[str]:
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1",
                (schema or self.default_schema,),
            )
            return [r[0] for r in cur.fetchall()]

    def thread_handle(self) -> PostgresEngine:
        """A psycopg connection must not serve two threads at once: another one, same place."""
        return PostgresEngine(self.dsn, schema=self._schema)

    def try_advisory_lock(self, key: int) -> bool:
        return bool(self.scalar(_lock_call("pg_try_advisory_lock", key)))

    def advisory_unlock(self, key: int) -> None:
        self.scalar(_lock_call("pg_advisory_unlock", key))

    def copy_csv(self, table: exp.Table, columns: Sequence[str], chunks: Iterable[bytes | memoryview]) -> None:
        """Stream CSV text (no header) into `table` through COPY: the bulk path, no row loop in Python.

        Loads (rows parsed by DuckDB) and test transfers both arrive here; identifiers are
        composed by psycopg, never pasted.
        """
        psycopg = _psycopg()
        pgsql = psycopg.sql
        parts = [p for p in (table.db, table.name) if p]
        statement = pgsql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            pgsql.Identifier(*parts), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns)
        )
        try:
            with self.conn.cursor() as cur, cur.copy(statement) as pipe:
                for chunk in chunks:
                    pipe.write(chunk)
        except psycopg.Error as exc:
            raise EngineError(f"PostgreSQL COPY into {'.'.join(parts)} failed: {exc}") from exc

    def close(self) -> None:
        self.conn.close()


def _lock_call(function: str, key: int) -> exp.Select:
    from sqlglot import exp

    return exp.select(exp.Anonymous(this=function, expressions=[exp.Literal.number(key)]))


def _to_array(values: list[Any], typ: pa.DataType) -> pa.Array:
    import pyarrow as pa

    if pa.types.is_string(typ):
        values = [v if v is None or isinstance(v, str) else _jsonish(v) for v in values]
    return pa.array(values, type=typ)


def _jsonish(value: Any) -> str:
    import orjson

    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


def _redact(dsn: str) -> str:
    """A DSN without its password, for error messages and logs."""
    if "@" in dsn and "://" in dsn:
        scheme, rest = dsn.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return dsn
