"""Time grains and periods: parse `2026-10`, `2026-W05`, `2026-Q4`, `2026`, `2026-10-05`.

Periods are half-open date ranges [start, end). The compiler filters event dates against
them (sargable comparisons, no functions on the column) and joins validity ranges to a
spine of them; labels are computed here, not in SQL, so every engine agrees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

Grain = Literal["day", "week", "month", "quarter", "year"]
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

    @property
    def end(self) -> date:
        """First day after the period (exclusive bound)."""
        return add_periods(self.start, self.grain, 1)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        return period_label(self.start, self.grain)

    def next(self) -> Period:
        return Period(self.end, self.grain)

    def shift(self, n: int) -> Period:
        return Period(add_periods(self.start, self.grain, n), self.grain)

    def __str__(self) -> str:
        return self.label


def parse_period(text: str, grain: Grain | None = None) -> Period:
    """Parse a period label; with `grain`, coarser or finer labels are re-expressed in it."""
    text = text.strip()
    for kind, pattern in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        nums = [int(g) for g in m.groups()]
        if kind == "day":
            start = date(nums[0], nums[1], nums[2])
        elif kind == "week":
            start = date.fromisocalendar(nums[0], nums[1], 1)
        elif kind == "month":
            start = date(nums[0], nums[1], 1)
        elif kind == "quarter":
            start = date(nums[0], 3 * (nums[1] - 1) + 1, 1)
        else:
            start = date(nums[0], 1, 1)
        return Period(truncate(start, grain), grain) if grain else Period(start, kind)
    raise ValueError(
        f"`{text}` is not a period; write 2026-10 (month), 2026-W05 (ISO week), 2026-Q4, 2026 or 2026-10-05"
    )


def truncate(day: date, grain: Grain) -> date:
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def add_periods(start: date, grain: Grain, n: int) -> date:
    if grain == "day":
        return start + timedelta(days=n)
    if grain == "week":
        return start + timedelta(weeks=n)
    months = {"month": 1, "quarter": 3, "year": 12}[grain] * n
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_label(start: date, grain: Grain) -> str:
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
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
