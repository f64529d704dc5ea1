"""Compile a decision vector (plus grain, breakdown, filter and period) into one SELECT.

The shape is always: measure table LEFT JOIN its many-to-one parents, admitted-value
filters as IN lists (semi-joins for one-to-many tables), the time basis either truncating an
event date or joining validity ranges to a spine of periods, then GROUP BY period and
dimensions. Money comes out as integer cents, rounded once, half away from zero.

Row decisions change the rows before that: a deduplicated table is read as a subquery keeping
its first row per key (`Sources`), a fan-out joins the one-to-many table itself (each measured
row once per match), and a required or excluded match is an EXISTS / NOT EXISTS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlglot import exp

from canon import sqltree
from canon.compiler.joins import JoinGraph, JoinPlan, SemiJoinGroup, Step
from canon.compiler.periods import Grain, Period, period_range
from canon.compiler.relations import Relations
from canon.compiler.trees import data_type, join, parse_duckdb
from canon.contracts.decisions import DecisionVector, Dedup, Measure, RowMatch, TimeBasis
from canon.contracts.model import DimensionRef, JoinEdge
from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar
from canon.errors import QueryError
from canon.sqltree import DATE, literal

PERIOD_COLUMN = "period_start"
_T = exp.DataType.Type
BIGINT = data_type(_T.BIGINT)
DECIMAL = data_type(_T.DECIMAL, 38, 6)
_Qualifier = Callable[[ColumnRef], exp.Column]
SemiFilters = tuple[tuple[ColumnRef, frozenset[Scalar]], ...]
_SPINE = "canon_periods"
RANK_COLUMN = "canon_rank"


@dataclass(frozen=True)
class VectorQuery:
    """A question about one decision vector."""

    vector: DecisionVector
    value_name: str
    grain: Grain = "month"
    dimensions: tuple[DimensionRef, ...] = ()
    where: exp.Expression | None = None  # columns qualified by source table name
    first: Period | None = None
    last: Period | None = None
    extra_edges: tuple[JoinEdge, ...] = field(default=())


def admitted(column: exp.Expression, values: Iterable[Scalar], copy: bool = True) -> exp.Expression:
    """`column IN (...)`, with `OR column IS NULL` when NULL is admitted; FALSE for an empty set.

    `copy=False` lets the first use take `column` itself (a fresh node the caller gives away):
    compiling is mostly copying trees, so the compiler's own calls skip the needless copy.
    """
    vals = list(values)
    non_null = [v for v in vals if v is not None]
    parts: list[exp.Expression] = []
    fresh = [column] if not copy else []

    def col() -> exp.Expression:
        return fresh.pop() if fresh else column.copy()

    if non_null:
        ordered = sorted(non_null, key=lambda v: (type(v).__name__, str(v)))
        if len(ordered) == 1:
            parts.append(exp.EQ(this=col(), expression=literal(ordered[0])))
        else:
            parts.append(exp.In(this=col(), expressions=[literal(v) for v in ordered]))
    if len(non_null) != len(vals):
        parts.append(exp.Is(this=col(), expression=exp.null()))
    if not parts:
        return exp.false()
    return parts[0] if len(parts) == 1 else exp.Paren(this=exp.or_(*parts))


class _Aliases:
    """Source table → alias in the query (readable: the table's own name, suffixed on reuse)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def new(self, table: str) -> str:
        alias, n = table, 2
        while alias in self.used:
            alias, n = f"{table}_{n}", n + 1
        self.used.add(alias)
        return alias


class Sources:
    """Raw tables as a vector reads them: a deduplicated table is a subquery of its kept rows.

    Everything that names a raw table while compiling (the FROM, joins, EXISTS subqueries,
    semi-join flags) asks this, so a dedup applies wherever its table is read.
    """

    def __init__(self, relations: Relations, dedup: Iterable[Dedup] = ()) -> None:
        self.relations = relations
        self.dedup: dict[str, list[Dedup]] = {}
        for d in dedup:
            self.dedup.setdefault(d.table, []).append(d)

    def get(self, table: str) -> exp.Expression:
        source: exp.Expression = self.relations.get(table)
        for d in self.dedup.get(table, []):
            source = deduplicated(d, source)
        return source


def deduplicated(d: Dedup, source: exp.Expression) -> exp.Subquery:
    """`(SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER (…) AS canon_rank FROM t WHERE among) WHERE canon_rank = 1)`.

    RANK() when ties are kept. Portable (no QUALIFY); the extra `canon_rank` column is never read.
    """
    inner_alias = "canon_ranked"

    def qualify(ref: ColumnRef) -> exp.Column:
        if ref.table != d.table:
            raise QueryError(f"deduplication of `{d.table}` refers to `{ref}`, a column of another table")
        return _col(inner_alias, ref.column)

    partition = [_requalify(_parse_predicate(p), qualify) for p in d.partition]
    order = exp.Order(
        expressions=[exp.Ordered(this=_requalify(_parse_predicate(e), qualify), desc=desc) for e, desc in d.order]
    )
    ranking: exp.Expression = exp.Rank() if d.ties else exp.RowNumber()
    window = exp.Window(this=ranking, partition_by=partition, order=order)
    star = exp.Column(this=exp.Star(), table=exp.to_identifier(inner_alias))
    source = source.copy()
    source.set("alias", exp.TableAlias(this=exp.to_identifier(inner_alias)))
    ranked = exp.select(star, exp.alias_(window, RANK_COLUMN)).from_(source)
    if d.among:
        ranked = ranked.where(exp.and_(*[_requalify(_parse_predicate(c), qualify) for c in d.among]))
    kept = (
        exp.select(exp.Star())
        .from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier(inner_alias))))
        .where(exp.EQ(this=exp.column(RANK_COLUMN), expression=exp.Literal.number(1)))
    )
    return exp.Subquery(this=kept)


