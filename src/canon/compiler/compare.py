"""Comparisons at query time: each period beside the prior period or the same period a year before.

`--compare prior_period|prior_year` works for any metric without a derived metric per
comparison: the question is compiled once over a range widened back to the earliest previous
period, and its rows are paired with themselves through a VALUES spine of (period_start,
previous_start) computed here from `periods.py` (so every engine and every grain agree on
what "the same quarter last year" is). For each value column `x` (or `x_cents`):

    x                the value in the period
    x_previous       the value in the previous period (NULL when there is none)
    x_change         x − x_previous (NULL when either is missing)
    x_change_bps     the change in basis points of |x_previous|: an integer, exact decimal division
                     rounded once half away from zero, NULL when x_previous is 0 or missing

Money keeps its `_cents` suffix (`mrr_cents`, `mrr_previous_cents`, `mrr_change_cents`), so the
presenters format every money column; nothing is ever a float.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal, get_args

from sqlglot import exp

from canon.compiler.periods import Period, period_range
from canon.compiler.trees import join
from canon.compiler.vector import BIGINT, DECIMAL, PERIOD_COLUMN
from canon.errors import Location, QueryError, hint_or_list
from canon.sqltree import literal

Comparison = Literal["prior_period", "prior_year"]
COMPARISONS: tuple[str, ...] = get_args(Comparison)
_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}


def parse_compare(text: str | None) -> Comparison | None:
    if text is None:
        return None
    key = text.strip().lower().replace("-", "_")
    if key not in COMPARISONS:
        raise QueryError(
            f"unknown comparison `{text}`",
            location=Location(parameter="compare"),
            fix=hint_or_list(key, COMPARISONS),
        )
    return key  # type: ignore[return-value]


def previous(period: Period, comparison: Comparison) -> Period:
    """The period `period` is compared with: the one before, or the same one a year earlier.

    A year earlier is 12 months, 4 quarters or 1 year back; for an ISO week the same week
    number of the year before (week 53 → week 52 when that year has none); for a day the same
    date (29 February → 28 February).
    """
    if comparison == "prior_period":
        return period.shift(-1)
    grain = period.grain
    if grain in _PER_YEAR:
        return period.shift(-_PER_YEAR[grain])
    if grain == "week":
        iso = period.start.isocalendar()
        weeks = date(iso.year - 1, 12, 28).isocalendar().week  # 28 December is always in the last week
        return Period(date.fromisocalendar(iso.year - 1, min(iso.week, weeks), 1), grain)
    day = period.start
    try:
        return Period(day.replace(year=day.year - 1), grain)
    except ValueError:
        return Period(date(day.year - 1, 2, 28), grain)


def widened_first(first: Period, last: Period, comparison: Comparison) -> Period:
    """The first period the values must be computed from so every previous period is present."""
    return min(previous(p, comparison) for p in period_range(first, last))


def names_for(column: str) -> tuple[str, str, str, str]:
    """(value, previous, change, change_bps) column names; money keeps `_cents` last."""
    if column.endswith("_cents"):
        stem = column.removesuffix("_cents")
        return column, f"{stem}_previous_cents", f"{stem}_change_cents", f"{stem}_change_bps"
    return column, f"{column}_previous", f"{column}_change", f"{column}_change_bps"


def compared(
    values: exp.Select,
    first: Period,
    last: Period,
    by: Sequence[str],
    value_columns: Sequence[str],
    comparison: Comparison,
) -> exp.Select:
    """Pair each period in [first, last] with its previous one; `values` covers both ranges."""
    periods = [(p, previous(p, comparison)) for p in period_range(first, last)]
    spine = exp.Values(
        expressions=[exp.Tuple(expressions=[literal(p.start), literal(q.start)]) for p, q in periods],
        alias=exp.TableAlias(
            this=exp.to_identifier("canon_pairs"),
            columns=[exp.to_identifier(PERIOD_COLUMN), exp.to_identifier("previous_start")],
        ),
    )
    period = exp.column(PERIOD_COLUMN, table="v")
    dims = [exp.column(d, table="v").as_(d) for d in by]
    # current rows carry (value, NULL), shifted previous rows (NULL, value): one GROUP BY pairs
    # them, NULL-safe on every key and with no FULL JOIN (PostgreSQL refuses one on IS NOT
    # DISTINCT FROM); a key present on one side only keeps its row.
    nothing = [exp.Case(ifs=[exp.If(this=exp.false(), true=exp.column(c, table="v"))]) for c in value_columns]
    current = (
        exp.select(
            period.copy().as_(PERIOD_COLUMN),
            *dims,
            *[exp.column(c, table="v").as_(c) for c in value_columns],
            *[n.as_(names_for(c)[1]) for n, c in zip(nothing, value_columns, strict=True)],
        )
        .from_(exp.to_table("canon_values").as_("v"))
        .where(
            exp.and_(
                exp.GTE(this=period.copy(), expression=literal(first.start)),
                exp.LTE(this=period.copy(), expression=literal(last.start)),
            )
        )
    )
    before = exp.select(
        exp.column(PERIOD_COLUMN, table="canon_pairs").as_(PERIOD_COLUMN),
        *[d.copy() for d in dims],
        *[n.copy().as_(c) for n, c in zip(nothing, value_columns, strict=True)],
        *[exp.column(c, table="v").as_(names_for(c)[1]) for c in value_columns],
    ).from_(spine, copy=False)
    on_previous = exp.EQ(this=period.copy(), expression=exp.column("previous_start", table="canon_pairs"))
    join(before, exp.to_table("canon_values").as_("v"), on_previous, "inner")
    both = exp.union(current, before, distinct=False)
    keys = [PERIOD_COLUMN, *by]
    pairs = exp.select(
        *[exp.column(k, table="u").as_(k) for k in keys],
        *[exp.Max(this=exp.column(c, table="u")).as_(c) for c in value_columns],
        *[exp.Max(this=exp.column(names_for(c)[1], table="u")).as_(names_for(c)[1]) for c in value_columns],
    ).from_(exp.Subquery(this=both, alias=exp.TableAlias(this=exp.to_identifier("u"))))
    pairs = pairs.group_by(*[exp.Literal.number(i + 1) for i in range(len(keys))])
    outputs: list[exp.Expr] = [exp.column(k, table="p").as_(k) for k in keys]
    for column in value_columns:
        now_name, prev_name, change_name, bps_name = names_for(column)
        now, prev = exp.column(now_name, table="p"), exp.column(prev_name, table="p")
        change = exp.Sub(this=now.copy(), expression=prev.copy())
        outputs += [now.as_(now_name), prev.copy().as_(prev_name), change.copy().as_(change_name)]
        outputs.append(change_bps(change, prev).as_(bps_name))
    query = exp.select(*outputs).from_(exp.Subquery(this=pairs, alias=exp.TableAlias(this=exp.to_identifier("p"))))
    order = [exp.Ordered(this=exp.Literal.number(i + 1), nulls_first=False) for i in range(len(keys))]
    return query.order_by(*order, copy=False).with_("canon_values", as_=values, copy=False)


def change_bps(change: exp.Expression, previous_value: exp.Expression) -> exp.Expression:
    """change ÷ |previous| in basis points: exact decimal division, rounded once; NULL for 0."""
    # the product cast back to DECIMAL: left untyped, PostgreSQL's rendering divides in DOUBLE PRECISION
    scaled = exp.cast(
        exp.Mul(this=exp.cast(change, DECIMAL.copy(), copy=False), expression=exp.Literal.number(10000)),
        DECIMAL.copy(),
        copy=False,
    )
    base = exp.Nullif(this=exp.Abs(this=previous_value), expression=exp.Literal.number(0))
    divided = exp.cast(exp.Div(this=scaled, expression=base), DECIMAL.copy(), copy=False)
    return exp.cast(exp.Round(this=divided, decimals=exp.Literal.number(0)), BIGINT.copy(), copy=False)
