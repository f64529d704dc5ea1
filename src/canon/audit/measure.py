"""Read the measure out of an aggregate expression over raw columns.

`SUM(raw.annual_value) / 12`, `SUM(CASE WHEN raw.refunded THEN 0 ELSE raw.amount END)`,
`SUM(SUM(raw.amount))` (a sum of per-account sums), `SUM(x) FILTER (WHERE p)`: each becomes a
raw column, an exact scale, an aggregation, and the conditions hidden in CASE/FILTER. Anything
that is not a scaled aggregate of one column (a sign flip per row type, a ratio of two sums)
is reported as not mappable rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from sqlglot import exp

from canon.audit.lineage import is_raw


class NotAMeasure(Exception):
    """The expression is not a scaled aggregate of one raw column."""


@dataclass
class MeasureShape:
    column: exp.Column
    scale: Fraction
    aggregation: str
    conditions: list[exp.Expr] = field(default_factory=list)  # must be TRUE for a row to count


_AGGS = {exp.Sum: "sum", exp.Count: "count", exp.Min: "min", exp.Max: "max", exp.Avg: "avg"}


def _number(node: exp.Expr) -> Fraction | None:
    node = _strip(node)
    if isinstance(node, exp.Literal) and not node.is_string:
        return Fraction(Decimal(node.this))
    if isinstance(node, exp.Neg):
        inner = _number(node.this)
        return -inner if inner is not None else None
    if isinstance(node, exp.Div):
        a, b = _number(node.this), _number(node.expression)
        return a / b if a is not None and b is not None and b != 0 else None
    if isinstance(node, exp.Mul):
        a, b = _number(node.this), _number(node.expression)
        return a * b if a is not None and b is not None else None
    return None


def _strip(node: exp.Expr) -> exp.Expr:
    """Wrappers that do not change a sum: parentheses, casts, COALESCE(x, 0), ROUND/NULLIF-free."""
    while True:
        wrapper = isinstance(node, exp.Paren | exp.Cast | exp.TryCast)
        zero_default = isinstance(node, exp.Coalesce) and all(_number(e) == 0 for e in node.expressions)
        if not (wrapper or zero_default):
            return node
        node = node.this


def _is_zero_or_null(node: exp.Expr) -> bool:
    node = _strip(node)
    return isinstance(node, exp.Null) or _number(node) == 0


def parse_measure(expr: exp.Expr) -> MeasureShape:
    """The measure of an output column, or NotAMeasure."""
    scale, node = _outer_scale(expr)
    filter_conditions: list[exp.Expr] = []
    if isinstance(node, exp.Filter):  # SUM(x) FILTER (WHERE p): p decides which rows count
        where = node.args.get("expression")
        if where is not None:
            filter_conditions.append(where.this if isinstance(where, exp.Where) else where)
        node = node.this
    if not isinstance(node, exp.AggFunc):
        raise NotAMeasure("not an aggregate")
    agg = _AGGS.get(type(node))
    if agg is None:
        raise NotAMeasure(f"aggregate {node.key.upper()} is not a summable measure")
    inner = node.this
    if isinstance(node, exp.Count) and isinstance(inner, exp.Distinct):
        agg = "count_distinct"
        inner = inner.expressions[0] if inner.expressions else inner
    if isinstance(node, exp.Count) and (inner is None or isinstance(inner, exp.Star)):
        raise NotAMeasure("COUNT(*) counts rows, not money")
    shape = _inside(inner, agg)
    shape.scale *= scale
    shape.conditions.extend(filter_conditions)
    return shape


def _outer_scale(expr: exp.Expr) -> tuple[Fraction, exp.Expr]:
    node = _strip(expr)
    if isinstance(node, exp.Filter):
        return Fraction(1), node
    if isinstance(node, exp.Mul | exp.Div):
        left, right = node.this, node.expression
        right_n = _number(right)
        if right_n is not None and right_n != 0:
            s, inner = _outer_scale(left)
            return (s * right_n if isinstance(node, exp.Mul) else s / right_n), inner
        left_n = _number(left)
        if left_n is not None and isinstance(node, exp.Mul):
            s, inner = _outer_scale(right)
            return s * left_n, inner
        raise NotAMeasure(f"`{node.sql()}` is not a constant multiple of one aggregate")
    if isinstance(node, exp.Neg):
        s, inner = _outer_scale(node.this)
        return -s, inner
    if isinstance(node, exp.Round):
        return _outer_scale(node.this)
    return Fraction(1), node


def _inside(node: exp.Expr, agg: str) -> MeasureShape:
    node = _strip(node)
    if isinstance(node, exp.Filter):  # SUM(x) FILTER (WHERE p) parses with the aggregate inside
        raise NotAMeasure("unexpected FILTER position")
    if is_raw(node):
        assert isinstance(node, exp.Column)
        return MeasureShape(node, Fraction(1), agg)
    if isinstance(node, exp.AggFunc):  # a sum of sums: SUM(SUM(x)) == SUM(x)
        inner_agg = _AGGS.get(type(node))
        if agg == "sum" and inner_agg == "sum":
            return _inside(node.this, agg)
        if agg == "sum" and inner_agg in ("count", "count_distinct"):
            raise NotAMeasure("a sum of counts is a count, not money")
        raise NotAMeasure(f"nested aggregate {node.key.upper()} inside {agg.upper()}")
    if isinstance(node, exp.Mul | exp.Div):
        right_n = _number(node.expression)
        if right_n is not None and right_n != 0:
            shape = _inside(node.this, agg)
            shape.scale = shape.scale * right_n if isinstance(node, exp.Mul) else shape.scale / right_n
            return shape
        left_n = _number(node.this)
        if left_n is not None and isinstance(node, exp.Mul):
            shape = _inside(node.expression, agg)
            shape.scale *= left_n
            return shape
        raise NotAMeasure(f"`{node.sql()}` multiplies two columns")
    if isinstance(node, exp.Neg):
        shape = _inside(node.this, agg)
        shape.scale = -shape.scale
        return shape
    if isinstance(node, exp.Case | exp.If):
        return _conditional(node, agg)
    raise NotAMeasure(f"`{node.sql()}` is not a column of a raw table")


def _conditional(node: exp.Case | exp.If, agg: str) -> MeasureShape:
    """CASE/IF whose branches are the measure or zero/NULL: the condition becomes a filter."""
    if isinstance(node, exp.If):
        branches = [(node.this, node.args.get("true"))]
        default = node.args.get("false")
    else:
        branches = [(w.this, w.args.get("true")) for w in node.args.get("ifs") or []]
        default = node.args.get("default")
    shapes: list[tuple[exp.Expr, MeasureShape | None]] = []
    for cond, value in branches:
        shapes.append((cond, None if value is None or _is_zero_or_null(value) else _inside(value, agg)))
    default_shape = None if default is None or _is_zero_or_null(default) else _inside(default, agg)
    counted = [s for _, s in shapes if s is not None] + ([default_shape] if default_shape else [])
    if not counted:
        raise NotAMeasure("every branch is zero")
    first = counted[0]
    for other in counted[1:]:
        if other.column.sql() != first.column.sql() or other.scale != first.scale:
            raise NotAMeasure(f"CASE branches count different amounts: `{node.sql()}`")
    condition: exp.Expr
    if len(shapes) == 1 and shapes[0][1] is not None and default_shape is None:
        condition = shapes[0][0].copy()  # CASE WHEN p THEN x ELSE 0: p must be TRUE
    elif len(shapes) == 1 and shapes[0][1] is None and default_shape is not None:
        # CASE WHEN p THEN 0 ELSE x: p must not be TRUE (false or unknown)
        condition = _not_true(shapes[0][0])
    else:
        indicator = exp.Case(
            ifs=[exp.If(this=c.copy(), true=exp.Literal.number(1 if s else 0)) for c, s in shapes],
            default=exp.Literal.number(1 if default_shape else 0),
        )
        condition = exp.EQ(this=indicator, expression=exp.Literal.number(1))
    return MeasureShape(first.column, first.scale, agg, [*first.conditions, condition])


def _not_true(cond: exp.Expr) -> exp.Expr:
    """`p IS NOT TRUE`, spread over OR so each part can stand alone: NOT(a OR b) → NOT a AND NOT b."""
    node = cond.unnest() if isinstance(cond, exp.Paren) else cond
    if isinstance(node, exp.Or):
        return exp.and_(_not_true(node.left), _not_true(node.right))
    return exp.Not(this=exp.Coalesce(this=exp.Paren(this=node.copy()), expressions=[exp.false()]))