def _col(alias: str, column: str) -> exp.Column:
    return sqltree.col(column, alias, quoted=None)


def _join_condition(step: Step, from_alias: str, to_alias: str) -> exp.Expression:
    e = step.edge
    if step.forward:
        return exp.EQ(this=_col(from_alias, e.child.column), expression=_col(to_alias, e.parent.column))
    return exp.EQ(this=_col(from_alias, e.parent.column), expression=_col(to_alias, e.child.column))


def measure_value(
    measure: Measure, column: exp.Expression, as_cents: bool, group: exp.Expression | None = None
) -> exp.Expression:
    """The aggregate, scaled; money converted to integer cents with a single rounding.

    An average of per-group sums (`measure.per`) is the period's sum over its number of groups
    (`group`: the key, NULL on rows that do not count), divided exactly, then rounded once.
    """
    agg: exp.Expression
    if measure.per is not None:
        if group is None:
            raise QueryError(f"an average per `{measure.per}` needs its group key")
        factor = measure.scale * (100 if as_cents and measure.unit == "major" else 1)
        total: exp.Expression = exp.cast(exp.Sum(this=column), DECIMAL.copy(), copy=False)
        if factor.numerator != 1:
            total = exp.Mul(this=total, expression=exp.Literal.number(factor.numerator))
        groups: exp.Expression = exp.Count(this=exp.Distinct(expressions=[group]))
        if factor.denominator != 1:
            groups = exp.Mul(this=groups, expression=exp.Literal.number(factor.denominator))
        nonzero = exp.Nullif(this=groups, expression=exp.Literal.number(0))
        mean = exp.cast(exp.Div(this=total, expression=nonzero), DECIMAL.copy(), copy=False)
        if not as_cents:
            return mean
        rounded = exp.Round(this=mean, decimals=exp.Literal.number(0))
        return exp.cast(exp.Coalesce(this=rounded, expressions=[exp.Literal.number(0)]), BIGINT.copy(), copy=False)
    if measure.aggregation == "sum":
        agg = exp.Sum(this=column)
    elif measure.aggregation == "count":
        agg = exp.Count(this=column)
    elif measure.aggregation == "count_distinct":
        agg = exp.Count(this=exp.Distinct(expressions=[column]))
    elif measure.aggregation == "min":
        agg = exp.Min(this=column)
    elif measure.aggregation == "max":
        agg = exp.Max(this=column)
    else:
        agg = exp.Avg(this=column)
    factor = measure.scale * (100 if as_cents and measure.unit == "major" else 1)
    return scaled(agg, factor.numerator, factor.denominator, round_to_integer=as_cents)


