"""Cumulative and rolling windows: month/quarter/year to date and trailing N periods.

A window sums a metric's per-period values over several periods, so it is only meaningful for
an **additive** metric — money booked, events counted. Two kinds of metric refuse it with an
error instead of returning a plausible wrong number:

- a **balance** (a level at a date: MRR, ARR, headcount): twelve months of MRR added together
  is not a revenue figure anyone reports. Ask for the balance per period, compare periods
  (`--compare`), or query its movements (which are flows, and additive);
- a **non-additive** value: ratios and basis points (NRR), distinct counts, averages, min/max.

Which is which: a contract's `additivity:` when written; otherwise inferred — a declarative sum
or count is additive unless it is the balance a movement contract moves (`of:`) or the
knowledge base names it a run rate (MRR, ARR and their aliases); money movements are flows
(additive), retention ratios are not; a derived metric takes the weakest of its inputs.

The SQL: the metric is compiled over a range widened back to the first window's start, then a
VALUES spine of (period_start, window_start) — computed here, so every engine agrees — is joined
to it on `window_start <= v.period_start <= period_start` and summed. Missing periods inside a
window contribute nothing rather than shifting the frame (no ROWS BETWEEN over gaps).

A window asked at query time replaces a contract's own `window:` for that question (the
metric's per-period values are windowed once, never twice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlglot import exp

from canon.compiler.periods import GRAINS, Grain, Period, period_range, truncate
from canon.compiler.trees import join
from canon.compiler.vector import BIGINT, PERIOD_COLUMN
from canon.contracts.model import Metric
from canon.contracts.names import metric_key
from canon.contracts.spec import (
    RETENTION_KINDS,
    DeclarativeComposition,
    DerivedComposition,
    MovementComposition,
    SqlComposition,
    WindowSpec,
)
from canon.errors import Location, QueryError
from canon.sqltree import literal

Additivity = Literal["additive", "balance", "non_additive"]
ToDate = Literal["month", "quarter", "year"]
TO_DATE: dict[str, ToDate] = {"mtd": "month", "qtd": "quarter", "ytd": "year"}
RUN_RATES = ("mrr", "arr")  # knowledge-base metrics that are levels at a date, not flows
_ORDER = {g: i for i, g in enumerate(GRAINS)}


@dataclass(frozen=True)
class Window:
    """A window over periods: `to_date` (the enclosing month/quarter/year) or `trailing` N periods."""

    to_date: ToDate | None = None
    trailing: int | None = None

    @classmethod
    def from_spec(cls, spec: WindowSpec) -> Window:
        return cls(spec.to_date, spec.trailing)

    @property
    def label(self) -> str:
        if self.to_date is not None:
            return {"month": "month to date", "quarter": "quarter to date", "year": "year to date"}[self.to_date]
        return f"trailing {self.trailing} periods"

    def start(self, period: Period) -> date:
        """The first day the window ending with `period` sums from."""
        if self.to_date is not None:
            return truncate(period.start, self.to_date)
        assert self.trailing is not None
        return period.shift(1 - self.trailing).start


def parse_window(text: str | None, trailing: int | None) -> Window | None:
    """`--window ytd|qtd|mtd` and `--trailing N` → a Window (one of them), or None."""
    if text is not None and trailing is not None:
        raise QueryError(
            "a to-date window and a trailing window were both asked for; pass one",
            location=Location(parameter="window"),
            fix="a to-date window (ytd: year to date) or a trailing one (3: the last three periods)",
        )
    if text is not None:
        key = text.strip().lower()
        if key not in TO_DATE:
            raise QueryError(
                f"unknown window `{text}`",
                location=Location(parameter="window"),
                fix="use one of: mtd, qtd, ytd (or a trailing number of periods for a rolling window)",
            )
        return Window(to_date=TO_DATE[key])
    if trailing is not None:
        if trailing < 1 or trailing > 120:
            raise QueryError(
                f"a trailing window of {trailing} periods is out of range",
                location=Location(parameter="trailing"),
                fix="pass a number of periods from 1 to 120",
            )
        return Window(trailing=trailing)
    return None


def additivity(metric: Metric, metrics: Mapping[str, Metric]) -> Additivity:
    """Whether a metric's values may be summed over periods (see the module docstring)."""
    return _additivity(metric, metrics, frozenset())


