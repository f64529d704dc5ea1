"""The one way canon turns a sqlglot tree into SQL text for a dialect.

Every statement canon sends to an engine or writes into a file is built as a tree and
rendered here, so three things hold everywhere at once:

* only trees are rendered: a plain string would be pasted SQL, which is how values end up
  as code; refusing it here keeps the "no SQL by string concatenation" rule checkable;
* identifiers are quoted by default (`identify=True`), so a column called `order` or a
  schema with capitals means the same thing on every engine;
* a construct the dialect cannot express fails loudly. sqlglot's default is to log a
  warning and emit something close but wrong (the query then runs and returns another
  number); here it raises, and the error names the dialect and the construct.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from canon.errors import UserError

if TYPE_CHECKING:
    from sqlglot import exp


class UnsupportedSQL(UserError):
    """A query uses something the target dialect has no way to say."""


def render(tree: exp.Expr, dialect: str, *, pretty: bool = False, identify: bool = True, copy: bool = True) -> str:
    """SQL text for `tree` in `dialect`; raises UnsupportedSQL instead of emitting a lossy translation.

    `identify=False` leaves identifiers as they were built (unquoted unless marked quoted):
    used where the text is read by people (dbt model files, proposals) and must stay as
    it always was. `copy=False` lets sqlglot's dialect transforms work on `tree` itself instead
    of a copy (≈ a fifth of a compile): only for a tree the caller built for this one rendering.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import UnsupportedError

    if not isinstance(tree, exp.Expr):
        raise TypeError(
            f"render() takes a sqlglot tree, not {type(tree).__name__}: build the statement with "
            "sqlglot.exp (or parse it once with sqlglot.parse_one) so values stay out of the SQL text"
        )
    try:
        return tree.sql(
            dialect=dialect,
            pretty=pretty,
            identify=identify,
            unsupported_level=sqlglot.ErrorLevel.RAISE,
            copy=copy,
        )
    except UnsupportedError as exc:
        raise UnsupportedSQL(
            f"{dialect} cannot express this query: {_first_line(exc)}",
            fix=f"rewrite the part named above without it, or use an engine whose dialect has it (not {dialect})",
        ) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
