"""The few sqlglot tree builders every module needs: literals, columns, quoted tables.

They were copied into the compiler, the loader, the mart and the audit, each slightly
different (one turned NaN into NULL, one did not; one quoted, one did not). One copy means a
value becomes the same SQL whichever feature builds the query, and the golden SQL files pin
what that is.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from sqlglot import exp

DATE = exp.DataType.build("DATE")
TIMESTAMP = exp.DataType.build("TIMESTAMP")


def literal(value: object) -> exp.Expression:
    """A typed SQL literal built by sqlglot (quoted and escaped there, never pasted).

    None and NaN are NULL; dates and timestamps are typed casts of ISO text (portable across
    every dialect canon renders); anything else than a scalar is a TypeError, because a list
    or a dict reaching SQL is a bug upstream.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), TIMESTAMP.copy(), copy=False)
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), DATE.copy(), copy=False)
    if isinstance(value, int | float | Decimal):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise TypeError(f"no SQL literal for a {type(value).__name__}")


def col(name: str, table: str | None = None, *, quoted: bool | None = True) -> exp.Column:
    """A column reference, `table.name` when a table (alias) is given.

    Quoted by default: the loader and the mart name columns after what users declared
    (`order`, `createdAt`). `quoted=None` quotes only names that need it (the compiler's
    readable SQL for dbt files); `render` quotes everything anyway where text runs.
    """
    return exp.column(name, table=table, quoted=quoted)


def table(name: str, schema: str | None = None) -> exp.Table:
    """A table reference with both parts quoted, `schema.name` or just `name`."""
    return exp.Table(
        this=exp.to_identifier(name, quoted=True),
        db=exp.to_identifier(schema, quoted=True) if schema else None,
    )


@lru_cache(maxsize=4096)
def qualified_columns(sql: str) -> frozenset[tuple[str, str]]:
    """The `table.column` references of a condition or value written over raw tables.

    Predicates and measure expressions travel as SQL text in DuckDB syntax (contracts, audit
    JSON); what they read is asked of the parsed tree, never of the text. Cached: a bridge
    compiles the same measure dozens of times and each compile asks which tables it reads.
    """
    import sqlglot

    tree = sqlglot.parse_one(sql, read="duckdb")
    return frozenset((c.table, c.name) for c in tree.find_all(exp.Column) if c.table)


def nesting_depth(text: str) -> int:
    """How deep parentheses nest in SQL text (outside quotes), counted without parsing.

    sqlglot's parser recurses once per level; text nested thousands deep would end in a
    `RecursionError` instead of an error naming the input, so callers bound this first.
    """
    depth = deepest = 0
    quote: str | None = None
    for char in text:
        if quote:
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest
