"""The example's fixed timeline: 24 calendar months, times as integer minutes since the start.

Nothing depends on the wall clock, so the same seed gives the same data on every machine.
Times are generated as integer minutes from START (UTC) and turned into timestamps only
when a table is written.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

START = datetime(2024, 6, 1)  # UTC, stored as TIMESTAMP without time zone
MONTHS = 24
END = datetime(2026, 6, 1)
DAYS = (END - START).days
MINUTES_PER_DAY = 24 * 60
START_MS = int((START - datetime(1970, 1, 1)).total_seconds() * 1000)


def month_starts() -> list[date]:
    out = []
    y, m = START.year, START.month
    for _ in range(MONTHS + 1):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


MONTH_STARTS = month_starts()
MONTH_START_DAYS = np.array([(d - START.date()).days for d in MONTH_STARTS], dtype=np.int64)
PERIODS = [d.strftime("%Y-%m") for d in MONTH_STARTS[:MONTHS]]


def period_index_of_day(day: np.ndarray) -> np.ndarray:
    """Month index (0..23) of a day offset from START."""
    return np.searchsorted(MONTH_START_DAYS, day, side="right") - 1


def period_labels(day: np.ndarray) -> pa.Array:
    """`YYYY-MM` of each day offset (days past the end keep the last month's label)."""
    idx = np.clip(period_index_of_day(day), 0, MONTHS - 1)
    return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), pa.array(PERIODS)).cast(pa.string())


def period_bounds(label: str) -> tuple[int, int]:
    """First day offset and end day offset (exclusive) of a `YYYY-MM` period."""
    i = PERIODS.index(label)
    return int(MONTH_START_DAYS[i]), int(MONTH_START_DAYS[i + 1])


def timestamps(minutes: np.ndarray) -> pa.Array:
    """Minutes since START → Arrow timestamp[us] (naive UTC)."""
    micros = (minutes.astype(np.int64) * 60_000_000) + (START_MS * 1000)
    return pa.array(micros, type=pa.timestamp("us"))


def dates(days: np.ndarray) -> pa.Array:
    epoch_days = (START.date() - date(1970, 1, 1)).days
    return pa.array((days.astype(np.int32) + epoch_days), type=pa.date32())


# ISO weeks: START is a Saturday; the week holding it began on Monday 2024-05-27.
FIRST_MONDAY_DAY = -((START.weekday()) % 7)  # day offset of the Monday of START's week
WEEKS = (DAYS - FIRST_MONDAY_DAY + 6) // 7


def week_index(day: np.ndarray) -> np.ndarray:
    return (day - FIRST_MONDAY_DAY) // 7


def week_sunday_day(week: np.ndarray) -> np.ndarray:
    """Day offset of the Sunday ending each ISO week (the snapshot's week end)."""
    return FIRST_MONDAY_DAY + week * 7 + 6


def as_date(day: int) -> date:
    return START.date() + timedelta(days=day)
