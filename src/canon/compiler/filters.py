"""User filters are data, not SQL: the one validator every `where` passes through.

A filter reaches canon from `canon query --where`, the Python API's `where=` and the HTTP API
(`where=` text or structured `filter=segment:eq:enterprise`). Whatever the path, the text is
parsed by sqlglot and the tree is walked against an allow-list before it is compiled into a
query: column references (a declared dimension by name, or `table.column` of a table the
metric reads), literals, comparisons, AND/OR/NOT, IN, BETWEEN, LIKE, IS NULL, arithmetic and a
short list of scalar functions. Anything else — a subquery, a table function, a file reader
(`read_csv`), a statement, an unknown function — is refused before any SQL reaches an engine.
Nesting is bounded before the parser runs, so 3,000 parentheses are one error, not a
`RecursionError`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import sqlglot
from sqlglot import exp

from canon.compiler.trees import parse_duckdb
from canon.errors import Location, QueryError, did_you_mean
from canon.sqltree import nesting_depth

MAX_FILTER_LENGTH = 16_000
MAX_DEPTH = 32  # parentheses or nested expressions; a real filter has a handful
EXAMPLE = "\"segment = 'enterprise'\""

# Node types a filter may contain, besides the functions below.
_ALLOWED_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Is,
    exp.Neg,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Cast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Tuple,
)
# Scalar functions a filter may call (sqlglot's node types; the names are what users write).
_ALLOWED_FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.Lower: "lower",
    exp.Upper: "upper",
    exp.Trim: "trim",
    exp.Length: "length",
    exp.Coalesce: "coalesce",
    exp.Abs: "abs",
    exp.Round: "round",
    exp.Substring: "substring",
}
FUNCTION_NAMES = tuple(sorted(_ALLOWED_FUNCTIONS.values()))

# Structured filters (`filter=segment:eq:enterprise`): operator → how it is built.
STRUCTURED_OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "like", "null", "notnull")


def _refuse(message: str, parameter: str, fix: str | None = None) -> QueryError:
    return QueryError(message, location=Location(parameter=parameter), fix=fix)


def _check_nesting(text: str, parameter: str) -> None:
    """Refuse text nested deeper than MAX_DEPTH parentheses before the recursive parser sees it."""
    if len(text) > MAX_FILTER_LENGTH:
        raise _refuse(
            f"the filter is {len(text):,} characters long; at most {MAX_FILTER_LENGTH:,} are accepted",
            parameter,
            fix="filter on fewer values, or break the question into several",
        )
    if "\x00" in text:
        raise _refuse("the filter contains a NUL byte", parameter, fix="remove it")
    deepest = nesting_depth(text)
    if deepest > MAX_DEPTH:
        raise _refuse(
            f"the filter nests {deepest} parentheses deep; at most {MAX_DEPTH} are accepted",
            parameter,
            fix="write the condition flatter (AND/OR of comparisons)",
        )


def _tree_depth(node: exp.Expr) -> int:
    deepest = 0
    stack: list[tuple[exp.Expr, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in current.iter_expressions())
    return deepest


def parse_filter(text: str, parameter: str = "where") -> exp.Expr:
    """`text` as a condition tree whose every node is on the allow-list (columns unresolved)."""
    _check_nesting(text, parameter)
    try:
        tree = parse_duckdb(text)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:
        first = (str(exc).splitlines() or ["syntax error"])[0]
        raise _refuse(
            f"the filter does not parse: {first}",
            parameter,
            fix=f"write a condition over dimensions, e.g. {EXAMPLE}",
        ) from None
    except RecursionError:
        raise _refuse("the filter nests too deep", parameter, fix="write the condition flatter") from None
    if not isinstance(tree, exp.Expr) or isinstance(tree, exp.Query | exp.Command):
        raise _refuse(
            "the filter must be one condition, not a statement or a query",
            parameter,
            fix=f"write a condition over dimensions, e.g. {EXAMPLE}",
        )
    if _tree_depth(tree) > 2 * MAX_DEPTH:
        raise _refuse("the filter nests too deep", parameter, fix="write the condition flatter")
    for node in tree.walk():
        if isinstance(node, _ALLOWED_NODES) or type(node) in _ALLOWED_FUNCTIONS:
            continue
        raise _refuse(
            f"the filter may not contain {_describe(node)}",
            parameter,
            fix="use columns, literals, comparisons, AND/OR/NOT, IN, BETWEEN, LIKE, IS NULL and the "
            f"functions {', '.join(FUNCTION_NAMES)}",
        )
    if isinstance(tree, exp.Literal):
        raise _refuse(
            f"the filter `{text[:60]}` is a value, not a condition", parameter, fix=f"compare it, e.g. {EXAMPLE}"
        )
    return tree


def _describe(node: exp.Expr) -> str:
    if isinstance(node, exp.Query | exp.Subquery):
        return "a subquery"
    if isinstance(node, exp.Func):
        name = node.sql_name() if not isinstance(node, exp.Anonymous) else str(node.name)
        return f"the function `{name.lower()}`"
    if isinstance(node, exp.Table):
        return "a table"
    if isinstance(node, exp.Placeholder | exp.Parameter):
        return "a parameter placeholder"
    return f"`{node.key}` ({type(node).__name__})"


def validate_filter(
    text: str,
    dimensions: Mapping[str, exp.Expr],
    tables: Collection[str] = (),
    parameter: str = "where",
) -> exp.Expr:
    """The filter as a tree over allowed columns, bare names swapped for their dimension's column.

    `dimensions` maps a dimension's name to the column it stands for in the compiled query;
    `tables` are the tables whose columns may be named as `table.column` (none: only dimensions).
    """
    tree = parse_filter(text, parameter)

    def resolve(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Column):
            return node
        if node.args.get("db") or node.args.get("catalog"):
            raise _refuse(f"the filter names `{node.sql()}`; write `table.column`", parameter)
        if node.table:
            if node.table not in tables:
                allowed = ", ".join(sorted(tables)) or "none: name dimensions only"
                raise _refuse(
                    f"the filter reads `{node.table}.{node.name}`, but `{node.table}` is not a table this metric reads",
                    parameter,
                    fix=did_you_mean(node.table, tables) or f"tables it reads: {allowed}",
                )
            return exp.column(node.name, table=node.table)
        dim = dimensions.get(node.name)
        if dim is None:
            hint = did_you_mean(node.name, dimensions)
            raise _refuse(
                f"the filter uses `{node.name}`, which is not a dimension of this metric",
                parameter,
                fix=hint or f"use one of: {', '.join(sorted(dimensions)) or '(none declared)'}",
            )
        return dim.copy()

    return tree.transform(resolve)


def structured_filter(items: Sequence[str], parameter: str = "filter") -> str | None:
    """`segment:eq:enterprise`, `amount:in:1,2`, `region:null` → one condition text (AND of all).

    The values become literals in a tree, so they are data whatever they contain; the text
    rendered from the tree then goes through `validate_filter` like any other filter.
    """
    conditions: list[exp.Expr] = []
    for item in items:
        name, _, rest = item.partition(":")
        op, _, value = rest.partition(":")
        name, op = name.strip(), op.strip().lower()
        if not name or op not in STRUCTURED_OPERATORS:
            raise _refuse(
                f"filter `{item[:80]}` is not `name:operator:value`"
                + (f" (unknown operator `{op[:20]}`)" if name and op else ""),
                parameter,
                fix=f"operators: {', '.join(STRUCTURED_OPERATORS)}, e.g. filter=segment:eq:enterprise",
            )
        column = exp.column(name)
        if not name.replace("_", "").isalnum():
            raise _refuse(f"filter names `{name[:60]}`, which is not a dimension name", parameter)
        if op in ("null", "notnull"):
            node: exp.Expr = exp.Is(this=column, expression=exp.Null())
            conditions.append(node if op == "null" else exp.Not(this=node))
            continue
        literal = exp.Literal.string(value)
        if op == "in":
            conditions.append(exp.In(this=column, expressions=[exp.Literal.string(v) for v in value.split(",")]))
            continue
        builders: dict[str, type[exp.Binary]] = {
            "eq": exp.EQ,
            "ne": exp.NEQ,
            "lt": exp.LT,
            "le": exp.LTE,
            "gt": exp.GT,
            "ge": exp.GTE,
            "like": exp.Like,
        }
        conditions.append(builders[op](this=column, expression=literal))
    if not conditions:
        return None
    return exp.and_(*conditions).sql(dialect="duckdb")


def combine(where: str | None, structured: str | None) -> str | None:
    """Both filters, ANDed (each checked against the allow-list first)."""
    if where and structured:
        return exp.and_(parse_filter(where), parse_filter(structured, "filter")).sql(dialect="duckdb")
    return where or structured
