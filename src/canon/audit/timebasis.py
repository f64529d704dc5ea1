"""Which raw date places a model's money in a period, read from the SQL's semantics.

A period key is an output column the model groups by. Traced to raw columns it is one of:

- an expression over one raw date (`date_trunc('month', d)`, `strftime(d, '%Y-%m')`,
  `year(d) * 100 + month(d)`, a time-zone conversion before truncating, an integer YYYYMMDD
  key): an event date;
- an expression over a generated calendar only (a spine: `generate_series`, a recursive CTE,
  a generator table function, a calendar model built from one): the calendar is joined to the
  raw rows, and the join says which raw date(s) count. `raw.key = f(calendar date)` places a
  row on one day (an event date, perhaps an integer key); `start <= month < end` is a validity
  range, live on the first day of the month or on any day of it, end inclusive or not, NULL
  ends open or not;
- an expression over several dates (`coalesce(spine_month, date_trunc('month', d))`): the
  period comes from more than one date, which no single time basis states.

How a calendar expression sits in its month (first day, last day, first day of the next) and
whether a calendar key encodes the same day as a raw key is decided by evaluating the
expressions on sample dates in an in-memory DuckDB, never from column names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlglot.errors
from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from canon.audit.lineage import is_raw, raw_columns
from canon.contracts.decisions import TimeBasis
from canon.contracts.refs import ColumnRef
from canon.engines.render import render
from canon.errors import CanonError
from canon.sqltree import literal

if TYPE_CHECKING:
    from canon.engines.duckdb import DuckDBEngine

SPINE_KEY = "canon_spine"
Origin = list[tuple[str, int]]

_SERIES = (exp.Unnest, exp.Explode, exp.GenerateSeries, exp.GenerateDateArray, exp.Seq4, exp.Seq8)
_SERIES_NAMES = {"range", "generate_series", "sequence", "generate_date_array"}
_ROW_GENERATORS = (exp.TableFromRows, exp.Generator)
# An open end written as a date nobody reaches (`coalesce(end_date, '9999-12-31')`).
_FAR_FUTURE = dt.date(2100, 1, 1)


def spine_marker(name: str) -> exp.Column:
    col = exp.column(name, table="__calendar__")
    col.meta[SPINE_KEY] = True
    return col


def is_spine(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and bool(node.meta.get(SPINE_KEY))


def is_series(node: exp.Expr) -> bool:
    if isinstance(node, _SERIES):
        return True
    return isinstance(node, exp.Anonymous) and str(node.this).lower() in _SERIES_NAMES


def show(node: exp.Expr) -> str:
    """An expression as a reader sees it: DuckDB SQL, the generated calendar named `calendar`."""
    clean = node.copy()
    for col in clean.find_all(exp.Column):
        col.meta.clear()
    try:
        text = render(clean, "duckdb", identify=False)
    except (CanonError, sqlglot.errors.SqlglotError):
        text = clean.sql()
    return text.replace("__calendar__.", "calendar.")


def _calendar_only(node: exp.Expr) -> bool:
    """An expression over a generated calendar only (no raw columns)."""
    cols = list(node.find_all(exp.Column))
    return bool(cols) and all(is_spine(c) for c in cols)


# -- calendars ---------------------------------------------------------------------------------
def generated_calendar(scope: Scope) -> bool:
    """Whether a scope's rows are generated rather than read: a recursive CTE stepping a date by an
    interval, or a select over a row generator (`TABLE(GENERATOR(ROWCOUNT => n))`)."""
    query = scope.expression
    if isinstance(query, exp.SetOperation):
        return _recursive_dates(query)
    if isinstance(query, exp.Select):
        sources = [query.args["from_"].this] if query.args.get("from_") else []
        sources += [j.this for j in query.args.get("joins") or []]
        return bool(sources) and all(isinstance(s, _ROW_GENERATORS) for s in sources)
    return False


def recursive_cte(scope: Scope) -> bool:
    """Whether a scope is a recursive CTE (a UNION whose second branch reads the CTE itself)."""
    union = scope.expression
    if not isinstance(union, exp.SetOperation):
        return False
    cte = union.parent
    with_ = cte.parent if isinstance(cte, exp.CTE) else None
    if not isinstance(cte, exp.CTE) or not isinstance(with_, exp.With) or not with_.args.get("recursive"):
        return False
    name = cte.alias_or_name.lower()
    return any(t.name.lower() == name for t in union.expression.find_all(exp.Table))


def _recursive_dates(union: exp.SetOperation) -> bool:
    step = union.expression
    if not isinstance(step, exp.Select) or not isinstance(union.parent, exp.CTE):
        return False
    with_ = union.parent.parent
    name = union.parent.alias_or_name.lower()
    if not isinstance(with_, exp.With) or not with_.args.get("recursive"):
        return False
    if not any(t.name.lower() == name for t in step.find_all(exp.Table)):
        return False
    # the step adds an interval to the previous row's date: a calendar, not a hierarchy walk
    return any(
        any(isinstance(n, exp.Interval | exp.DateAdd | exp.TimestampAdd) for n in sel.walk()) for sel in step.selects
    )


# -- time-zone conversions ---------------------------------------------------------------------
@dataclass(frozen=True)
class ZoneShift:
    source: str | None  # None: the column holds instants
    target: str


def _zone_text(node: exp.Expr | None) -> str | None:
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


def _timezone_call(node: exp.Expr) -> tuple[exp.Expr, str | None] | None:
    """`timezone('zone', x)` (DuckDB, PostgreSQL) is `x AT TIME ZONE 'zone'`."""
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "timezone" and len(node.expressions) == 2:
        return node.expressions[1], _zone_text(node.expressions[0])
    if isinstance(node, exp.AtTimeZone):
        return node.this, _zone_text(node.args.get("zone"))
    return None


def is_zone_conversion(node: exp.Expr) -> bool:
    return isinstance(node, exp.ConvertTimezone) or _timezone_call(node) is not None


def _unwrap(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren | exp.Cast | exp.TryCast):
        node = node.this
    return node


def zone_shift(node: exp.Expr, is_instant: Callable[[exp.Column], bool]) -> ZoneShift | str:
    """The conversion a zone expression applies to its raw timestamp, or why it cannot be stated.

    `CONVERT_TIMEZONE('UTC', 'X', ts)` and `(ts AT TIME ZONE 'UTC') AT TIME ZONE 'X'` read a
    wall-clock `ts` as UTC and show it in X; `instant AT TIME ZONE 'X'` shows an instant in X.
    `ts AT TIME ZONE 'X'` alone on a wall-clock time yields an instant whose date depends on the
    session's time zone: no conversion to state.
    """
    if isinstance(node, exp.ConvertTimezone):
        target = _zone_text(node.args.get("target_tz"))
        source = _zone_text(node.args.get("source_tz"))
        inner = _unwrap(node.args["timestamp"])
        if target is None or (node.args.get("source_tz") is not None and source is None):
            return "a time-zone conversion whose zones are not literals"
        if source is None and not (is_raw(inner) and is_instant(inner)):  # type: ignore[arg-type]
            return "a time-zone conversion without a source zone, of a timestamp without time zone"
        return ZoneShift(source, target)
    call = _timezone_call(node)
    if call is None:
        return "not a time-zone conversion"
    inner, target = call
    if target is None:
        return "a time-zone conversion whose zone is not a literal"
    inner = _unwrap(inner)
    if is_raw(inner):
        assert isinstance(inner, exp.Column)
        if is_instant(inner):
            return ZoneShift(None, target)
        return (
            f"`{show(node)}` reads a timestamp without time zone as {target} time and yields an instant: "
            "its date depends on the session's time zone"
        )
    first = _timezone_call(inner)
    if first is not None:
        base, source = first
        base = _unwrap(base)
        if source is not None and is_raw(base):
            assert isinstance(base, exp.Column)
            if not is_instant(base):
                return ZoneShift(source, target)
    return f"a chain of time-zone conversions not read: `{show(node)}`"


def outer_zone_conversion(expr: exp.Expr) -> exp.Expr | None:
    """The outermost time-zone conversion over a raw column inside `expr` (None: no conversion)."""
    for node in expr.walk():
        if is_zone_conversion(node) and raw_columns(node):
            return node
    return None


# -- probing calendar expressions --------------------------------------------------------------
class CalendarProbe:
    """Evaluates calendar and key expressions on sample dates (in-memory DuckDB, memoized)."""

    _MONTHS = (dt.date(2024, 12, 1), dt.date(2026, 2, 1), dt.date(2026, 10, 1))
    _DAYS = (dt.date(2024, 2, 29), dt.date(2025, 12, 31), dt.date(2026, 10, 15), dt.date(2026, 10, 16))

    def __init__(self) -> None:
        self._engine: DuckDBEngine | None = None
        self._memo: dict[str, list[object] | None] = {}

    def _values(self, exprs: list[exp.Expression]) -> list[object] | None:
        query = exp.select(*[e.as_(f"v{i}") for i, e in enumerate(exprs)])
        key = query.sql()
        if key not in self._memo:
            from canon.engines.duckdb import DuckDBEngine

            if self._engine is None:
                self._engine = DuckDBEngine()
            try:
                row = self._engine.execute(query).to_pylist()
                self._memo[key] = [_as_day(row[0][f"v{i}"]) for i in range(len(exprs))] if row else None
            except (CanonError, sqlglot.errors.SqlglotError, ValueError):
                self._memo[key] = None
        return self._memo[key]

    @staticmethod
    def _on(expr: exp.Expr, calendar: exp.Expression | None, raw: exp.Expression | None) -> exp.Expression:
        out = expr.copy()

        def swap(node: exp.Expr) -> exp.Expr:
            if calendar is not None and is_spine(node):
                return calendar.copy()
            if raw is not None and is_raw(node):
                return raw.copy()
            return node

        swapped = out.transform(swap)
        assert isinstance(swapped, exp.Expression)
        return swapped

    def position(self, calendar_expr: exp.Expr) -> str | None:
        """Where a calendar expression lies, the calendar being month starts: the month's first day,
        its last day, or the next month's first day (None: elsewhere, or not the same each month)."""
        exprs = [self._on(calendar_expr, literal(m), None) for m in self._MONTHS]
        values = self._values(exprs)
        if values is None:
            return None
        found: set[str] = set()
        for month, value in zip(self._MONTHS, values, strict=True):
            following = _next_month(month)
            where = {
                month: "first",
                following - dt.timedelta(days=1): "last",
                following: "next",
            }
            found.add(where.get(value, "") if isinstance(value, dt.date) else "")
        return found.pop() if len(found) == 1 and "" not in found else None

    def encoding(self, calendar_expr: exp.Expr, raw_expr: exp.Expr, raw_type: str) -> str | None:
        """How `raw_expr = calendar_expr` matches a raw row to one calendar day.

        "date": the raw column's own day; "%Y%m%d": an integer key of that day; None: neither
        (or not one day each, e.g. a month key matching every day of its month).
        """
        temporal = raw_type.upper().startswith(("DATE", "TIMESTAMP", "DATETIME"))
        whole = raw_type.upper().startswith("DATE") and not raw_type.upper().startswith("DATETIME")
        calendar = [self._on(calendar_expr, literal(d), None) for d in self._DAYS]
        if temporal:
            samples: list[tuple[str, list[exp.Expression]]] = [
                (
                    "date",
                    [literal(d if whole else dt.datetime.combine(d, dt.time(13, 45))) for d in self._DAYS],
                )
            ]
        elif raw_type.upper().startswith(("INT", "BIGINT", "SMALLINT", "HUGEINT", "UBIGINT", "UINTEGER")):
            samples = [("%Y%m%d", [literal(int(d.strftime("%Y%m%d"))) for d in self._DAYS])]
        else:
            return None
        for name, raws in samples:
            values = self._values([*calendar, *[self._on(raw_expr, None, r) for r in raws]])
            if values is None:
                continue
            cal, got = values[: len(self._DAYS)], values[len(self._DAYS) :]
            if cal == got and len(set(map(repr, cal))) == len(self._DAYS) and None not in cal:
                return name
        return None


