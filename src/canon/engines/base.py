"""The engine interface: render a sqlglot tree for this dialect, run it, return Arrow.

Every SQL string canon sends is rendered from a syntax tree (`canon.engines.render`), with
identifiers quoted, so user values never reach an engine as pasted text.

What differs between engines is said here once, as class attributes and small hooks, so
code elsewhere asks `engine.tables_in_schemas` or `engine.supports_advisory_locks` instead
of testing `engine.name == "spark"`. Adding an engine means filling these in, not hunting
for branches across the code base.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from canon.engines.render import render

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp

from canon.errors import ConfigError, Location

# A canon.yml written against DuckDB says `schema: main`; on an engine whose default schema
# has another name, that means "the default schema", not a schema literally called main.
_PORTABLE_DEFAULT_SCHEMAS = (None, "main")


def require_driver(module: str, engine: str, extra: str | None) -> ModuleType:
    """Import an engine's driver at the moment it is needed, or say which extra installs it.

    Drivers are optional extras (`canon[postgres]`, `canon[spark]`): a DuckDB user never
    pays for importing pyspark, and a PostgreSQL user without psycopg is told the one
    command that fixes it instead of reading an ImportError traceback.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        package = f"canon[{extra}]" if extra else module.split(".")[0]
        raise ConfigError(
            f"the {engine} engine needs the Python package `{module.split('.')[0]}`, which is not installed",
            location=Location(file="canon.yml", field="warehouse.engine"),
            fix=f"pip install '{package}' (or choose another warehouse.engine)",
        ) from None