def _additivity(metric: Metric, metrics: Mapping[str, Metric], seen: frozenset[str]) -> Additivity:
    if metric.spec.additivity is not None:
        return metric.spec.additivity
    comp = metric.composition
    if isinstance(comp, MovementComposition):
        return "non_additive" if comp.movement in RETENTION_KINDS else "additive"
    if isinstance(comp, DeclarativeComposition):
        if comp.measure.aggregation not in ("sum", "count"):
            return "non_additive"
        if _is_balance(metric, metrics):
            return "balance"
        return "additive"
    if comp.unit in ("ratio", "bps"):
        return "non_additive"
    if isinstance(comp, SqlComposition):
        return "balance" if _is_balance(metric, metrics) else "additive"
    assert isinstance(comp, DerivedComposition)
    kinds: set[Additivity] = set()
    for ref in comp.metrics:
        key = metric_key(ref)
        found = next((m for k, m in metrics.items() if metric_key(k) == key), None)
        if found is not None and found.name not in seen:
            kinds.add(_additivity(found, metrics, seen | {metric.name}))
    weakest: tuple[Additivity, ...] = ("non_additive", "balance")
    return next((k for k in weakest if k in kinds), "additive")


def _is_balance(metric: Metric, metrics: Mapping[str, Metric]) -> bool:
    from canon.kb.model import knowledge_base

    for other in metrics.values():
        comp = other.composition
        if isinstance(comp, MovementComposition) and metric_key(comp.of) == metric.name:
            return True
    standard = knowledge_base().metric(metric.name)
    return standard is not None and standard.key in RUN_RATES


def check_window(metric: Metric, metrics: Mapping[str, Metric], window: Window, grain: Grain) -> None:
    """Refuse a window a metric or grain cannot have, with what to ask instead."""
    kind = additivity(metric, metrics)
    where = Location(parameter="window" if window.to_date is not None else "trailing")
    if kind == "balance":
        raise QueryError(
            f"`{metric.name}` is a balance (a level at a date), so a {window.label} sum of it is not meaningful: "
            "adding up months of MRR is not a figure anyone reports",
            location=where,
            fix="ask for it per period (and --compare prior_period|prior_year), or window its movements "
            "(new_mrr, churn_mrr… are flows); if it really is a flow, write `additivity: additive` in its contract",
        )
    if kind == "non_additive":
        raise QueryError(
            f"`{metric.name}` is not additive over periods (a ratio, rate, average or distinct count), "
            f"so its {window.label} is not the sum of its periods",
            location=where,
            fix="window the metrics it is computed from, or ask for it per period",
        )
    if window.to_date is not None and (grain == "week" or _ORDER[grain] > _ORDER[window.to_date]):
        raise QueryError(
            f"a {window.label} window does not fit {grain} periods",
            location=Location(parameter="grain"),
            fix=f"ask with a grain finer than a {window.to_date} that nests in it (day, month or quarter)",
        )


def widened_first(window: Window, first: Period) -> Period:
    """The first period the metric must be computed from so the first window is whole."""
    return Period(truncate(window.start(first), first.grain), first.grain)


def windowed(
    window: Window,
    first: Period,
    last: Period,
    by: Sequence[str],
    value_columns: Sequence[str],
    compile_inner: Callable[[Period], exp.Select],
) -> exp.Select:
    """The windowed values for each period in [first, last]: a spine joined to the per-period values."""
    inner = compile_inner(widened_first(window, first))
    inner.set("order", None)  # summed below; sorting a subquery is wasted work
    rows = [exp.Tuple(expressions=[literal(p.start), literal(window.start(p))]) for p in period_range(first, last)]
    spine = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(
            this=exp.to_identifier("canon_windows"),
            columns=[exp.to_identifier(PERIOD_COLUMN), exp.to_identifier("window_start")],
        ),
    )
    v_period = exp.column(PERIOD_COLUMN, table="v")
    on = exp.and_(
        exp.GTE(this=v_period.copy(), expression=exp.column("window_start", table="canon_windows")),
        exp.LTE(this=v_period, expression=exp.column(PERIOD_COLUMN, table="canon_windows")),
    )
    keys = [exp.column(PERIOD_COLUMN, table="canon_windows").as_(PERIOD_COLUMN)]
    keys += [exp.column(d, table="v").as_(d) for d in by]
    sums = [exp.cast(exp.Sum(this=exp.column(c, table="v")), BIGINT.copy(), copy=False).as_(c) for c in value_columns]
    query = exp.select(*keys, *sums).from_(spine, copy=False)
    join(query, exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("v"))), on, "inner")
    return query.group_by(*[exp.Literal.number(i + 1) for i in range(1 + len(by))])