def _as_day(value: object) -> object:
    if isinstance(value, dt.datetime) and value.time() == dt.time(0) and value.tzinfo is None:
        return value.date()
    return value


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


# -- joins to a calendar -----------------------------------------------------------------------
_FLIP = {"lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte", "eq": "eq"}
# (operator with the raw date on the left, calendar position) → what the raw date must be
_RELATION = {
    ("lte", "first"): "le_first",
    ("lt", "first"): "lt_first",
    ("lte", "last"): "lt_next",
    ("lt", "next"): "lt_next",
    ("gt", "first"): "gt_first",
    ("gte", "first"): "ge_first",
    ("gt", "last"): "ge_next",
    ("gte", "next"): "ge_next",
    ("gte", "last"): "ge_last",
}
# the same for a raw date truncated to its month (trunc(d) <= first day ⟺ d before the next month)
_TRUNCATED = {
    ("lte", "first"): "lt_next",
    ("lt", "first"): "lt_first",
    ("lte", "last"): "lt_next",
    ("lt", "next"): "lt_next",
    ("gte", "first"): "ge_first",
    ("gt", "first"): "ge_next",
    ("gte", "next"): "ge_next",
}
_STARTS = {"le_first": "first_day", "lt_next": "any_day"}


@dataclass
class _Bound:
    column: exp.Column
    relation: str
    open_end: bool  # NULL admitted: `end IS NULL OR ...`, or `coalesce(end, '9999-12-31')`
    text: str


