"""Read the measure out of an aggregate expression over raw columns.

`SUM(raw.annual_value) / 12`, `SUM(CASE WHEN raw.refunded THEN 0 ELSE raw.amount END)`,
`SUM(SUM(raw.amount))` (a sum of per-account sums), `SUM(x) FILTER (WHERE p)`: each becomes a
raw column, an exact scale, an aggregation, and the conditions hidden in CASE/FILTER.

Real projects sum per-row values that are not one column: `unit_amount * quantity`, an amount
normalized by a CASE on the billing interval, a sign flipped by the row's type, or write
aggregate arithmetic (`SUM(a) - SUM(CASE WHEN refunded THEN a ELSE 0 END)`). Such a measure
keeps its per-row value as an `expression` over raw columns (summing it is what the model
does), with the money column it is built on, the `amount` before any per-row factor and the
column that picks the factor (`scale_by`). Differences of sums over one row set are one sum
of differences; when they cancel to one column under a condition (`SUM(a) - SUM(a) FILTER
refunded`), the condition becomes a filter like any other. A ratio of two sums, or sums over
two unrelated row sets, stays not mappable rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable
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
    expression: exp.Expr | None = None  # the per-row value when it is not `column` × scale
    amount: exp.Expr | None = None  # that value before its per-row factor or sign
    scale_by: exp.Column | None = None  # the column whose value picks the factor
    values: list[exp.Column] = field(default_factory=list)  # raw columns in value position (money candidates)
    per: exp.Column | None = None  # an average of per-group sums: the group key


_AGGS = {exp.Sum: "sum", exp.Count: "count", exp.Min: "min", exp.Max: "max", exp.Avg: "avg"}


def _number(node: exp.Expr) -> Fraction | None:
    node = strip_wrappers(node)
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


def strip_wrappers(node: exp.Expr) -> exp.Expr:
    """Wrappers that do not change a sum: parentheses, casts, COALESCE(x, 0), ROUND/NULLIF-free."""
    node = _as_if(node)
    while True:
        wrapper = isinstance(node, exp.Paren | exp.Cast | exp.TryCast)
        zero_default = isinstance(node, exp.Coalesce) and all(_number(e) == 0 for e in node.expressions)
        if not (wrapper or zero_default):
            return node
        node = _as_if(node.this)


def _as_if(node: exp.Expr) -> exp.Expr:
    """`IFF(p, a, b)` read in a dialect that does not know it (an Anonymous call) is `IF(p, a, b)`."""
    if isinstance(node, exp.Anonymous) and str(node.this).upper() in ("IFF", "IF") and len(node.expressions) == 3:
        p, a, b = node.expressions
        return exp.If(this=p.copy(), true=a.copy(), false=b.copy())
    return node


def _is_zero_or_null(node: exp.Expr) -> bool:
    node = strip_wrappers(node)
    return isinstance(node, exp.Null) or _number(node) == 0


def parse_measure(expr: exp.Expr) -> MeasureShape:
    """The measure of an output column, or NotAMeasure."""
    scale, node = _outer_scale(expr)
    if isinstance(node, exp.Add | exp.Sub) and node.find(exp.AggFunc) is not None:
        combined = _sum_arithmetic(node)
        combined.scale *= scale
        return combined
    filter_conditions: list[exp.Expr] = []
    if isinstance(node, exp.Filter):  # SUM(x) FILTER (WHERE p): p decides which rows count
        where = node.args.get("expression")
        if where is not None:
            filter_conditions.append(where.this if isinstance(where, exp.Where) else where)
        node = node.this
    if not isinstance(node, exp.AggFunc):
        raise NotAMeasure("not an aggregate")
    if isinstance(node, exp.Sum) and not isinstance(node.this, exp.Distinct):
        node = _flatten_inner_sums(node)
    agg = _AGGS.get(type(node))
    if agg is None:
        raise NotAMeasure(f"aggregate {node.key.upper()} is not a summable measure")
    inner = node.this
    if isinstance(node, exp.Count) and isinstance(inner, exp.Distinct):
        agg = "count_distinct"
        inner = inner.expressions[0] if inner.expressions else inner
    if isinstance(node, exp.Count) and (inner is None or isinstance(inner, exp.Star)):
        raise NotAMeasure("COUNT(*) counts rows, not money")
    shape = row_measure(inner, agg)
    shape.scale *= scale
    shape.conditions.extend(filter_conditions)
    return shape


def _linear_path(inner: exp.Expr, top: exp.Expr) -> bool:
    """Whether `inner` reaches `top` only through steps linear in it: sums, differences, a CASE
    branch's value (not its condition), `coalesce(x, 0)`, casts, a factor that is a number."""
    child, parent = inner, inner.parent
    while parent is not None and parent is not top:
        if isinstance(parent, exp.Paren | exp.Cast | exp.TryCast | exp.Add | exp.Sub | exp.Neg | exp.Case):
            pass
        elif isinstance(parent, exp.If):
            if child is parent.this:
                return False  # a condition, not a value
        elif isinstance(parent, exp.Coalesce):
            if child is not parent.this or not all(_is_zero_or_null(e) for e in parent.expressions):
                return False
        elif isinstance(parent, exp.Mul | exp.Div):
            other = parent.expression if child is parent.this else parent.this
            if _number(other) is None or (isinstance(parent, exp.Div) and child is not parent.this):
                return False
        else:
            return False
        child, parent = parent, parent.parent
    return parent is top


