"""The engine interface: render a sqlglot tree for this dialect, run it, return Arrow.

Every SQL string canon sends is rendered here from a syntax tree, with identifiers quoted,
so user values never reach an engine as pasted text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
from sqlglot import exp

from canon.engines.render import render


class Engine(ABC):
    """A connection to one warehouse. Subclasses set `dialect` (a sqlglot dialect name)."""

    name: str = "engine"
    dialect: str = "duckdb"
    default_schema: str | None = None

    def render(self, query: exp.Expression | str) -> str:
        """SQL text for this engine: trees through `canon.engines.render`; text (already this
        engine's SQL, written by a person or a test) passes unchanged."""
        if isinstance(query, str):
            return query
        return render(query, self.dialect)

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

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the connection."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