@dataclass
class CalendarJoin:
    """What the conditions between the raw rows and a calendar say about the time basis."""

    basis: TimeBasis | None = None
    reasons: list[str] = field(default_factory=list)
    extra_conditions: list[exp.Expression] = field(default_factory=list)  # e.g. `end IS NOT NULL`
    bounds: list[str] = field(default_factory=list)  # conditions on the calendar alone (its span)


def _raw_side(node: exp.Expr, is_temporal: Callable[[exp.Column], bool]) -> tuple[exp.Column, bool, bool] | str:
    """(raw date, truncated to month, NULL read as open) of one side of a comparison, or why not."""
    truncated = open_end = False
    while True:
        if isinstance(node, exp.Paren | exp.Cast | exp.TryCast | exp.Date | exp.TsOrDsToDate):
            node = node.this
        elif isinstance(node, exp.DateTrunc | exp.TimestampTrunc):
            unit = node.args.get("unit")
            unit_name = (unit.name if isinstance(unit, exp.Var | exp.Literal) else str(unit or "")).lower()
            if unit_name == "month":
                truncated = True
            elif unit_name != "day":
                return f"a date truncated to its {unit_name or 'unit'}"
            node = node.this
        elif isinstance(node, exp.Coalesce) and len(node.expressions) == 1:
            default = _unwrap(node.expressions[0])
            day = _date_literal(default)
            if day is None or day < _FAR_FUTURE:
                return f"an open end replaced by `{show(default)}`, not by a date nobody reaches"
            open_end = True
            node = node.this
        else:
            break
    if not (isinstance(node, exp.Column) and is_raw(node)):
        return f"`{show(node)}` is not a raw date"
    if not is_temporal(node):
        return f"`{show(node)}` is not a date column"
    return node, truncated, open_end