def _flatten_inner_sums(node: exp.Sum) -> exp.Sum:
    """`SUM(CASE WHEN c THEN SUM(x) ELSE 0 END)` → `SUM(CASE WHEN c THEN x ELSE 0 END)`.

    A sum of per-order sums, each kept or scaled by a condition of its order, is the sum of the
    rows under the same condition (a correlated scalar subquery decorrelated into a join reads
    so). Only inner sums reached linearly are flattened: `SUM(SUM(a) / SUM(b))` is no sum of rows.
    """
    inners = [
        s
        for s in node.this.find_all(exp.Sum)
        if s is not node and not isinstance(s.this, exp.Distinct) and _linear_path(s, node)
    ]
    if not inners:
        return node
    if len({c.table.lower() for s in inners for c in s.find_all(exp.Column)}) > 1:
        return node  # sums of different tables (lines, credit notes): several row sets, not one
    for col in node.this.find_all(exp.Column):
        # another amount beside the inner sums (`SUM(SUM(items) - discount)`): the discount is per
        # order, not per item; flattening would count it once per item
        if not any(col is n for s in inners for n in s.walk()) and not _in_condition(col, node):
            return node
    out = node.copy()
    for s in out.this.find_all(exp.Sum):
        if not isinstance(s.this, exp.Distinct) and _linear_path(s, out) and s.this is not None:
            s.replace(s.this)
    return out


def row_measure(node: exp.Expr, agg: str = "sum") -> MeasureShape:
    """The measure of a per-row value: one column × scale when it is, else an expression shape.

    Also what a row-level model's money column is read as (one row per customer × month with
    no SUM: the audit sums it over the period itself).
    """
    stripped = strip_wrappers(node)
    if agg == "sum" and isinstance(stripped, exp.Sum) and not isinstance(stripped.this, exp.Distinct):
        return row_measure(stripped.this, agg)  # a sum of per-customer sums is the sum
    try:
        shape = _inside(node, agg)
    except _NotOneColumn:
        stripped = strip_wrappers(node)
        if isinstance(stripped, exp.Add | exp.Sub):
            try:  # `a - CASE WHEN refunded THEN a ELSE 0 END` is `a` where not refunded
                combined = _combined(stripped, lambda t: row_measure(t, agg))
            except NotAMeasure:
                return _expression_shape(node, agg)
            if combined.expression is None:
                return combined
        return _expression_shape(node, agg)
    shape.values = [shape.column]
    return shape


class _NotOneColumn(NotAMeasure):
    """The value is not one column × scale (a product, differing CASE amounts, a sum of terms)."""


def _sum_arithmetic(node: exp.Add | exp.Sub) -> MeasureShape:
    return _combined(node, parse_measure)