def scaled(value: exp.Expression, numerator: int, denominator: int, round_to_integer: bool) -> exp.Expression:
    """value × numerator / denominator; when rounding, rounded once, half away from zero.

    A division goes through DECIMAL(38, 6) so every engine rounds the same exact value; a
    whole-number factor needs no cast (a sum of decimals times 100 is already exact).
    """
    expr: exp.Expression = value
    if denominator != 1:
        expr = exp.cast(value, DECIMAL.copy(), copy=False)
        if numerator != 1:
            expr = exp.Mul(this=expr, expression=exp.Literal.number(numerator))
        expr = exp.cast(exp.Div(this=expr, expression=exp.Literal.number(denominator)), DECIMAL.copy(), copy=False)
    elif numerator != 1:
        expr = exp.Mul(this=expr, expression=exp.Literal.number(numerator))
    if not round_to_integer:
        return expr if denominator != 1 or numerator != 1 else exp.cast(value, DECIMAL.copy(), copy=False)
    rounded = exp.Round(this=expr, decimals=exp.Literal.number(0))
    return exp.cast(exp.Coalesce(this=rounded, expressions=[exp.Literal.number(0)]), BIGINT.copy(), copy=False)


def period_spine(periods: Sequence[Period]) -> exp.Expression:
    """An inline VALUES table of (period_start, period_end) for validity-range bases."""
    rows = [exp.Tuple(expressions=[literal(p.start), literal(p.end)]) for p in periods]
    return exp.Values(
        expressions=rows,
        alias=exp.TableAlias(
            this=exp.to_identifier(_SPINE),
            columns=[exp.to_identifier(PERIOD_COLUMN), exp.to_identifier("period_end")],
        ),
    )


