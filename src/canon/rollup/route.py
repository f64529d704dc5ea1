"""Which table answers a question: a rollup when the answer is derivable from it, else the source.

`route()` returns a `Route`: the rollup's name and the query over it, or no query and the
reason the source answers (the first reason of the closest rollup), so `canon rollup explain`
and the query result's metadata can say which was used and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlglot
from sqlglot import exp

from canon.compiler import windows
from canon.compiler.balances import needs_period_end
from canon.compiler.calendars import Calendar
from canon.compiler.periods import Grain, Period, period_range, period_start_sql, truncate
from canon.compiler.question import Question, join_on_keys, lookup_metric, value_column, value_kind
from canon.compiler.trees import parse_duckdb
from canon.compiler.vector import scaled_value
from canon.contracts.model import Metric
from canon.contracts.refs import ColumnRef
from canon.errors import QueryError
from canon.rollup.model import PERIOD, VALUE, Rollup, RollupState, declared
from canon.sqltree import literal

#: aggregations that re-aggregate (sums and counts as sums, minima and maxima as themselves);
#: the others only at the rollup's own grain and breakdown
REAGGREGATE = frozenset({"sum", "count", "min", "max"})
_SPOKEN = {"count_distinct": "a distinct count", "avg": "an average"}


def _reaggregate(aggregation: str, column: exp.Expression) -> exp.Expression:
    if aggregation in ("sum", "count"):
        return exp.Sum(this=column)
    if aggregation == "max":
        return exp.Max(this=column)
    return exp.Min(this=column)  # min, or the one row of an exact match


@dataclass(frozen=True)
class Route:
    """The table answering a question: `rollups` used (one per metric) and the query, or the source and why."""

    query: exp.Select | None
    rollups: tuple[str, ...] = ()
    reason: str = ""
    stale: tuple[str, ...] = field(default=())

    @property
    def answered_from(self) -> str:
        return "rollup " + ", ".join(self.rollups) if self.query is not None else "source"


@dataclass(frozen=True)
class _Candidate:
    rollup: Rollup
    state: RollupState


def route(
    question: Question,
    metrics: Mapping[str, Metric],
    calendar: Calendar,
    states: Callable[[str], RollupState | None],
    fingerprint: Callable[[Rollup], dict[str, str]],
    engine_name: str,
    engine_schema: str | None,
) -> Route:
    """The rollups answering every metric of `question`, or the source with the reason.

    `states(name)` reads a rollup's build state, `fingerprint(rollup)` queries the source's
    fingerprint now (asked only for the rollup chosen, so a question costs one cheap query).
    """
    chosen: list[tuple[Metric, _Candidate]] = []
    for name in question.metrics:
        metric = lookup_metric(name, metrics)
        if not metric.is_declarative:
            return Route(None, reason=f"`{metric.name}` is not declarative: derived and SQL metrics read the source")
        rollups = declared({metric.name: metric})
        if not rollups:
            return Route(None, reason=f"`{metric.name}` declares no rollups")
        reasons: list[str] = []
        usable: list[_Candidate] = []
        for rollup in rollups:
            state = states(rollup.name)
            balance = windows.additivity(metric, metrics) == "balance"
            why = _unusable(rollup, state, question, metric, calendar, engine_name, engine_schema, balance)
            if why is None and state is not None:
                usable.append(_Candidate(rollup, state))
            else:
                reasons.append(f"{rollup.name}: {why}")
        if not usable:
            return Route(None, reason="; ".join(reasons))
        chosen.append((metric, min(usable, key=lambda c: c.state.rows)))
    stale = []
    for _, cand in chosen:
        now = fingerprint(cand.rollup)
        if now != cand.state.fingerprint:
            then = cand.state.fingerprint
            changed = sorted(k for k in now.keys() | then.keys() if now.get(k) != then.get(k))
            detail = ", ".join(f"{k} {then.get(k, '?')} → {now.get(k, '?')}" for k in changed[:3])
            stale.append(
                f"{cand.rollup.name} is older than its source ({detail}; built {cand.state.built_at}): "
                "answered from the source — run `canon rollup build`"
            )
    if stale:
        return Route(None, reason="; ".join(stale), stale=tuple(stale))
    queries = [_answer(cand, question, metric, calendar) for metric, cand in chosen]
    query = join_on_keys(queries, question.by)
    if len(queries) > 1:
        keys = [exp.Ordered(this=exp.Literal.number(i + 1), nulls_first=False) for i in range(1 + len(question.by))]
        query = query.order_by(*keys, copy=False)
    names = tuple(cand.rollup.name for _, cand in chosen)
    return Route(query, names, reason="derivable from " + ", ".join(names) + " and as fresh as its source")


def _unusable(
    rollup: Rollup,
    state: RollupState | None,
    question: Question,
    metric: Metric,
    calendar: Calendar,
    engine_name: str,
    engine_schema: str | None,
    balance: bool = False,
) -> str | None:
    """Why this rollup cannot give the source's answer, or None when it can.

    A balance (`windows.additivity`: MRR, ARR, a validity range) is read at its own grain only:
    by quarter it is the quarter's last month, which a sum of stored months is not.
    """
    if state is None:
        return "not built (run `canon rollup build`)"
    if not state.matches(rollup):
        return "built from another version of the contract or the rollup declaration (rebuild it)"
    if (state.engine, state.schema) != (engine_name, engine_schema):
        return f"built in {state.engine} ({state.schema}), asked of {engine_name} ({engine_schema})"
    kept = set(rollup.spec.dimensions)
    missing = [d for d in question.by if d not in kept]
    if missing:
        return f"does not keep the dimension `{missing[0]}`"
    if question.where and _where_columns(question.where, metric, rollup) is None:
        return "--where reads a column the rollup does not keep"
    measure = metric.decisions.measure
    if measure.per is not None:  # the period's sum over its number of groups: neither part is stored
        return f"an average of per-`{measure.per}` sums is not stored by a rollup"
    grain: Grain = question.grain
    own: Grain = rollup.spec.grain
    exact = grain == own
    if measure.aggregation not in REAGGREGATE and not (exact and set(question.by) == kept):
        spoken = _SPOKEN.get(measure.aggregation, measure.aggregation)
        return (
            f"{spoken} does not re-aggregate: only at its own grain ({own}) "
            f"and breakdown ({', '.join(rollup.spec.dimensions) or 'none'})"
        )
    if metric.decisions.time_basis.kind == "range" and not exact:
        return f"a balance (live on a validity range) at {grain} is not the sum of its {own} periods"
    periods = _asked(question, grain, calendar, state)
    if periods is not None and not exact:
        for p in periods:
            if truncate(p.start, own, calendar) != p.start or truncate(p.end, own, calendar) != p.end:
                return f"{p.label} is not a whole number of {own} periods"
    if balance and not exact:
        return f"a balance by {grain} is its last month's value, not the sum of its {own} periods"
    if balance and needs_period_end(own):
        return f"a balance's {own} rollup holds sums of months; by {own} it is read at the period's end"
    if rollup.spec.period_from or rollup.spec.period_to:
        extent = state.extent()
        if question.first is None or question.last is None:
            return "holds only the periods it was built for; ask with --from and --to inside them"
        lo = Period(truncate(question.first.start, own, calendar), own, calendar)
        if extent is None or not (extent[0] <= lo.start and question.last.end <= _end(extent[1], own, calendar)):
            return "does not hold every period asked"
    return None


def _end(start: date, grain: Grain, calendar: Calendar) -> date:
    return Period(start, grain, calendar).end


def _asked(question: Question, grain: Grain, calendar: Calendar, state: RollupState) -> list[Period] | None:
    """The periods whose boundaries must fall on the rollup's: those asked, or those it holds."""
    first, last = question.first, question.last
    extent = state.extent()
    if first is None or last is None:
        if extent is None:
            return None
        first = first or Period(truncate(extent[0], grain, calendar), grain, calendar)
        last = last or Period(truncate(extent[1], grain, calendar), grain, calendar)
    return period_range(first, last)


