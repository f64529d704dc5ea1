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


@dataclass(frozen=True)
class PeriodFinding:
    """The current period found (or why none was), with the date that decided it."""

    period: str | None
    latest: dt.date | None
    reason: str


def event_date_columns(table: str, schema: str | None, columns: dict[str, str]) -> list[DateColumn]:
    """Columns typed as a date or timestamp whose name does not say pipeline time or an end date."""
    return [
        DateColumn(table, schema, name)
        for name, kind in columns.items()
        if _DATE_TYPE.search(kind) and not _NOT_EVENTS.search(name)
    ]


def latest_query(column: DateColumn, today: dt.date) -> exp.Select:
    """`MAX(CAST(col AS DATE))` over the rows dated no later than `today`, as a tree."""
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
            if isinstance(value, dt.date):
                dates.append((value, column))
    if not dates:
        return PeriodFinding(None, None, "no raw table has an event date column with rows")
    latest, column = max(dates, key=lambda pair: pair[0])
    period = last_complete_month(latest, today)
    return PeriodFinding(period, latest, f"latest event date {latest} ({column.table}.{column.column})")