@dataclass
class BaseRows:
    """The measure's rows after joins and filters, before grouping: what the metric counts.

    Contract tests select from this directly (offending rows, samples); `compile_vector`
    aggregates it; `compile_batch` evaluates many filter sets over one scan of it.
    `conditions` are ANDed into the WHERE clause.
    """

    query: exp.Select
    conditions: list[exp.Expression]
    qualify: _Qualifier
    period: exp.Expression
    plan: JoinPlan | None = None
    alias_of: dict[str, str] = field(default_factory=dict)
    aliases: _Aliases | None = None
    relations: Sources | None = None
    time_conditions: list[exp.Expression] = field(default_factory=list)

    def select(self, *columns: exp.Expr, extra: exp.Expr | None = None, copy: bool = True) -> exp.Select:
        """The rows with `columns` selected; `copy=False` uses up this BaseRows (one query, no copies)."""
        conds = [*self.conditions, *([extra] if extra is not None else [])]
        q = (self.query.copy() if copy else self.query).select(*columns, copy=False)
        if not conds:
            return q
        return q.where(exp.and_(*[c.copy() if copy else c for c in conds], copy=False), copy=False)

    def measure(self, measure: Measure) -> exp.Expression:
        """The per-row value the measure aggregates: its column, or its expression requalified."""
        if measure.expression is None:
            return self.qualify(measure.column)
        return _requalify(_parse_predicate(measure.expression), self.qualify)

    def filter_conditions(
        self,
        items: Iterable[tuple[ColumnRef, frozenset[Scalar]]],
        predicates: Iterable[exp.Expression] = (),
        semi_flags: dict[tuple[int, SemiFilters], exp.Expression] | None = None,
        matches: Iterable[RowMatch] = (),
    ) -> list[exp.Expression]:
        """Conditions for admitted-value filters (semi-joins for one-to-many tables), predicates
        and required or excluded matches (EXISTS / NOT EXISTS)."""
        assert self.plan is not None and self.aliases is not None and self.relations is not None
        conditions: list[exp.Expression] = []
        for group, filters in self.semi_filters(items, conditions):
            flag = (semi_flags or {}).get((id(group), filters))
            if flag is not None:
                conditions.append(flag.copy())
            else:
                conditions.append(_exists(group, list(filters), self.alias_of, self.aliases, self.relations))
        for tree in predicates:
            conditions.append(_requalify(tree, self.qualify))
        for match in matches:
            conditions.append(self.match_condition(match))
        return conditions

    def match_condition(self, match: RowMatch) -> exp.Expression:
        """EXISTS (a row of the other table matches) or NOT EXISTS: never multiplies rows."""
        assert self.aliases is not None and self.relations is not None
        alias = self.aliases.new(match.other.table)
        sub = (
            exp.select(exp.Literal.number(1))
            .from_(self.relations.get(match.other.table).as_(alias, copy=False))
            .where(exp.EQ(this=_col(alias, match.other.column), expression=self.qualify(match.own)))
        )
        found = exp.Exists(this=sub)
        return found if match.present else exp.Not(this=found)

    def semi_filters(
        self, items: Iterable[tuple[ColumnRef, frozenset[Scalar]]], outer: list[exp.Expression]
    ) -> list[tuple[SemiJoinGroup, SemiFilters]]:
        """Split filters: conditions on joined tables go to `outer`; the rest by semi-join group."""
        assert self.plan is not None
        by_group: dict[int, list[tuple[ColumnRef, frozenset[Scalar]]]] = {}
        for ref, values in items:
            group = self.plan.semi_group_of(ref.table)
            if group is None:
                outer.append(admitted(self.qualify(ref), values, copy=False))
            else:
                by_group.setdefault(id(group), []).append((ref, values))
        return [
            (g, tuple(sorted(by_group[id(g)], key=lambda kv: str(kv[0])))) for g in self.plan.semi if id(g) in by_group
        ]


