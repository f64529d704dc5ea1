"""SQL tree building blocks that sqlglot's builders would otherwise parse from text on every call.

`Select.join(..., join_type="left")` re-parses `"FROM _ LEFT JOIN _"` with the full
tokenizer and parser each time it is called just to learn which `side`/`kind`/`method`
arguments a LEFT JOIN has; in a compile of a single metric that was about a quarter of the
time. Here the join node is built directly with those arguments, so the tree (and the SQL
rendered from it) is the same as the builder's and nothing is parsed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.expressions.datatypes import DType

JoinHow = Literal["inner", "left", "full", "full outer", "asof left"]

# What sqlglot's parser puts on a Join for each spelling (checked in tests/compiler/test_trees.py).
_JOIN_ARGS: dict[str, dict[str, str]] = {
    "inner": {"kind": "INNER"},
    "left": {"side": "LEFT"},
    "full": {"side": "FULL"},
    "full outer": {"side": "FULL", "kind": "OUTER"},
    "asof left": {"method": "ASOF", "side": "LEFT"},
}


def join(query: exp.Select, source: exp.Expr, on: exp.Expr, how: JoinHow) -> exp.Select:
    """Append `<how> JOIN source ON on` to `query` in place and return it (for chaining).

    In place because every caller builds a fresh query; the builder's default copy of the
    whole SELECT per join was the other half of the cost. `source` and `on` are attached, not
    copied: pass nodes that are not part of another tree.
    """
    node = exp.Join(this=source, on=on, **_JOIN_ARGS[how])
    query.append("joins", node)
    return query


def data_type(kind: DType, *params: int) -> exp.DataType:
    """The DataType sqlglot's parser makes for `kind(params…)`, e.g. `DECIMAL(38, 6)`.

    `exp.DataType.build("DECIMAL(38, 6)")` and `exp.cast(x, "date")` run the parser on the
    type name every time (and at import for module constants); this is the same node, built.
    """
    expressions = [exp.DataTypeParam(this=exp.Literal.number(p)) for p in params] or None
    return exp.DataType(this=kind, expressions=expressions, nested=False)


@lru_cache(maxsize=1024)
def _parsed(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="duckdb")


def parse_duckdb(text: str) -> exp.Expr:
    """`text` parsed as DuckDB SQL: a fresh tree each call, the parse done once per distinct text.

    Contract text (predicates, SQL compositions, derived expressions) and a question's
    `--where` are compiled again for every question; copying a cached tree is several times
    cheaper than parsing it again. Parse errors propagate (and are not cached).
    """
    return _parsed(text).copy()