def _combined(node: exp.Add | exp.Sub, parse_term: Callable[[exp.Expr], MeasureShape]) -> MeasureShape:
    """`SUM(a) ± SUM(b) ± …` over one row set is `SUM(±a ± b …)`: one measure.

    Each term keeps its own CASE/FILTER condition inside its row value. When the terms are one
    column counted once and subtracted under a condition (`SUM(a) - SUM(CASE WHEN p THEN a
    END)`), the result is that column where p is not true: a filter, as in any model that wrote
    `SUM(CASE WHEN NOT p THEN a END)`.
    """
    terms: list[tuple[int, exp.Expr]] = []

    def collect(n: exp.Expr, sign: int) -> None:
        n = strip_wrappers(n)
        if isinstance(n, exp.Add):
            collect(n.this, sign)
            collect(n.expression, sign)
        elif isinstance(n, exp.Sub):
            collect(n.this, sign)
            collect(n.expression, -sign)
        else:
            terms.append((sign, n))

    collect(node, 1)
    shapes: list[tuple[int, MeasureShape]] = []
    for sign, term in terms:
        shape = parse_term(term)
        if shape.aggregation != "sum":
            raise NotAMeasure(f"`{node.sql()}` combines aggregates other than SUM")
        shapes.append((sign, shape))
    tables = {c.table for _, sh in shapes for c in (sh.values or [sh.column])}
    if len(tables) > 1:
        raise NotAMeasure(f"`{node.sql()}` adds sums of different tables ({', '.join(sorted(tables))})")
    plain = [(sg, sh) for sg, sh in shapes if sh.expression is None]
    if len(shapes) == 2 and len(plain) == 2:
        (s1, a), (s2, b) = plain
        same = a.column.sql() == b.column.sql() and s1 * a.scale == -s2 * b.scale
        if same and not a.conditions and b.conditions:
            return MeasureShape(a.column, s1 * a.scale, "sum", [_not_true(exp.and_(*b.conditions))], values=[a.column])
        if same and not b.conditions and a.conditions:
            return MeasureShape(b.column, s2 * b.scale, "sum", [_not_true(exp.and_(*a.conditions))], values=[b.column])
    parts: list[exp.Expr] = []
    for sign, sh in shapes:
        value = _term_value(sh)
        parts.append(exp.Neg(this=exp.Paren(this=value)) if sign < 0 else value)
    total = parts[0]
    for part in parts[1:]:
        total = (
            exp.Sub(this=total, expression=part.this)
            if isinstance(part, exp.Neg)
            else exp.Add(this=total, expression=part)
        )
    if isinstance(total, exp.Neg):
        total = exp.Mul(this=exp.Literal.number(-1), expression=total.this)
    values = [c for _, sh in shapes for c in (sh.values or [sh.column])]
    return MeasureShape(values[0], Fraction(1), "sum", [], expression=total, amount=total.copy(), values=values)


def _term_value(shape: MeasureShape) -> exp.Expr:
    """One term's per-row contribution: COALESCE(CASE WHEN conditions THEN value END, 0) × scale.

    COALESCE keeps SUM(a) - SUM(b) equal to SUM(a - b) on rows where one side is NULL.
    """
    value: exp.Expr = shape.expression.copy() if shape.expression is not None else shape.column.copy()
    if shape.scale != 1:
        value = exp.Mul(this=exp.Paren(this=value), expression=_fraction_sql(shape.scale))
    if shape.conditions:
        value = exp.Case(ifs=[exp.If(this=exp.and_(*[c.copy() for c in shape.conditions]), true=value)])
    return exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])


def _fraction_sql(value: Fraction) -> exp.Expr:
    if value.denominator == 1:
        return exp.Literal.number(value.numerator)
    return exp.Paren(
        this=exp.Div(this=exp.Literal.number(value.numerator), expression=exp.Literal.number(value.denominator))
    )


def _expression_shape(node: exp.Expr, agg: str) -> MeasureShape:
    """A per-row value kept as an expression, with its amount and the column picking its factor."""
    scale, node = _split_constant(strip_wrappers(node))  # `COALESCE(mrr, 0) * 12`: the 12 is the scale
    node = strip_wrappers(node)
    conditions: list[exp.Expr] = []
    # CASE WHEN p THEN <value> (ELSE 0/NULL): p decides which rows count, as in the one-column case
    if isinstance(node, exp.Case) and node.this is None:
        ifs = node.args.get("ifs") or []
        default = node.args.get("default")
        if len(ifs) == 1 and (default is None or _is_zero_or_null(default)):
            conditions.append(ifs[0].this.copy())
            node = strip_wrappers(ifs[0].args["true"])
    values = _value_columns(node)
    if not values:
        raise NotAMeasure(f"`{node.sql()}` reads no column")
    amount, scale_by = _factored(node)
    return MeasureShape(
        values[0],
        scale,
        agg,
        conditions,
        expression=node.copy(),
        amount=amount,
        scale_by=scale_by,
        values=values,
    )


def _value_columns(node: exp.Expr) -> list[exp.Column]:
    """Raw columns whose values are summed (not those only tested in a condition)."""
    out: list[exp.Column] = []
    for col in node.find_all(exp.Column):
        if not is_raw(col):
            continue
        if _in_condition(col, node):
            continue
        if col.sql() not in {c.sql() for c in out}:
            out.append(col)
    return out


_TESTS = (exp.Predicate, exp.Not, exp.Connector)


def _in_condition(col: exp.Expr, root: exp.Expr) -> bool:
    node: exp.Expr | None = col
    while node is not None and node is not root:
        parent = node.parent
        if isinstance(parent, _TESTS):
            return True
        if isinstance(parent, exp.If) and node.arg_key == "this":
            return True
        if isinstance(parent, exp.Case) and node.arg_key == "this":
            return True  # CASE x WHEN 'a' ...: x is tested, not summed
        node = parent
    return False