def base_rows(q: VectorQuery, graph: JoinGraph, relations: Relations) -> BaseRows:
    vector = q.vector
    root = vector.measure.column.table
    graph = graph.merged(q.extra_edges)
    sources = Sources(relations, vector.dedup)
    where_refs = _refs_in(q.where) if q.where is not None else set()
    predicate_trees = [_parse_predicate(p) for p in vector.predicates]
    predicate_refs = {r for tree in predicate_trees for r in _refs_in(tree)}
    condition_tables = {r.table for r in where_refs | predicate_refs}
    fanned = {f.other.table for f in vector.fanout} - {root}
    tables = vector.tables() | {d.column.table for d in q.dimensions} | condition_tables
    outer_only = {d.column.table for d in q.dimensions} | {c.table for c in vector.time_basis.columns}
    outer_only |= condition_tables | {f.own.table for f in vector.fanout}
    pinned = {d.column.table: d.path for d in q.dimensions if d.path}
    # a fan-out's joined table is joined below as it is (one row per match), not planned
    plan = graph.plan(root, tables - fanned, pinned=pinned, outer_only=outer_only - fanned)

    aliases = _Aliases()
    alias_of: dict[str, str] = {root: aliases.new(root)}
    query = exp.select().from_(sources.get(root).as_(alias_of[root], copy=False), copy=False)
    # A filter that admits no NULL on a joined table drops the rows a LEFT JOIN would keep, so
    # that table (and every table on its path) can be joined INNER: same rows, better plans.
    rejecting = {c.table for c, vals in [*vector.filter_items, *vector.slice_items] if None not in vals}
    inner = {s.target for t, p in plan.outer.items() if t in rejecting for s in p}
    for table, path in sorted(plan.outer.items(), key=lambda kv: (len(kv[1]), kv[0])):
        step = path[-1]
        alias_of[table] = aliases.new(table)
        join(
            query,
            sources.get(table).as_(alias_of[table], copy=False),
            _join_condition(step, alias_of[step.source], alias_of[table]),
            "inner" if table in inner else "left",
        )
    for fan in vector.fanout:
        if fan.own.table not in alias_of:
            raise QueryError(f"fan-out from `{fan.own}`: `{fan.own.table}` is not reachable many-to-one from `{root}`")
        alias_of[fan.other.table] = aliases.new(fan.other.table)
        on = exp.EQ(
            this=_col(alias_of[fan.other.table], fan.other.column),
            expression=_col(alias_of[fan.own.table], fan.own.column),
        )
        join(
            query,
            sources.get(fan.other.table).as_(alias_of[fan.other.table], copy=False),
            on,
            "inner" if fan.inner else "left",
        )

    def qualify(ref: ColumnRef) -> exp.Column:
        if ref.table not in alias_of:
            raise QueryError(f"`{ref}` is not reachable with many-to-one joins from `{root}`")
        return _col(alias_of[ref.table], ref.column)

    rows = BaseRows(query, [], qualify, exp.null(), plan, alias_of, aliases, sources)
    conditions = rows.filter_conditions(
        [*vector.filter_items, *vector.slice_items], predicate_trees, matches=vector.matches
    )
    if q.where is not None:
        conditions.append(_requalify(q.where, qualify))
    period_expr, time_conditions, rows.query = _time_basis(q, query, qualify)
    rows.conditions = [*conditions, *time_conditions]
    rows.period = period_expr
    rows.time_conditions = time_conditions
    return rows


def compile_batch(
    vectors: Sequence[DecisionVector],
    period: Period,
    graph: JoinGraph,
    relations: Relations,
    extra_edges: tuple[JoinEdge, ...] = (),
) -> exp.Select:
    """Many decision vectors sharing a measure and a time basis, one scan: column `v{i}` per vector.

    Each vector's filters become a CASE inside its own SUM, so a bridge of twenty steps reads
    the data once instead of twenty times.
    """
    first = vectors[0]
    if any(batch_key(v) != batch_key(first) for v in vectors):
        raise ValueError("compile_batch needs vectors with one measure, time basis, dedup and fan-out")
    everything: dict[ColumnRef, frozenset[Scalar]] = {}
    for v in vectors:
        for ref, _ in [*v.filter_items, *v.slice_items]:
            everything[ref] = frozenset({None})  # registers the table; admits NULL so no INNER join
    predicates = sorted({p for v in vectors for p in v.predicates})
    matches = {m for v in vectors for m in v.matches}  # registers the tables their own side is on
    union = DecisionVector.build(
        first.measure, first.time_basis, everything, None, predicates, first.dedup, first.fanout, matches
    )
    rows = base_rows(
        VectorQuery(union, "v", period.grain, first=period, last=period, extra_edges=extra_edges), graph, relations
    )
    measure = rows.measure(first.measure)
    # Semi-joins (EXISTS per vector) would rescan the one-to-many table per vector; instead each
    # group becomes one aggregated LEFT JOIN carrying a 0/1 flag per distinct filter set.
    wanted: dict[int, dict[SemiFilters, None]] = {}
    groups: dict[int, SemiJoinGroup] = {}
    for v in vectors:
        for group, filters in rows.semi_filters([*v.filter_items, *v.slice_items], []):
            wanted.setdefault(id(group), {})[filters] = None
            groups[id(group)] = group
    flags: dict[tuple[int, SemiFilters], exp.Expression] = {}
    query = rows.query.copy()
    basis = first.time_basis

    def keys_in_period(table: str) -> Callable[[str], exp.Select] | None:
        if basis.kind != "event" or basis.columns[0].table != table:
            return None
        in_period = exp.and_(*event_window(basis, exp.column(basis.columns[0].column), period.start, period.end))
        return lambda key: exp.select(exp.column(key)).from_(relations.get(table)).where(in_period.copy())

    for n, (gid, sets) in enumerate(wanted.items()):
        group = groups[gid]
        query, made = _semi_flag_join(query, group, list(sets), rows, f"canon_semi_{n}", keys_in_period(group.anchor))
        flags.update({(gid, f): e for f, e in made.items()})
    columns: list[exp.Expr] = []
    for i, v in enumerate(vectors):
        trees = [_parse_predicate(p) for p in v.predicates]
        conds = rows.filter_conditions([*v.filter_items, *v.slice_items], trees, flags, v.matches)
        value: exp.Expression = measure.copy()
        key: exp.Expression | None = rows.qualify(first.measure.per) if first.measure.per is not None else None
        if conds:
            value = exp.Case(ifs=[exp.If(this=exp.and_(*conds), true=measure.copy())])
            if key is not None:  # only the groups with a row that counts
                key = exp.Case(ifs=[exp.If(this=exp.and_(*[c.copy() for c in conds]), true=key)])
        columns.append(measure_value(first.measure, value, as_cents=True, group=key).as_(f"v{i}"))
    query = query.select(*columns, copy=False)
    if rows.time_conditions:
        query = query.where(exp.and_(*[c.copy() for c in rows.time_conditions]), copy=False)
    return query