def _date_literal(node: exp.Expr) -> dt.date | None:
    if isinstance(node, exp.Literal) and node.is_string:
        try:
            return dt.date.fromisoformat(node.this[:10])
        except ValueError:
            return None
    return None


def _comparisons(part: exp.Expr) -> list[exp.Expr]:
    node = part.unnest() if isinstance(part, exp.Paren) else part
    if isinstance(node, exp.Between):  # x BETWEEN lo AND hi ⟺ lo <= x AND x <= hi
        return [
            exp.LTE(this=node.args["low"].copy(), expression=node.this.copy()),
            exp.LTE(this=node.this.copy(), expression=node.args["high"].copy()),
        ]
    return [node]


def _disjuncts(node: exp.Expr) -> Iterable[exp.Expr]:
    node = node.unnest() if isinstance(node, exp.Paren) else node
    if isinstance(node, exp.Or):
        yield from _disjuncts(node.left)
        yield from _disjuncts(node.right)
    else:
        yield node


def calendar_join(
    parts: list[tuple[exp.Expr, Origin]],
    probe: CalendarProbe,
    type_of: Callable[[exp.Column], str],
    is_temporal: Callable[[exp.Column], bool],
) -> CalendarJoin:
    """The time basis stated by the conditions joining raw rows to a calendar.

    Each part is a conjunct that names the calendar. One on the calendar alone (or on the
    calendar and aggregates: `month >= min(start_date)`) bounds the calendar's span, not the
    rows. An equality `raw = f(calendar)` places a row on one day. Comparisons bound a raw
    start and a raw end: together they are a validity range.
    """
    out = CalendarJoin()
    bounds: list[_Bound] = []
    events: list[tuple[exp.Column, str]] = []
    for part, _ in parts:
        for comparison in _comparisons(part):
            if not raw_columns(comparison) or comparison.find(exp.AggFunc) is not None:
                out.bounds.append(show(comparison))
                continue
            options = list(_disjuncts(comparison))
            nulls = {
                (o.this.table, o.this.name)
                for o in options
                if isinstance(o, exp.Is) and isinstance(o.expression, exp.Null) and is_raw(o.this)
            }
            tests = [o for o in options if not (isinstance(o, exp.Is) and isinstance(o.expression, exp.Null))]
            if len(tests) != 1 or len(nulls) > 1:
                out.reasons.append(f"`{show(comparison)}`: a disjunction of calendar conditions is not a range")
                continue
            found = _bound(tests[0], probe, type_of, is_temporal)
            if isinstance(found, str):
                out.reasons.append(f"`{show(comparison)}`: {found}")
                continue
            if isinstance(found, tuple):
                events.append(found)
                continue
            if nulls:
                if nulls != {(found.column.table, found.column.name)}:
                    out.reasons.append(f"`{show(comparison)}`: admits NULL of another column")
                    continue
                found.open_end = True
            found.text = show(comparison)
            bounds.append(found)
    if events:
        if bounds or len({(c.table, c.name, f) for c, f in events}) != 1:
            out.reasons.append("rows are matched to the calendar by several dates")
            return out
        column, fmt = events[0]
        ref = ColumnRef(column.table, column.name)
        out.basis = TimeBasis((ref,), "event", key_format=None if fmt == "date" else fmt)
        return out
    if bounds:
        _range(bounds, out)
    return out


