"""The current period of a project: the last complete month present in its data.

An audit compares figures for one month; the month a new user cares about is the latest one
the data fully covers, not the calendar month (the data may end earlier) and not a month still
in progress (its figures would look like a collapse). So: the latest event date in the raw
tables (dates in the future, such as contract end dates, left out), and if that month has not
ended yet, the month before it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp

from canon.engines import Engine
from canon.sqltree import literal

_DATE_TYPE = re.compile(r"date|timestamp", re.IGNORECASE)
_INTEGER_TYPE = re.compile(r"int", re.IGNORECASE)
# Integer date keys (`booking_date_key` = 20261015), as warehouses with a date dimension write them.
_DATE_KEY = re.compile(r"date.*(key|_id|_int|yyyymmdd)$|^(date|day)_?(key|id|int)$", re.IGNORECASE)
# Dates that say when the pipeline touched a row, or when something will end, not when it happened.
_NOT_EVENTS = re.compile(
    r"updated|loaded|synced|inserted|ingested|extracted|modified|deleted|_etl|_dbt|batch|"
    r"end|expire|until|valid_to|due|renew|next_|cancel|birth",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateColumn:
    table: str
    schema: str | None
    column: str
    yyyymmdd: bool = False  # an integer key 20261015 rather than a date


@dataclass(frozen=True)
class PeriodFinding:
    """The current period found (or why none was), with the date that decided it."""

    period: str | None
    latest: dt.date | None
    reason: str


def event_date_columns(table: str, schema: str | None, columns: dict[str, str]) -> list[DateColumn]:
    """Columns typed as a date or timestamp whose name does not say pipeline time or an end date."""
    found = [
        DateColumn(table, schema, name)
        for name, kind in columns.items()
        if _DATE_TYPE.search(kind) and not _NOT_EVENTS.search(name)
    ]
    found += [
        DateColumn(table, schema, name, yyyymmdd=True)
        for name, kind in columns.items()
        if _INTEGER_TYPE.search(kind) and _DATE_KEY.search(name) and not _NOT_EVENTS.search(name)
    ]
    return found


def latest_query(column: DateColumn, today: dt.date) -> exp.Select:
    """`MAX(CAST(col AS DATE))` over the rows dated no later than `today`, as a tree (an integer
    key: `MAX(col)` over keys from 1900-01-01 to `today`, read back as YYYYMMDD)."""
    if column.yyyymmdd:
        key = exp.column(column.column)
        bounds = exp.Between(this=key.copy(), low=literal(19000101), high=literal(int(today.strftime("%Y%m%d"))))
        table = exp.table_(column.table, db=column.schema)
        return exp.select(exp.Max(this=key).as_("latest")).from_(table).where(bounds)
    day = exp.cast(exp.column(column.column), "DATE")
    not_future = exp.LTE(this=day.copy(), expression=literal(today))
    return (
        exp.select(exp.Max(this=day).as_("latest")).from_(exp.table_(column.table, db=column.schema)).where(not_future)
    )


def last_complete_month(latest: dt.date, today: dt.date) -> str:
    """`YYYY-MM` of `latest`, or of the month before when `latest`'s month has not ended by `today`."""
    month = latest.replace(day=1)
    if (month.year, month.month) >= (today.year, today.month):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return f"{month.year:04d}-{month.month:02d}"


def find_current_period(engine: Engine, tables: Iterable[tuple[str, str | None]], today: dt.date) -> PeriodFinding:
    """Query the latest event date of every raw table `(name, schema)` and derive the period."""
    dates: list[tuple[dt.date, DateColumn]] = []
    for name, schema in tables:
        for column in event_date_columns(name, schema, engine.columns(name, schema)):
            value = engine.scalar(latest_query(column, today))
            if isinstance(value, dt.datetime):
                value = value.date()
            if column.yyyymmdd and isinstance(value, int):
                value = _from_key(value)
            if isinstance(value, dt.date):
                dates.append((value, column))
    if not dates:
        return PeriodFinding(None, None, "no raw table has an event date column with rows")
    latest, column = max(dates, key=lambda pair: pair[0])
    period = last_complete_month(latest, today)
    return PeriodFinding(period, latest, f"latest event date {latest} ({column.table}.{column.column})")


def _from_key(value: int) -> dt.date | None:
    """20261015 → 2026-10-15; a number that is no date → None (the column was not a date key)."""
    try:
        return dt.date(value // 10000, value // 100 % 100, value % 100)
    except ValueError:
        return None