def batch_key(vector: DecisionVector) -> tuple[object, ...]:
    """What vectors answered by one scan must share: the rows read (and how often), and what is summed."""
    return (vector.measure, vector.time_basis, vector.dedup, vector.fanout)


def compile_vector(q: VectorQuery, graph: JoinGraph, relations: Relations, as_cents: bool = True) -> exp.Select:
    """One row per period (and dimension values) with the metric's value."""
    rows = base_rows(q, graph, relations)
    measure_col = rows.measure(q.vector.measure)
    per = q.vector.measure.per
    group = rows.qualify(per) if per is not None else None
    value = measure_value(q.vector.measure, measure_col, as_cents, group).as_(q.value_name, copy=False)
    dims = [rows.qualify(d.column).as_(d.name, copy=False) for d in q.dimensions]
    query = rows.select(rows.period.as_(PERIOD_COLUMN, copy=False), *dims, value, copy=False)
    keys = [exp.Literal.number(i + 1) for i in range(1 + len(dims))]
    ordered = [exp.Ordered(this=k.copy(), nulls_first=False) for k in keys]
    return query.group_by(*keys, copy=False).order_by(*ordered, copy=False)


def event_time(basis: TimeBasis, column: exp.Expression) -> exp.Expression:
    """The event date as the periods see it: an integer key read as a date, a timestamp in its zone."""
    if basis.key_format is not None:
        text = exp.cast(column, data_type(_T.TEXT), copy=False)
        return exp.StrToDate(this=text, format=exp.Literal.string(basis.key_format))
    if basis.time_zone is not None:
        if basis.source_zone is None:  # instants: shown in the zone
            return exp.AtTimeZone(this=column, zone=exp.Literal.string(basis.time_zone))
        return exp.ConvertTimezone(
            source_tz=exp.Literal.string(basis.source_zone),
            target_tz=exp.Literal.string(basis.time_zone),
            timestamp=column,
        )
    return column