def _where_columns(where: str, metric: Metric, rollup: Rollup) -> exp.Expression | None:
    """`--where` over the rollup's columns, or None when it reads anything the rollup does not keep.

    Not a validation: the caller compiled the question from the source first, so a `--where`
    that does not parse or is refused there never reaches a route.
    """
    dims = metric.dimensions()
    kept = {d: exp.column(d, table="r") for d in rollup.spec.dimensions}
    by_column = {dims[d].column: d for d in rollup.spec.dimensions}
    try:
        tree = parse_duckdb(where)
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(tree, exp.Expression) or tree.find(exp.Select, exp.Subquery, exp.Command):
        return None
    for col in tree.find_all(exp.Column):
        name = col.name if not col.table else by_column.get(ColumnRef(col.table, col.name))
        if name not in kept:
            return None

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column):
            name = node.name if not node.table else by_column[ColumnRef(node.table, node.name)]
            return kept[name].copy()
        return node

    return exp.Paren(this=tree.transform(swap))


def _answer(cand: _Candidate, question: Question, metric: Metric, calendar: Calendar) -> exp.Select:
    """The question over the rollup table: re-aggregated, then scaled and rounded once as the source is."""
    rollup = cand.rollup
    measure = metric.decisions.measure
    start = exp.column(PERIOD, table="r")
    day = exp.cast(start.copy(), exp.DataType.build("DATE"))
    period = period_start_sql(day, question.grain, question.first, question.last)
    if question.first is None and question.last is None and question.grain == rollup.spec.grain:
        period = start.copy()
    reaggregated = _reaggregate(measure.aggregation, exp.column(VALUE, table="r"))
    value = scaled_value(measure, reaggregated, value_kind(metric) == "money")
    dims = [exp.column(d, table="r").as_(d) for d in question.by]
    query = exp.select(period.as_(PERIOD), *dims, value.as_(value_column(metric))).from_(
        exp.table_(rollup.table).as_("r")
    )
    conds: list[exp.Expression] = []
    if question.first is not None:
        conds.append(exp.GTE(this=start.copy(), expression=literal(question.first.start)))
    if question.last is not None:
        conds.append(exp.LT(this=start.copy(), expression=literal(question.last.end)))
    if question.where:
        where = _where_columns(question.where, metric, rollup)
        if where is None:  # pragma: no cover - _unusable refused it
            raise QueryError("--where reads a column the rollup does not keep")
        conds.append(where)
    if conds:
        query = query.where(exp.and_(*conds), copy=False)
    keys = [exp.Literal.number(i + 1) for i in range(1 + len(dims))]
    ordered = [exp.Ordered(this=k.copy(), nulls_first=False) for k in keys]
    return query.group_by(*keys, copy=False).order_by(*ordered, copy=False)


def rollups_of(names: Sequence[str], metrics: Mapping[str, Metric]) -> bool:
    """Whether any metric asked declares a rollup (else routing is skipped: nothing to read)."""
    for name in names:
        try:
            metric = lookup_metric(name, metrics)
        except QueryError:
            return False
        if metric.spec.rollups:
            return True
    return False
