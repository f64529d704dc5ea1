"""Exact integer arithmetic as SQL trees: rounding division and strict sums, for integer cents.

DuckDB divides DECIMALs into DOUBLEs, so exact division is done on integers: products are
widened to 128 bits (DuckDB HUGEINT; NUMERIC(38,0) on PostgreSQL, see `portable`) and rounded
half away from zero with integer division of non-negative operands, which truncation and
flooring agree on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    from canon.engines import Engine

WIDE = "HUGEINT"


def wide(node: exp.Expr) -> exp.Expr:
    return exp.cast(node, exp.DataType.build(WIDE, dialect="duckdb"))


def _int(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def round_div(num: exp.Expr, den: exp.Expr) -> exp.Expr:
    """round(num / den) half away from zero, for den > 0; NULL when den is not positive.

    Built with explicit parentheses: sqlglot renders hand-built trees without adding them.
    """
    n = wide(num)
    d = wide(den)

    def half_up(numerator: exp.Expr) -> exp.Expr:
        top = exp.Paren(this=exp.Add(this=exp.Mul(this=_int(2), expression=numerator), expression=d.copy()))
        bottom = exp.Nullif(this=exp.Mul(this=_int(2), expression=d.copy()), expression=_int(0))
        return exp.IntDiv(this=top, expression=bottom)

    pos = half_up(n.copy())
    neg = exp.Neg(this=exp.Paren(this=half_up(exp.Paren(this=exp.Neg(this=n.copy())))))
    signed = exp.Case(ifs=[exp.If(this=exp.GTE(this=n.copy(), expression=_int(0)), true=pos)], default=neg)
    return exp.Case(ifs=[exp.If(this=exp.GT(this=d.copy(), expression=_int(0)), true=signed)])


def strict_sum(node: exp.Expr) -> exp.Expr:
    """SUM that is NULL as soon as one input is NULL: an unknown part makes the total unknown."""
    every = exp.EQ(this=exp.Count(this=exp.Star()), expression=exp.Count(this=node.copy()))
    return exp.Case(ifs=[exp.If(this=every, true=exp.Sum(this=node.copy()))])


def portable(tree: exp.Expr, engine: Engine) -> exp.Expr:
    """Rewrite what sqlglot does not translate for `engine` (128-bit integers where there are none)."""
    if engine.has_int128:
        return tree

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
            return exp.DataType.build("DECIMAL(38, 0)")
        return node

    return tree.transform(swap)