def event_window(
    basis: TimeBasis, column: exp.Expression, start: date | None, end: date | None
) -> list[exp.Expression]:
    """`start <= event < end` over the event column; an integer key is compared as an integer."""
    if basis.key_format is not None:
        bounds: list[tuple[type[exp.Expression], date | None]] = [(exp.GTE, start), (exp.LT, end)]
        out: list[exp.Expression] = []
        for op, day in bounds:
            if day is None:
                continue
            if "%d" not in basis.key_format and day.day != 1:
                raise QueryError(f"an integer key {basis.key_format} cannot be cut at {day.isoformat()}")
            out.append(op(this=column.copy(), expression=literal(int(day.strftime(basis.key_format)))))
        return out
    when = event_time(basis, column)
    out = []
    if start is not None:
        out.append(exp.GTE(this=when.copy(), expression=literal(start)))
    if end is not None:
        out.append(exp.LT(this=when.copy(), expression=literal(end)))
    return out


def _time_basis(
    q: VectorQuery, query: exp.Select, qualify: _Qualifier
) -> tuple[exp.Expression, list[exp.Expression], exp.Select]:
    basis = q.vector.time_basis
    if basis.kind == "lifetime":
        raise QueryError(
            "a lifetime total has no period to compile",
            fix="compare it by its decisions; a figure per period needs a date column",
        )
    if basis.kind == "event":
        col = qualify(basis.columns[0])
        if basis.key_format is not None and "%d" not in basis.key_format and q.grain in ("day", "week"):
            raise QueryError(f"an integer key {basis.key_format} has no {q.grain}: ask for months or longer")
        when = event_time(basis, col.copy())
        trunc = exp.DateTrunc(this=exp.cast(when, DATE.copy(), copy=False), unit=exp.var(q.grain.upper()))
        period = exp.cast(trunc, DATE.copy(), copy=False)
        first = q.first.start if q.first is not None else None
        last = q.last.end if q.last is not None else None
        return period, event_window(basis, col, first, last), query
    if q.first is None or q.last is None:
        raise QueryError(
            "a metric with a validity-range time basis needs a period range",
            fix="pass --from and --to (or set current_period in canon.yml)",
        )
    start, end = qualify(basis.columns[0]), qualify(basis.columns[1])
    spine_start = exp.column(PERIOD_COLUMN, table=_SPINE)
    spine_end = exp.column("period_end", table=_SPINE)
    ends_after = (
        exp.GTE(this=end.copy(), expression=spine_start.copy())
        if basis.end_inclusive
        else exp.GT(this=end.copy(), expression=spine_start.copy())
    )
    # live on any day of the period: it starts before the period ends; on its first day: by then
    started = (
        exp.LTE(this=start, expression=spine_start.copy())
        if basis.evaluated_at == "first_day"
        else exp.LT(this=start, expression=spine_end)
    )
    overlap = exp.and_(started, exp.Paren(this=exp.or_(exp.Is(this=end.copy(), expression=exp.null()), ends_after)))
    join(query, period_spine(period_range(q.first, q.last)), overlap, "inner")
    return spine_start.copy(), [], query


def _exists(
    group: SemiJoinGroup,
    filters: list[tuple[ColumnRef, frozenset[Scalar]]],
    alias_of: dict[str, str],
    aliases: _Aliases,
    relations: Sources,
) -> exp.Expression:
    first = group.first
    inner_alias = {first.target: aliases.new(first.target)}
    sub = exp.select(exp.Literal.number(1)).from_(relations.get(first.target).as_(inner_alias[first.target]))
    conds: list[exp.Expression] = [_join_condition(first, alias_of[group.anchor], inner_alias[first.target])]
    for table, steps in sorted(group.paths.items(), key=lambda kv: (len(kv[1]), kv[0])):
        for step in steps:
            if step.target in inner_alias:
                continue
            inner_alias[step.target] = aliases.new(step.target)
            join(
                sub,
                relations.get(step.target).as_(inner_alias[step.target], copy=False),
                _join_condition(step, inner_alias[step.source], inner_alias[step.target]),
                "inner",
            )
        del table
    for ref, values in filters:
        conds.append(admitted(_col(inner_alias[ref.table], ref.column), values, copy=False))
    return exp.Exists(this=sub.where(exp.and_(*conds)))


