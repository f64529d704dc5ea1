"""One page of a table: keyset pagination, `since`/`until` on the date column, bound values.

    SELECT <served columns> FROM <schema>.<table>
    WHERE <date> >= :since AND <date> < :until AND <key> > :k0
    ORDER BY <key> LIMIT <limit + 1>

No OFFSET: the cost of page N does not grow with N, because the engine seeks past the last
key (a B-tree in PostgreSQL, zone maps and a dynamic Top-N filter in DuckDB). The extra row
fetched tells whether another page exists without a COUNT (at the 5000 cap, a LIMIT 1 probe
instead: see TOP_N_MAX). Identifiers come from the resolved whitelist; every request value is
a bound parameter of the engine's driver (`:since`, `:until`, `:k0`…), never text in the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import pyarrow as pa
from sqlglot import exp

from canon.engines import Engine
from canon.engines.render import render
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


def instant_value(value: datetime, kind: str) -> date | datetime:
    """A bound for the date column as a value of that column's type family."""
    if kind == "date":
        return _ceil_to_date(value)
    if kind == "timestamptz":
        return value.replace(tzinfo=UTC)
    return value


def _slot(name: str) -> exp.Placeholder:
    """A named bind parameter (`$name` in DuckDB, `%(name)s` in psycopg, `:name` in Spark)."""
    return exp.Placeholder(this=name)


def after_key(keyset: tuple[str, ...]) -> exp.Expr:
    """Rows strictly after the bound key `k0, k1` in keyset order: (a > k0) OR (a = k0 AND b > k1),
    led by a >= k0 so the engine can seek on a."""
    cols = [exp.column(c) for c in keyset]
    slots = [_slot(f"k{i}") for i in range(len(keyset))]
    if len(cols) == 1:
        return exp.GT(this=cols[0], expression=slots[0])
    lead = exp.GTE(this=cols[0].copy(), expression=slots[0].copy())
    tie = exp.and_(exp.EQ(this=cols[0], expression=slots[0]), exp.GT(this=cols[1], expression=slots[1]))
    later = exp.or_(exp.GT(this=cols[0].copy(), expression=slots[0].copy()), tie)
    return exp.and_(lead, exp.paren(later))


# Largest LIMIT DuckDB always plans as a top-N heap (beyond it, on smaller inputs, it sorts
# everything). A page of 5000 therefore fetches exactly 5000 rows and asks "is there one more?"
# with a second LIMIT 1 seek, instead of LIMIT 5001; smaller pages fetch limit + 1 at once.
TOP_N_MAX = 5000


@dataclass(frozen=True)
class Shape:
    """Which conditions a page query carries; with the table and the dialect it fixes the SQL."""

    since: bool
    until: bool
    key: bool


def _conditions(table: Table, shape: Shape) -> list[exp.Expr]:
    conditions: list[exp.Expr] = []
    if table.date is not None:
        if shape.since:
            conditions.append(exp.GTE(this=exp.column(table.date.name), expression=_slot("since")))
        if shape.until:
            conditions.append(exp.LT(this=exp.column(table.date.name), expression=_slot("until")))
    if shape.key:
        conditions.append(after_key(table.keyset))
    return conditions


def page_tree(table: Table, shape: Shape, fetch: int) -> exp.Select:
    """The rows after the bound key inside the bound dates, in keyset order, at most `fetch`."""
    selected = [
        exp.column(c.physical) if c.source is None else exp.column(c.physical).as_(c.name, quoted=True)
        for c in table.columns
    ]
    query = exp.select(*selected).from_(table.ref())
    conditions = _conditions(table, shape)
    if conditions:
        query = query.where(exp.and_(*conditions))
    return query.order_by(*[exp.column(c) for c in table.keyset]).limit(fetch)


def more_tree(table: Table, shape: Shape) -> exp.Select:
    """Whether any row follows the bound key inside the bounds (a LIMIT 1 seek, no ordering)."""
    return exp.select(exp.Literal.number(1)).from_(table.ref()).where(exp.and_(*_conditions(table, shape))).limit(1)


@lru_cache(maxsize=1024)
def statement_sql(table: Table, dialect: str, shape: Shape, fetch: int | None) -> str:
    """SQL text per (table, dialect, shape, page size): built and rendered once, then only bound.

    Rendering the syntax tree costs about as much as a DuckDB seek of a small page; a walk
    through a table repeats one shape thousands of times, so the text is kept.
    """
    tree = more_tree(table, shape) if fetch is None else page_tree(table, shape, fetch)
    return render(tree, dialect)


def _params(table: Table, bounds: Bounds, key: tuple[Any, ...] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if table.date is not None:
        if bounds.since is not None:
            params["since"] = instant_value(bounds.since, table.date.kind)
        if bounds.until is not None:
            params["until"] = instant_value(bounds.until, table.date.kind)
    for i, value in enumerate(key or ()):
        params[f"k{i}"] = value
    return params


def _shape(bounds: Bounds, key: tuple[Any, ...] | None) -> Shape:
    return Shape(bounds.since is not None, bounds.until is not None, key is not None)


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
    shape, params = _shape(bounds, key), _params(table, bounds, key)
    if limit + 1 <= TOP_N_MAX:
        result = engine.execute(statement_sql(table, engine.dialect, shape, limit + 1), params)
        has_more = result.num_rows > limit
        rows = result.slice(0, limit) if has_more else result
    else:
        rows = engine.execute(statement_sql(table, engine.dialect, shape, limit), params)
        has_more = False
        if rows.num_rows == limit:
            after = Shape(shape.since, shape.until, key=True)
            probe = _params(table, bounds, _last_key(rows, table))
            has_more = engine.execute(statement_sql(table, engine.dialect, after, None), probe).num_rows > 0
    return Page(rows, has_more, _last_key(rows, table) if has_more else None)
