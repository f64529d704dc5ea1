"""One page of a table: keyset pagination, `since`/`until` on the date column, bound values.

    SELECT <served columns> FROM <schema>.<table>
    WHERE <date> >= :since AND <date> < :until AND <key> > :last_key
    ORDER BY <key> LIMIT :limit + 1

No OFFSET: the cost of page N does not grow with N, because the engine seeks past the last
key (a B-tree in PostgreSQL, zone maps and a dynamic Top-N filter in DuckDB). The extra row
fetched tells whether another page exists without a COUNT (at the 5000 cap, a LIMIT 1 probe
instead: see TOP_N_MAX). Identifiers come from the resolved
whitelist; every request value is a typed literal built through sqlglot, never spliced text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
from sqlglot import exp

from canon.engines import Engine
from canon.serve.errors import bad_parameter
from canon.serve.warehouse.catalog import Table

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 5000


@dataclass(frozen=True)
class Bounds:
    since: datetime | None
    until: datetime | None


def parse_instant(text: str | None, parameter: str) -> datetime | None:
    """An ISO 8601 date or datetime as naive UTC; a date-only value is midnight UTC."""
    if text is None or text == "":
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise bad_parameter(
            parameter,
            f"`{parameter}` is not an ISO 8601 date or datetime: {value[:40]!r}",
            accepted="2026-05-12, 2026-05-12T20:00:00Z or 2026-05-12T20:00:00.000+02:00",
        ) from None
    return parsed


def parse_bounds(table: Table, since: str | None, until: str | None) -> Bounds:
    lo, hi = parse_instant(since, "since"), parse_instant(until, "until")
    if (lo is not None or hi is not None) and table.date is None:
        raise bad_parameter(
            "since" if lo is not None else "until",
            f"table `{table.name}` has no date column, so it cannot be filtered by since/until",
            accepted="cursor and limit only (see the manifest's date_column)",
        )
    if lo is not None and hi is not None and lo >= hi:
        raise bad_parameter(
            "until",
            f"empty range: since ({since}) is not before until ({until}); until is exclusive",
            accepted="an until later than since",
        )
    return Bounds(lo, hi)


def _ceil_to_date(value: datetime) -> date:
    """The first date whose midnight is at or after `value` (for DATE columns)."""
    day = value.date()
    if value == datetime(day.year, day.month, day.day) or day == date.max:
        return day
    return day + timedelta(days=1)


def instant_literal(value: datetime, kind: str) -> exp.Expr:
    if kind == "date":
        return exp.cast(exp.Literal.string(_ceil_to_date(value).isoformat()), exp.DataType.build("DATE"))
    if kind == "timestamptz":
        text = value.replace(tzinfo=UTC).isoformat(sep=" ")
        return exp.cast(exp.Literal.string(text), exp.DataType.build("TIMESTAMPTZ"))
    return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))


def value_literal(value: Any, engine_type: str) -> exp.Expr:
    """A cursor key value as a typed literal of its column's type family."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int | float | Decimal):
        return exp.Literal.number(str(value))
    if isinstance(value, datetime):
        tz = value.tzinfo is not None or "zone" in engine_type.lower() or engine_type.upper() == "TIMESTAMPTZ"
        text = value.isoformat(sep=" ")
        return exp.cast(exp.Literal.string(text), exp.DataType.build("TIMESTAMPTZ" if tz else "TIMESTAMP"))
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    return exp.Literal.string(str(value))


def after_key(table: Table, key: tuple[Any, ...]) -> exp.Expr:
    """Rows strictly after `key` in keyset order: (a > x) OR (a = x AND b > y), sargable on a."""
    cols = [exp.column(c) for c in table.keyset]
    lits = [value_literal(v, table.column(c).engine_type) for v, c in zip(key, table.keyset, strict=True)]
    if len(cols) == 1:
        return exp.GT(this=cols[0], expression=lits[0])
    lead = exp.GTE(this=cols[0].copy(), expression=lits[0].copy())
    tie = exp.and_(exp.EQ(this=cols[0], expression=lits[0]), exp.GT(this=cols[1], expression=lits[1]))
    later = exp.or_(exp.GT(this=cols[0].copy(), expression=lits[0].copy()), tie)
    return exp.and_(lead, exp.paren(later))


# Largest LIMIT DuckDB always plans as a top-N heap (beyond it, on smaller inputs, it sorts
# everything). A page of 5000 therefore fetches exactly 5000 rows and asks "is there one more?"
# with a second LIMIT 1 seek, instead of LIMIT 5001; smaller pages fetch limit + 1 at once.
TOP_N_MAX = 5000


def _conditions(table: Table, bounds: Bounds, key: tuple[Any, ...] | None) -> list[exp.Expr]:
    conditions: list[exp.Expr] = []
    if table.date is not None:
        dcol = table.date
        if bounds.since is not None:
            conditions.append(exp.GTE(this=exp.column(dcol.name), expression=instant_literal(bounds.since, dcol.kind)))
        if bounds.until is not None:
            conditions.append(exp.LT(this=exp.column(dcol.name), expression=instant_literal(bounds.until, dcol.kind)))
    if key is not None:
        conditions.append(after_key(table, key))
    return conditions


def page_query(table: Table, bounds: Bounds, key: tuple[Any, ...] | None, fetch: int) -> exp.Select:
    """The rows after `key` inside the bounds, in keyset order, at most `fetch` of them."""
    selected = [
        exp.column(c.physical) if c.source is None else exp.column(c.physical).as_(c.name, quoted=True)
        for c in table.columns
    ]
    query = exp.select(*selected).from_(table.ref())
    conditions = _conditions(table, bounds, key)
    if conditions:
        query = query.where(exp.and_(*conditions))
    return query.order_by(*[exp.column(c) for c in table.keyset]).limit(fetch)


def more_query(table: Table, bounds: Bounds, key: tuple[Any, ...]) -> exp.Select:
    """Whether any row follows `key` inside the bounds (a LIMIT 1 seek, no ordering needed)."""
    return (
        exp.select(exp.Literal.number(1)).from_(table.ref()).where(exp.and_(*_conditions(table, bounds, key))).limit(1)
    )


@dataclass(frozen=True)
class Page:
    rows: pa.Table
    has_more: bool
    last_key: tuple[Any, ...] | None


def _last_key(rows: pa.Table, table: Table) -> tuple[Any, ...]:
    last = rows.num_rows - 1
    return tuple(rows.column(table.served_name(c))[last].as_py() for c in table.keyset)


def fetch_page(engine: Engine, table: Table, bounds: Bounds, key: tuple[Any, ...] | None, limit: int) -> Page:
    """One page and whether another follows; `last_key` is set only when one does."""
    if limit + 1 <= TOP_N_MAX:
        result = engine.execute(page_query(table, bounds, key, limit + 1))
        has_more = result.num_rows > limit
        rows = result.slice(0, limit) if has_more else result
    else:
        rows = engine.execute(page_query(table, bounds, key, limit))
        has_more = (
            rows.num_rows == limit and engine.execute(more_query(table, bounds, _last_key(rows, table))).num_rows > 0
        )
    return Page(rows, has_more, _last_key(rows, table) if has_more else None)