def _semi_flag_join(
    query: exp.Select,
    group: SemiJoinGroup,
    filter_sets: list[SemiFilters],
    rows: BaseRows,
    alias: str,
    period_filter: Callable[[str], exp.Select] | None = None,
) -> tuple[exp.Select, dict[SemiFilters, exp.Expression]]:
    """LEFT JOIN (SELECT key, MAX(CASE WHEN filters THEN 1 ELSE 0 END) AS f_j … GROUP BY key)."""
    assert rows.aliases is not None and rows.relations is not None
    first = group.first
    inner_alias = {first.target: rows.aliases.new(first.target)}
    sub = exp.select().from_(rows.relations.get(first.target).as_(inner_alias[first.target]))
    for _, steps in sorted(group.paths.items(), key=lambda kv: (len(kv[1]), kv[0])):
        for step in steps:
            if step.target in inner_alias:
                continue
            inner_alias[step.target] = rows.aliases.new(step.target)
            join(
                sub,
                rows.relations.get(step.target).as_(inner_alias[step.target], copy=False),
                _join_condition(step, inner_alias[step.source], inner_alias[step.target]),
                "inner",
            )
    # the first step leaves the anchor against an edge: anchor.parent_key = target.child_key
    key = first.edge.parent.column if first.forward else first.edge.child.column
    anchor_key = first.edge.child.column if first.forward else first.edge.parent.column
    key_col = _col(inner_alias[first.target], key)
    selects: list[exp.Expr] = [key_col.copy().as_("canon_key")]
    out: dict[SemiFilters, exp.Expression] = {}
    for j, filters in enumerate(filter_sets):
        cond = exp.and_(*[admitted(_col(inner_alias[r.table], r.column), vals, copy=False) for r, vals in filters])
        hit = exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.number(1))], default=exp.Literal.number(0))
        selects.append(exp.Max(this=hit).as_(f"f{j}"))
        out[filters] = exp.EQ(this=exp.column(f"f{j}", table=alias), expression=exp.Literal.number(1))
    if period_filter is not None:  # aggregate only the keys of anchor rows in the period
        sub = sub.where(exp.In(this=key_col.copy(), query=exp.Subquery(this=period_filter(anchor_key))))
    sub = sub.select(*selects).group_by(key_col.copy())
    on = exp.EQ(this=_col(rows.alias_of[group.anchor], anchor_key), expression=exp.column("canon_key", table=alias))
    derived = exp.Subquery(this=sub, alias=exp.TableAlias(this=exp.to_identifier(alias)))
    return join(query, derived, on, "left"), out


def _refs_in(tree: exp.Expression) -> set[ColumnRef]:
    refs: set[ColumnRef] = set()
    for col in tree.find_all(exp.Column):
        if not col.table:
            raise QueryError(f"column `{col.sql()}` in a condition must be written `table.column`")
        refs.add(ColumnRef(col.table, col.name))
    return refs


def _parse_predicate(text: str) -> exp.Expression:
    import sqlglot

    try:
        tree = parse_duckdb(text)
        assert isinstance(tree, exp.Expression)
        return tree
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"predicate `{text}` does not parse: {exc}") from None


def _requalify(tree: exp.Expression, qualify: _Qualifier) -> exp.Expression:
    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table:
            return qualify(ColumnRef(node.table, node.name))
        return node

    return exp.Paren(this=tree.copy().transform(swap))


def plan_for(q: VectorQuery, graph: JoinGraph) -> JoinPlan:
    """The join plan a query would use (for explanations and tests)."""
    tables = q.vector.tables() | {d.column.table for d in q.dimensions}
    return graph.plan(q.vector.measure.column.table, tables)
