"""What a load needs from a warehouse engine, beyond running SQL.

Two things differ per engine: how a file reaches a staging table (DuckDB reads it itself;
PostgreSQL receives text rows over COPY from a DuckDB parse), and how a table is replaced
atomically. Everything else — the rules, the quarantine, the order of work — is shared.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

from sqlglot import exp

from canon.engines.base import Engine
from canon.engines.render import render
from canon.errors import LoadError, Location
from canon.load.files import LoadTarget
from canon.load.staging import Staged
from canon.sqltree import table

NEW_SUFFIX = "__canon_new"  # the table being built beside the one it replaces


def temp_ctas(name: str, query: exp.Expr) -> exp.Create:
    return exp.Create(
        this=table(name),
        kind="TABLE",
        expression=query,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )


def drop(rel: exp.Table) -> exp.Drop:
    return exp.Drop(tables=[rel.copy()], kind="TABLE", exists=True)


class Backend(ABC):
    """A warehouse connection specialised for loading."""

    engine: Engine  # its class's facts shape the SQL (`CheckPlan`); it renders and runs it
    default_schema: str
    label: str  # where the data goes, for the report (no secrets)

    def render(self, tree: exp.Expr) -> str:
        return render(tree, self.engine.dialect)

    @abstractmethod
    def run(self, tree: exp.Expr) -> None:
        """Execute one statement (inside the current transaction, if any)."""

    @abstractmethod
    def rows(self, tree: exp.Expr) -> list[tuple[Any, ...]]:
        """Execute a query and return its (small) result."""

    @abstractmethod
    def stage(self, target: LoadTarget, index: int) -> Staged:
        """Put the file's records into a staging relation (outside the load transaction)."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All-or-nothing: commit on success, roll back on any exception."""

    @abstractmethod
    def replace(self, rel: exp.Table, query: exp.Select) -> None:
        """Make `rel` hold exactly `query`'s rows, atomically within the transaction."""

    def analyze(self, rel: exp.Table) -> None:  # noqa: B027 - optional hook
        """Refresh planner statistics where the engine needs them."""

    def columns(self, schema: str, name: str) -> dict[str, str]:
        return self.engine.columns(name, schema)

    def build_beside(self, rel: exp.Table, query: exp.Select) -> exp.Table:
        """Materialize `query` next to `rel` under a temporary name, after refusing to replace a view.

        Both backends then swap the new table in; building beside keeps the old one readable
        until the swap, so a failed load never leaves the target half-written.
        """
        schema, name = rel.db, rel.name
        existing = self.kind(schema, name)
        if existing is not None and existing != "BASE TABLE":
            raise LoadError(
                f"`{schema}.{name}` exists as a {existing.lower()}, not a table",
                location=Location(parameter="table"),
                fix="drop or rename that view, or load the source under another identifier",
            )
        new = table(name + NEW_SUFFIX, schema)
        self.run(drop(new))
        self.run(exp.Create(this=new, kind="TABLE", expression=query))
        return new

    @abstractmethod
    def kind(self, schema: str, name: str) -> str | None:
        """'BASE TABLE', 'VIEW' … or None when nothing has that name."""

    def cleanup(self, staged: list[Staged]) -> None:  # noqa: B027 - optional hook
        """Drop staging tables (temp tables vanish with the session anyway)."""

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_batches(reader: Any) -> Iterator[Any]:
    """Record batches of a DuckDB/Arrow reader, for streaming without holding a whole file."""
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return
