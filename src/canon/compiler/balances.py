"""A balance asked for by quarter or year: its value at the period's end, never a sum of months.

MRR and ARR are levels at a date (a run rate), not flows: "MRR for 2026-Q3" is the MRR of
September, and adding July, August and September would report three times the business. A
declarative balance (`windows.additivity` says which) asked at a grain made of months — a
quarter, a year, their fiscal twins — is therefore computed by month, and each period keeps
the value of the month holding its last day (for a retail calendar, whose quarters end on a
Saturday, the month that Saturday falls in). The pairs (last month, period) are computed in
Python from the calendar and joined as a VALUES table, so every engine reads the same rows; a
period still running (the year to date) keeps its latest month with data.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlglot import exp

from canon.compiler.joins import JoinGraph
from canon.compiler.periods import Period, period_start_sql, truncate
from canon.compiler.relations import Relations
from canon.compiler.trees import join
from canon.compiler.vector import DATE, PERIOD_COLUMN, VectorQuery, compile_vector, literal
from canon.errors import Location, QueryError

# grains whose periods are whole months (or end inside the month that closes them)
MONTHLY_MADE = frozenset({"quarter", "year", "fiscal_quarter", "fiscal_year"})


def needs_period_end(grain: str) -> bool:
    """Whether a balance at this grain is read at its periods' ends (coarser than a month)."""
    return grain in MONTHLY_MADE


def balance_at_period_end(
    vq: VectorQuery,
    first: Period | None,
    last: Period | None,
    graph: JoinGraph,
    relations: Relations,
    as_cents: bool,
) -> exp.Select:
    """The balance of each period from `first` to `last`: its value in the period's last month with data.

    A period still running (2026 while the data ends in October) shows its latest month, not
    nothing; a breakdown's group with no row in that month has no balance then (no zero is
    carried from an earlier month).
    """
    if first is None or last is None:  # every period: Gregorian quarters and years truncate natively
        return _every_period(vq, graph, relations, as_cents)
    calendar = first.calendar
    pairs: list[tuple[date, date]] = []  # (month start, start of the period its last day falls in)
    month = Period(truncate(first.start, "month", calendar), "month", calendar)
    while month.start <= last.last_day:
        owner = truncate(month.last_day, first.grain, calendar)
        if first.start <= owner <= last.start:
            pairs.append((month.start, owner))
        month = month.next()
    if not pairs:
        raise QueryError(
            f"no month ends inside {first.label}..{last.label}: a balance is read at a month's end",
            location=Location(parameter="grain"),
            fix="ask by month, or for a longer range",
        )
    months = replace(
        vq,
        grain="month",
        first=Period(pairs[0][0], "month", calendar),
        last=Period(pairs[-1][0], "month", calendar),
    )
    monthly = compile_vector(months, graph, relations, as_cents=as_cents)
    monthly.set("order", None)
    values = exp.Values(
        expressions=[
            exp.Tuple(expressions=[exp.cast(literal(m), DATE.copy()), exp.cast(literal(p), DATE.copy())])
            for m, p in pairs
        ],
        alias=exp.TableAlias(
            this=exp.to_identifier("canon_period_of"),
            columns=[exp.to_identifier("month_start"), exp.to_identifier("period_start")],
        ),
    )
    source = exp.Subquery(this=monthly, alias=exp.TableAlias(this=exp.to_identifier("canon_months")))
    tagged = _tagged(vq, exp.column("period_start", table="canon_period_of")).from_(source)
    on = exp.EQ(
        this=exp.column(PERIOD_COLUMN, table="canon_months"),
        expression=exp.column("month_start", table="canon_period_of"),
    )
    join(tagged, values, on, "inner")
    return _latest_month(vq, tagged)


def _every_period(vq: VectorQuery, graph: JoinGraph, relations: Relations, as_cents: bool) -> exp.Select:
    """No range asked: every month, each read as the period its start falls in (`period_start_sql`:
    Gregorian quarters and years truncate natively; a calendar's grains need a range and say so)."""
    owner = period_start_sql(exp.column(PERIOD_COLUMN, table="canon_months"), vq.grain, None, None)
    monthly = compile_vector(replace(vq, grain="month"), graph, relations, as_cents=as_cents)
    monthly.set("order", None)
    source = exp.Subquery(this=monthly, alias=exp.TableAlias(this=exp.to_identifier("canon_months")))
    return _latest_month(vq, _tagged(vq, owner).from_(source))


def _tagged(vq: VectorQuery, owner: exp.Expression) -> exp.Select:
    """Each month's row with the period it belongs to and that period's latest month with data."""
    latest = exp.Window(this=exp.Max(this=exp.column(PERIOD_COLUMN, table="canon_months")), partition_by=[owner.copy()])
    return exp.select(
        owner.as_("canon_period"),
        exp.column(PERIOD_COLUMN, table="canon_months").as_("canon_month"),
        latest.as_("canon_last_month"),
        *[exp.column(d.name, table="canon_months").as_(d.name) for d in vq.dimensions],
        exp.column(vq.value_name, table="canon_months").as_(vq.value_name),
    )


def _latest_month(vq: VectorQuery, tagged: exp.Select) -> exp.Select:
    dims = [d.name for d in vq.dimensions]
    query = (
        exp.select(
            exp.column("canon_period", table="canon_tagged").as_(PERIOD_COLUMN),
            *[exp.column(d, table="canon_tagged").as_(d) for d in dims],
            exp.column(vq.value_name, table="canon_tagged").as_(vq.value_name),
        )
        .from_(exp.Subquery(this=tagged, alias=exp.TableAlias(this=exp.to_identifier("canon_tagged"))))
        .where(
            exp.EQ(
                this=exp.column("canon_month", table="canon_tagged"),
                expression=exp.column("canon_last_month", table="canon_tagged"),
            )
        )
    )
    keys = [exp.Ordered(this=exp.Literal.number(i + 1), nulls_first=False) for i in range(1 + len(dims))]
    return query.order_by(*keys, copy=False)