def _bound(
    comparison: exp.Expr,
    probe: CalendarProbe,
    type_of: Callable[[exp.Column], str],
    is_temporal: Callable[[exp.Column], bool],
) -> _Bound | tuple[exp.Column, str] | str:
    if not isinstance(comparison, exp.LT | exp.LTE | exp.GT | exp.GTE | exp.EQ):
        return "not a comparison of a raw date with the calendar"
    left, right = comparison.this, comparison.expression
    if _calendar_only(right) and not _calendar_only(left):
        raw, calendar, op = left, right, comparison.key
    elif _calendar_only(left) and not _calendar_only(right):
        raw, calendar, op = right, left, _FLIP[comparison.key]
    else:
        return "does not compare raw columns with the calendar alone"
    if any(is_spine(c) for c in raw.find_all(exp.Column)):
        return "mixes the calendar and raw columns on one side"
    if op == "eq":
        columns = raw_columns(raw)
        if len({(c.table, c.name) for c in columns}) != 1:
            return "matches the calendar with several raw columns"
        encoding = probe.encoding(calendar, raw, type_of(columns[0]))
        if encoding is None:
            return "the calendar key and the raw key do not encode the same day"
        return columns[0], encoding
    side = _raw_side(raw, is_temporal)
    if isinstance(side, str):
        return side
    column, truncated, open_end = side
    position = probe.position(calendar)
    if position is None:
        return f"`{show(calendar)}` is not the first or last day of the calendar's month, nor the next month's"
    relation = (_TRUNCATED if truncated else _RELATION).get((op, position))
    if relation is None:
        when = {"lt": "before", "lte": "on or before", "gt": "after", "gte": "on or after"}[op]
        day = {"first": "the month's first day", "last": "its last day", "next": "the next month's first day"}[position]
        return f"a raw date {when} {day} is neither the start nor the end of a validity range"
    return _Bound(column, relation, open_end, "")


def _range(bounds: list[_Bound], out: CalendarJoin) -> None:
    starts = [b for b in bounds if b.relation in ("le_first", "lt_next", "lt_first")]
    ends = [b for b in bounds if b.relation in ("gt_first", "ge_first", "ge_last", "ge_next")]
    start_cols = {(b.column.table, b.column.name) for b in starts}
    end_cols = {(b.column.table, b.column.name) for b in ends}
    if len(start_cols) != 1 or len(end_cols) != 1:
        if out.reasons:  # a start or an end was not read: that is the reason
            return
        what = "no start" if not start_cols else "no end" if not end_cols else "several starts or ends"
        out.reasons.append(f"a range join to the calendar with {what}: {'; '.join(b.text for b in bounds)}")
        return
    start, end = starts[0], ends[0]
    if len({b.relation for b in starts}) != 1 or len({b.relation for b in ends}) != 1:
        out.reasons.append(f"the range is bounded twice, differently: {'; '.join(b.text for b in bounds)}")
        return
    if start_cols == end_cols:
        # one date between the month's first day and the next month's: an event date on a calendar
        if start.relation == "lt_next" and end.relation == "ge_first":
            out.basis = TimeBasis((ColumnRef(start.column.table, start.column.name),), "event")
        else:
            out.reasons.append(f"a date compared with the calendar on both sides: {start.text}; {end.text}")
        return
    evaluated = _STARTS.get(start.relation)
    if evaluated is None:
        out.reasons.append(f"`{start.text}`: starts before the period begins, not a start of a validity range")
        return
    if end.relation in ("ge_last", "ge_next"):
        out.reasons.append(f"`{end.text}`: live through the whole period, which no time basis states")
        return
    ref_start = ColumnRef(start.column.table, start.column.name)
    ref_end = ColumnRef(end.column.table, end.column.name)
    out.basis = TimeBasis((ref_start, ref_end), "range", end.relation == "ge_first", evaluated)  # type: ignore[arg-type]
    if not end.open_end:  # `end > month` alone: a range with no end is not counted
        out.extra_conditions.append(exp.Not(this=exp.Is(this=end.column.copy(), expression=exp.null())))