class Engine(ABC):
    """A connection to one warehouse; the class attributes are the engine's facts.

    They are plain class attributes (not ClassVar) so `DialectOnly` can borrow another
    engine's facts per instance.
    """

    #: the engine's name in canon.yml (`warehouse.engine`) and on the command line
    name: str = "engine"
    #: the sqlglot dialect its SQL is rendered in
    dialect: str = "duckdb"
    #: the schema unqualified tables live in (an instance may be opened on another one)
    default_schema: str | None = None
    #: the optional-dependency extra that installs the driver (None: always installed)
    extra: str | None = None
    #: tables are addressed as `schema.table`; False where canon registers tables by bare
    #: name (Spark temporary views), so a schema would point at nothing
    tables_in_schemas: bool = True
    #: a schema left unset (or DuckDB's `main`) in canon.yml means this engine's default
    #: schema, spelled out (PostgreSQL `public`); False keeps tables unqualified instead
    qualifies_default_schema: bool = False
    #: `canon serve` can read it: one process answering many requests, each thread on its
    #: own handle (`thread_handle`)
    can_serve: bool = True
    #: `canon load` can write it (a backend in `canon.load` stages files into it)
    can_load: bool = True
    #: sessions can hold a named lock across processes (`try_advisory_lock`)
    supports_advisory_locks: bool = False
    #: a 128-bit integer type exists (DuckDB HUGEINT): exact sums of integer cents use it;
    #: where it does not (PostgreSQL), they widen to DECIMAL(38, 0) instead
    has_int128: bool = True
    #: the dialect has TRY_CAST (a value that does not convert becomes NULL instead of failing
    #: the statement); PostgreSQL has none, so a plain CAST there must be guarded by its caller
    has_try_cast: bool = False
    #: the function that builds a JSON object from alternating keys and values (DuckDB
    #: `json_object`, PostgreSQL `json_build_object`); None where the dialect has no such
    #: function (Spark builds JSON from a struct instead)
    json_object_function: str | None = None
    #: the numeric type with the widest range of magnitudes, so any float value can be compared
    #: in it: DOUBLE where DECIMAL stops at 38 digits; PostgreSQL's NUMERIC holds 1e400 as a value
    #: to compare, where casting it to DOUBLE PRECISION fails the statement
    widest_number_type: str = "DOUBLE"
    #: the narrowest integer type the engine has (a declared TINYINT is created as this)
    smallest_integer_type: str = "TINYINT"

    def render(self, query: exp.Expression | str, copy: bool = True) -> str:
        """SQL text for this engine: trees through `canon.engines.render`; text (already this
        engine's SQL, written by a person or a test) passes unchanged."""
        if isinstance(query, str):
            return query
        return render(query, self.dialect, copy=copy)

    @classmethod
    def text_type(cls, length: int | None = None) -> exp.DataType:
        """The column type for text declared with at most `length` characters (None: any).

        TEXT by default: DuckDB accepts a length but ignores it, and Spark's STRING has none,
        so the length is checked by whoever writes the column (`canon load` quarantines longer
        values). PostgreSQL overrides this to keep the length in the table's own type.
        """
        from sqlglot import exp

        return exp.DataType.build("TEXT")

    @classmethod
    def fence_subquery(cls, query: exp.Select) -> exp.Select:
        """`query`, written so its columns are computed once per row when used as a subquery.

        Most planners evaluate a subquery's columns once and pass them up; PostgreSQL's does
        not always (see its override), which this hook exists to undo.
        """
        return query

    def source_schema(self, configured: str | None) -> str | None:
        """The schema source tables are read from, given canon.yml's `warehouse.schema`."""
        if not self.tables_in_schemas:
            return None
        if self.qualifies_default_schema and configured in _PORTABLE_DEFAULT_SCHEMAS:
            return self.default_schema
        return configured

    @abstractmethod
    def execute(self, query: exp.Expression | str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a query and return its rows as an Arrow table.

        `params` binds the query's named placeholders (`exp.Placeholder(this=name)`, rendered
        per dialect) through the driver, so values never become SQL text.
        """

    @abstractmethod
    def run(self, statements: Iterable[exp.Expression | str]) -> None:
        """Run statements (DDL, DML) in one transaction where the engine has them."""

    @abstractmethod
    def columns(self, table: str, schema: str | None = None) -> dict[str, str]:
        """Column name → engine type name of a table or view; empty if it does not exist."""

    @abstractmethod
    def tables(self, schema: str | None = None) -> list[str]:
        """Names of the tables and views in a schema."""

    def scalar(self, query: exp.Expression | str) -> object:
        table = self.execute(query)
        return table.column(0)[0].as_py() if table.num_rows else None

    def thread_handle(self) -> Engine:
        """A handle another thread may use while this one is in use (see `can_serve`)."""
        raise NotImplementedError(f"{self.name} cannot be shared between threads")

    def restrict_external_access(self) -> None:
        """From now on SQL on this connection reads only the warehouse: no files, no URLs.

        Called by `canon serve` once the connection is set up, so even SQL that got past the
        filter validator could not read a file on the server. Engines whose SQL cannot reach
        the server's files (a database server's own access rules apply) have nothing to turn off.
        """
        return None

    def try_advisory_lock(self, key: int) -> bool:
        """Take the session lock `key` without waiting; False when another session holds it."""
        raise NotImplementedError(f"{self.name} has no advisory locks")

    def advisory_unlock(self, key: int) -> None:
        """Release a lock taken by `try_advisory_lock`."""
        raise NotImplementedError(f"{self.name} has no advisory locks")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the connection."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DialectOnly(Engine):
    """Stands in for an engine when only SQL text is wanted (`canon query --sql`).

    It carries the facts of the engine registered for the dialect, if any (so PostgreSQL
    text names `public` like a real PostgreSQL connection would), and cannot run anything.
    """

    def __init__(self, dialect: str, like: type[Engine] | None = None) -> None:
        self.dialect = dialect
        self.name = dialect
        self.default_schema = like.default_schema if like else None
        if like is not None:
            self.tables_in_schemas = like.tables_in_schemas
            self.qualifies_default_schema = like.qualifies_default_schema

    def execute(self, query: exp.Expression | str, params: Mapping[str, Any] | None = None) -> pa.Table:
        raise NotImplementedError("a dialect-only engine renders SQL; it cannot run it")

    def run(self, statements: Iterable[exp.Expression | str]) -> None:
        raise NotImplementedError("a dialect-only engine renders SQL; it cannot run it")

    def columns(self, table: str, schema: str | None = None) -> dict[str, str]:
        return {}

    def tables(self, schema: str | None = None) -> list[str]:
        return []