def _split_constant(node: exp.Expr) -> tuple[Fraction, exp.Expr]:
    """`core × k` / `core ÷ k` / `k × core` → (k, core); a bare expression has k = 1."""
    node = strip_wrappers(node)
    if isinstance(node, exp.Neg):
        k, core = _split_constant(node.this)
        return -k, core
    if isinstance(node, exp.Mul | exp.Div):
        right = _number(node.expression)
        if right is not None and right != 0:
            k, core = _split_constant(node.this)
            return (k * right if isinstance(node, exp.Mul) else k / right), core
        left = _number(node.this)
        if left is not None and isinstance(node, exp.Mul):
            k, core = _split_constant(node.expression)
            return k * left, core
        # `core / CASE …` or `core * CASE …`: the factor is the CASE (see _factored)
    return Fraction(1), node


def _branches(
    node: exp.Case | exp.If,
) -> tuple[exp.Expr | None, list[tuple[exp.Expr, exp.Expr | None]], exp.Expr | None]:
    """(operand, [(condition, value)], default) of a CASE, or of an IF/IFF (one branch)."""
    if isinstance(node, exp.If):
        return None, [(node.this, node.args.get("true"))], node.args.get("false")
    ifs = [(w.this, w.args.get("true")) for w in node.args.get("ifs") or []]
    return node.this, ifs, node.args.get("default")


def _case_factor_column(case: exp.Case | exp.If) -> exp.Column | None:
    """The one raw column a CASE's branches are chosen by (`CASE c WHEN …` or `WHEN c = 'v'`)."""
    operand, ifs, _ = _branches(case)
    if operand is not None:
        cols = [c for c in operand.find_all(exp.Column) if is_raw(c)]
    else:
        cols = [c for cond, _ in ifs for c in cond.find_all(exp.Column) if is_raw(c)]
    names = {c.sql() for c in cols}
    return cols[0] if len(names) == 1 else None


def _factored(node: exp.Expr) -> tuple[exp.Expr, exp.Column | None]:
    """The amount a per-row factor applies to, and the column choosing the factor.

    `CASE interval WHEN 'month' THEN a*q WHEN 'year' THEN a*q/12 END` → (a*q, interval);
    `a*q / CASE interval WHEN 'year' THEN 12 ELSE 1 END` → (a*q, interval); `CASE WHEN type =
    'credit' THEN -amount ELSE amount END` (or IFF) → (amount, type). Anything else is its own amount.
    """
    node = strip_wrappers(node)
    if isinstance(node, exp.Case | exp.If):
        _, ifs, default = _branches(node)
        values = [v for _, v in ifs if v is not None] + ([default] if default is not None else [])
        cores = [_split_constant(b)[1] for b in values if not _is_zero_or_null(b)]
        column = _case_factor_column(node)
        if cores and column is not None and len({c.sql() for c in cores}) == 1:
            return cores[0].copy(), column
    if isinstance(node, exp.Mul | exp.Div):
        for core, factor in ((node.this, node.expression), (node.expression, node.this)):
            if isinstance(node, exp.Div) and core is node.expression:
                continue
            factor = strip_wrappers(factor)
            if isinstance(factor, exp.Case | exp.If):
                _, ifs, default = _branches(factor)
                constants = [v for _, v in ifs if v is not None] + ([default] if default is not None else [])
                column = _case_factor_column(factor)
                if column is not None and all(_number(b) is not None for b in constants):
                    return strip_wrappers(core).copy(), column
    _, core = _split_constant(node)
    return core.copy(), None


def _outer_scale(expr: exp.Expr) -> tuple[Fraction, exp.Expr]:
    node = strip_wrappers(expr)
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
    node = strip_wrappers(node)
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
        raise _NotOneColumn(f"`{node.sql()}` multiplies two columns")
    if isinstance(node, exp.Neg):
        shape = _inside(node.this, agg)
        shape.scale = -shape.scale
        return shape
    if isinstance(node, exp.Case | exp.If):
        return _conditional(node, agg)
    if isinstance(node, exp.Add | exp.Sub) and node.find(exp.AggFunc) is None:
        raise _NotOneColumn(f"`{node.sql()}` adds per-row values")
    if node.find(exp.AggFunc) is None and any(is_raw(c) for c in node.find_all(exp.Column)):
        raise _NotOneColumn(f"`{node.sql()}` computes a per-row value")
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
            raise _NotOneColumn(f"CASE branches count different amounts: `{node.sql()}`")
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
