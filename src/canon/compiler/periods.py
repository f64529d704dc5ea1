"""Time grains and periods: parse `2026-10`, `2026-W05`, `2026-Q4`, `2026`, `2026-10-05`, `FY2026-Q3`.

Periods are half-open date ranges [start, end). The compiler filters event dates against
them (sargable comparisons, no functions on the column) and joins validity ranges to a
spine of them; labels are computed here, not in SQL, so every engine agrees.

A period carries the project's `Calendar` (`compiler/calendars.py`): fiscal grains and weeks
starting on another day than Monday are placed by it. In SQL, a grain the engines' DATE_TRUNC
knows is truncated there; any other is a CASE tree over the exact boundaries of the periods
asked for (`period_start_sql`), so a fiscal quarter costs a few comparisons per row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, get_args

from sqlglot import exp

from canon.compiler.calendars import DEFAULT, FISCAL_GRAINS, Calendar
from canon.errors import Location, QueryError
from canon.sqltree import DATE, literal

Grain = Literal[
    "day", "week", "month", "quarter", "year", "fiscal_week", "fiscal_month", "fiscal_quarter", "fiscal_year"
]
GRAINS: tuple[str, ...] = get_args(Grain)

_PATTERNS: list[tuple[Grain, re.Pattern[str]]] = [
    ("day", re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")),
    ("week", re.compile(r"^(\d{4})-W(\d{2})$")),
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("year", re.compile(r"^(\d{4})$")),
]


@dataclass(frozen=True, order=True)
class Period:
    start: date
    grain: Grain
    calendar: Calendar | None = field(default=None, compare=False)

    @property
    def end(self) -> date:
        """First day after the period (exclusive bound)."""
        return add_periods(self.start, self.grain, 1, self.calendar)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        return period_label(self.start, self.grain, self.calendar)

    def next(self) -> Period:
        return Period(self.end, self.grain, self.calendar)

    def shift(self, n: int) -> Period:
        return Period(add_periods(self.start, self.grain, n, self.calendar), self.grain, self.calendar)

    def prior_year(self) -> Period | None:
        """The same period a year earlier (`FY2026-Q3` → `FY2025-Q3`, `2026-W10` → `2025-W10`), in this calendar.

        Months, quarters and years (Gregorian or fiscal) shift by their count per year. A week
        or fiscal week is the one with the same number a year earlier, None when that year has
        no such week (week 53). A day is the same date a year earlier (29 February → None).
        """
        per_year = {"month": 12, "quarter": 4, "year": 1, "fiscal_month": 12, "fiscal_quarter": 4, "fiscal_year": 1}
        if self.grain in per_year:
            return self.shift(-per_year[self.grain])
        if self.grain == "day":
            try:
                return Period(self.start.replace(year=self.start.year - 1), "day", self.calendar)
            except ValueError:
                return None
        label = self.label
        year_text, sep, number = label.rpartition("-W")
        prefix = "FY" if year_text.startswith("FY") else ""
        year = int(year_text.removeprefix("FY")) - 1
        try:
            return parse_period(f"{prefix}{year}{sep}{number}", None, self.calendar)
        except ValueError:
            return None

    def __str__(self) -> str:
        return self.label


def parse_period(text: str, grain: Grain | None = None, calendar: Calendar | None = None) -> Period:
    """Parse a period label; with `grain`, coarser or finer labels are re-expressed in it.

    Fiscal labels (`FY2026-Q3`) and week numbers are read in `calendar` (without one: ISO
    weeks, and no fiscal labels).
    """
    text = text.strip()
    cal = calendar or DEFAULT
    # fiscal labels only where the project's calendar is known: elsewhere FY2026-Q1 would
    # silently mean the Gregorian quarter, so it stays an unknown label there
    fiscal = calendar.parse(text) if calendar is not None else None
    if fiscal is not None:
        start, kind = fiscal
        if grain:
            return Period(truncate(start, grain, calendar), grain, calendar)
        return Period(start, kind, calendar)  # type: ignore[arg-type]
    for kind, pattern in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        nums = [int(g) for g in m.groups()]
        if kind == "day":
            start = date(nums[0], nums[1], nums[2])
        elif kind == "week":
            start = cal.week_start_of(nums[0], nums[1])
        elif kind == "month":
            start = date(nums[0], nums[1], 1)
        elif kind == "quarter":
            start = date(nums[0], 3 * (nums[1] - 1) + 1, 1)
        else:
            start = date(nums[0], 1, 1)
        return Period(truncate(start, grain, calendar), grain, calendar) if grain else Period(start, kind, calendar)
    raise ValueError(
        f"`{text}` is not a period; write 2026-10 (month), 2026-W05 (week), 2026-Q4, 2026, 2026-10-05 "
        "or a fiscal FY2026, FY2026-Q3, FY2026-P07, FY2026-W05"
    )


def truncate(day: date, grain: Grain, calendar: Calendar | None = None) -> date:
    if grain in FISCAL_GRAINS:
        return (calendar or DEFAULT).floor(day, grain)
    if grain == "day":
        return day
    if grain == "week":
        return (calendar or DEFAULT).week_floor(day)
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def add_periods(start: date, grain: Grain, n: int, calendar: Calendar | None = None) -> date:
    if grain in FISCAL_GRAINS:
        return (calendar or DEFAULT).add(start, grain, n)
    if grain == "day":
        return start + timedelta(days=n)
    if grain == "week":
        return start + timedelta(weeks=n)
    months = {"month": 1, "quarter": 3, "year": 12}[grain] * n
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_label(start: date, grain: Grain, calendar: Calendar | None = None) -> str:
    if grain in FISCAL_GRAINS:
        return (calendar or DEFAULT).label(start, grain)
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        return (calendar or DEFAULT).week_label(start)
    if grain == "month":
        return f"{start.year}-{start.month:02d}"
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def period_range(first: Period, last: Period) -> list[Period]:
    """Every period from `first` to `last` inclusive (same grain)."""
    out: list[Period] = []
    current = first
    while current <= last:
        out.append(current)
        current = current.next()
    return out


def truncates_natively(grain: Grain, calendar: Calendar | None) -> bool:
    """Whether every engine's DATE_TRUNC gives this grain's period start (Gregorian grains, Monday weeks)."""
    if grain in FISCAL_GRAINS:
        return False
    return grain != "week" or (calendar or DEFAULT).week_start == 0


def period_start_sql(day: exp.Expression, grain: Grain, first: Period | None, last: Period | None) -> exp.Expression:
    """The start of the period holding `day` (a DATE expression) as SQL.

    DATE_TRUNC for the grains engines know; otherwise a balanced CASE tree over the exact
    boundaries of the periods from `first` to `last` (computed here, so every engine agrees):
    `CASE WHEN day < b_mid THEN <left half> ELSE <right half> END`, log2(n) comparisons a row.
    Rows outside [first, last] are filtered by the caller's range, never placed by the tree.
    """
    calendar = next((p.calendar for p in (first, last) if p is not None and p.calendar is not None), None)
    if truncates_natively(grain, calendar):
        trunc = exp.DateTrunc(this=day, unit=exp.var(grain.upper()))
        return exp.cast(trunc, DATE.copy(), copy=False)
    if first is None or last is None:
        raise QueryError(
            f"the grain `{grain}` is placed by the project's calendar and needs a period range",
            location=Location(parameter="period_from"),
            fix="pass --from and --to (or set current_period in canon.yml)",
        )
    return _case_tree(day, [p.start for p in period_range(first, last)])


def _case_tree(day: exp.Expression, starts: Sequence[date]) -> exp.Expression:
    if len(starts) == 1:
        return literal(starts[0])
    mid = len(starts) // 2
    test = exp.LT(this=day.copy(), expression=literal(starts[mid]))
    return exp.Case(ifs=[exp.If(this=test, true=_case_tree(day, starts[:mid]))], default=_case_tree(day, starts[mid:]))
