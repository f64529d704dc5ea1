"""Extract a decision vector from a model by following its SQL semantics to raw columns.

For one model: inline its upstream models, qualify, then
  - measure: each aggregated output column traced to `raw_table.column` × scale (CASE/FILTER
    conditions inside the aggregate become filters);
  - time basis: the grouping key traced to a raw date column, or, when the key comes from a
    generated calendar, the raw start/end columns the calendar is joined on (validity range);
  - filters: every row condition on the way (WHERE, inner JOIN ON, HAVING, semi/anti-joins,
    upstream models), split into conjuncts; a conjunct on one raw column becomes the set of
    values the warehouse says it admits; equalities between two tables become join edges;
    the rest are general predicates (a condition on the measured amount itself, or on any
    money column, is always one: `amount > 0` is not a list of amounts). What cannot be traced
    is listed as unmapped;
  - row decisions: a deduplication window (`row_number() … = 1`), the joins on the measured
    rows' way to the output (`rows.JoinWalk`: a fan-out, a required match), a semi-/anti-join
    with no condition of its own (an exclusion list), and the rows a filter on a LEFT-joined
    table drops (those with no row there), said as a note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from canon.audit import budget
from canon.audit.domains import Domains
from canon.audit.inline import Inliner, ParseFailure, qualified
from canon.audit.lineage import (
    RAW_KEY,
    Condition,
    Lineage,
    RankedRows,
    Unresolvable,
    conjuncts,
    is_raw,
    origin_of,
    raw_columns,
)
from canon.audit.measure import MeasureShape, NotAMeasure, parse_measure, row_measure
from canon.audit.naming import NAMED, OTHER, UNNAMED, OutputNames, model_named_for, named_like_money
from canon.audit.pergroup import per_group_average
from canon.audit.rows import JoinWalk, RowJoins
from canon.audit.sources import ModelSource
from canon.audit.terms import TermTree, split_terms
from canon.audit.timebasis import (
    CalendarProbe,
    calendar_join,
    generated_calendar,
    is_series,
    is_spine,
    outer_zone_conversion,
    recursive_cte,
    show,
    spine_marker,
    zone_shift,
)
from canon.compiler.vector import admitted as admitted_sql
from canon.contracts.decisions import (
    DecisionVector,
    Dedup,
    FanOut,
    Measure,
    RowMatch,
    TimeBasis,
    Unit,
    describe_filter,
    freeze_filters,
)
from canon.contracts.model import JoinEdge
from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar
from canon.engines.render import render

TEMPORAL = ("DATE", "TIMESTAMP", "DATETIME", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS")
MONEY = ("DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL", "HUGEINT", "MONEY")
INTEGER = ("BIGINT", "INTEGER", "INT", "SMALLINT", "HUGEINT", "INT64", "INT4", "INT8")
INSTANTS = ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_TZ")
DATE_KEY_FORMAT = "%Y%m%d"

Origin = list[tuple[str, int]]


@dataclass
class Unmapped:
    sql: str
    reason: str
    origin: Origin = field(default_factory=list)


@dataclass
class RowNote:
    """A row decision that follows from others (a filter on a LEFT-joined table dropping its NULL rows)."""

    text: str
    origin: Origin = field(default_factory=list)


# (rows of `own`'s table with a match in `other`'s table, rows with none); None: not known (static)
MatchCounts = Callable[[ColumnRef, ColumnRef], tuple[int, int] | None]


@dataclass
class Provenance:
    fragments: list[str] = field(default_factory=list)
    origin: Origin = field(default_factory=list)

    def add(self, fragment: str, origin: Iterable[tuple[str, int]]) -> None:
        if fragment not in self.fragments:
            self.fragments.append(fragment)
        self.origin = sorted(set(self.origin) | set(origin))


@dataclass
class PeriodKey:
    """An output column carrying the period, as an expression over the raw date (or a calendar)."""

    output: str
    expr: exp.Expr
    date_column: ColumnRef | None  # None: from a generated calendar (or from several dates: `mixed`)
    key_format: str | None = None  # the date column is an integer key in this format (20261015: %Y%m%d)
    mixed: bool = False  # several dates: `coalesce(spine_month, date_trunc('month', d))`


@dataclass
class Candidate:
    output: str
    shape: MeasureShape
    origin: Origin
    row_level: bool = False  # no aggregate: one value per row, summed over the period by the audit
    rank: int = UNNAMED  # NAMED when the output is named for the audited metric
    # a sum of several row sets (`lines - credit notes`): each term's model, its lineage and candidate
    terms: list[tuple[TermTree, ModelLineage, Candidate]] = field(default_factory=list)


@dataclass
class Extraction:
    model: ModelSource
    measure_output: str
    vector: DecisionVector
    period_keys: list[PeriodKey]
    unmapped: list[Unmapped]
    provenance: dict[str, Provenance]
    edges: list[JoinEdge]
    alternates: list[str]
    inlined: exp.Query
    output_unit: Unit = "major"  # the unit of the model's own output (cents ÷ 100 is dollars)
    row_level: bool = False
    row_notes: list[RowNote] = field(default_factory=list)


class Catalog:
    """Raw column types (from the warehouse) and which columns are keys."""

    def __init__(
        self, schema: Mapping[str, Mapping[str, str]], keys: Iterable[ColumnRef], *, typed: bool = True
    ) -> None:
        # `typed=False` (static mode): types come from the SQL, not the warehouse, and an empty type
        # is unknown rather than "not money" (a summed column of unknown type is a candidate).
        self.typed = typed
        self.schema = {t.lower(): {c.lower(): typ.upper() for c, typ in cols.items()} for t, cols in schema.items()}
        self.names = {t.lower(): (t, {c.lower(): c for c in cols}) for t, cols in schema.items()}
        self.keys = {ColumnRef(k.table.lower(), k.column.lower()) for k in keys}

    def type_of(self, ref: ColumnRef) -> str:
        return self.schema.get(ref.table.lower(), {}).get(ref.column.lower(), "")

    def spell(self, table: str, column: str) -> tuple[str, str]:
        """Case-insensitive lookup of the warehouse's own names (`RAW_INVOICES.AMOUNT` → `raw_invoices.amount`)."""
        found = self.names.get(table.lower())
        if found is None:
            return table, column
        return found[0], found[1].get(column.lower(), column)

    def is_key(self, ref: ColumnRef) -> bool:
        return ColumnRef(ref.table.lower(), ref.column.lower()) in self.keys

    def is_temporal(self, ref: ColumnRef) -> bool:
        return self.type_of(ref).startswith(TEMPORAL)

    def is_money(self, ref: ColumnRef, integer_money: bool) -> bool:
        """Decimal columns, and integer ones when the contract says cents or the name says money."""
        if ColumnRef(ref.table.lower(), ref.column.lower()) in self.keys:
            return False
        typ = self.type_of(ref)
        if not self.typed and not typ:
            return True
        if typ.startswith(INTEGER):
            return integer_money or named_like_money(ref.column)
        return typ.startswith(MONEY)

    def unit(self, ref: ColumnRef) -> Unit:
        return "minor" if self.type_of(ref).startswith(INTEGER) else "major"


def ref_of(col: exp.Column) -> ColumnRef:
    return ColumnRef(col.table, col.name)


class ModelLineage(Lineage):
    """Lineage that turns generated calendars (table functions, VALUES, UNNEST of series) into spine markers."""

    def __init__(self, tree: exp.Query, catalog: Catalog) -> None:
        super().__init__(tree)
        self.catalog = catalog
        self.raw_tables = set(catalog.schema)

    def spell(self, table: str, column: str) -> tuple[str, str]:
        return self.catalog.spell(table, column)

    def output(self, scope: Scope, name: str) -> exp.Expr:
        if generated_calendar(scope):
            return spine_marker(name)
        if recursive_cte(scope):
            raise Unresolvable(f"`{name}` of a recursive CTE that steps no date (not a calendar)")
        for sel in _selects(scope):
            if sel.alias_or_name == name:
                inner = sel.this if isinstance(sel, exp.Alias) else sel
                if any(is_series(n) for n in inner.walk()):
                    return spine_marker(name)
        return super().output(scope, name)

    def _row_conditions(self, scope: Scope) -> list[Condition]:
        # a generated calendar's own conditions (`where month < last_month`) decide its span, not rows
        return [] if generated_calendar(scope) else super()._row_conditions(scope)

    def _resolve_column(self, col: exp.Column, scope: Scope) -> exp.Expr:
        current: Scope | None = scope
        while current is not None:
            source = current.sources.get(col.table) if col.table else None
            if isinstance(source, exp.Table) and source.name.lower() not in self.raw_tables:
                return spine_marker(col.name)
            if isinstance(source, Scope) and isinstance(source.expression, exp.Values | exp.Unnest):
                return spine_marker(col.name)
            if source is not None:
                break
            current = current.parent
        return super()._resolve_column(col, scope)


class Extractor:
    def __init__(
        self,
        inliner: Inliner,
        catalog: Catalog,
        domains: Domains,
        dimension_columns: Iterable[ColumnRef] = (),
        integer_money: bool = False,
        is_unique: Any = None,
        match_counts: MatchCounts | None = None,
        names: OutputNames | None = None,
        by_name: bool = False,
    ) -> None:
        self.inliner = inliner
        self.catalog = catalog
        self.domains = domains
        self.dimension_columns = set(dimension_columns)
        self.integer_money = integer_money
        self.is_unique = is_unique or (lambda ref: False)
        self.match_counts: MatchCounts = match_counts or (lambda own, other: None)
        # How output names are read: row-level models need an output named for the metric; with
        # `by_name` (no contract to anchor the family) outputs named for another metric are skipped.
        self.names = names
        self.by_name = by_name
        self.probe = CalendarProbe()

    def rank(self, output: str) -> int | None:
        return self.names.rank(output) if self.names is not None else UNNAMED

    def names_metric(self, tree: exp.Query) -> bool:
        """Whether any column the model's SQL names is named for the metric (a cheap first sort)."""
        if self.names is None:
            return False
        seen = {n.alias_or_name for n in tree.find_all(exp.Alias, exp.Column)}
        return any(self.names.rank(n) == NAMED for n in seen if n)

    # -- discovery -----------------------------------------------------------------------
    def prepare(self, model: ModelSource) -> tuple[exp.Query, ModelLineage]:
        tree = self.inliner.inline(model.name)
        q = qualified(tree.copy(), self.catalog.schema, model.dialect)
        return tree, ModelLineage(q, self.catalog)

    def candidates(self, lineage: ModelLineage, model_name: str = "") -> tuple[list[Candidate], list[Unmapped]]:
        """Money outputs: aggregated ones, and row-level ones named for the metric (best named first).

        Counts and ids are not definitions. A row-level model (one row per customer × month,
        no SUM) is read when its output is named for the metric: the audit sums it over the
        period, as the dashboards reading it do. An output named like the metric is never
        dropped silently: when it cannot be mapped, the reason is kept.
        """
        found: list[Candidate] = []
        notes: list[Unmapped] = []
        unmappable: list[str] = []  # outputs named for the metric whose measure could not be read
        full_joins = any((j.side or "").upper() == "FULL" for j in lineage.root.expression.find_all(exp.Join))
        for sel in _selects(lineage.root):
            name = sel.alias_or_name
            rank = self.rank(name)
            inner = sel.this if isinstance(sel, exp.Alias) else sel
            if rank != NAMED and not inner.find(exp.AggFunc) and not _has_aggregate_upstream(lineage, name):
                continue
            try:
                resolved = lineage.output(lineage.root, name)
            except Unresolvable as exc:
                notes.append(Unmapped(sel.sql(), f"output `{name}` cannot be traced: {exc}", origin_of(sel)))
                continue
            aggregated = resolved.find(exp.AggFunc) is not None
            if not aggregated and rank != NAMED:
                continue
            if rank is None and self.by_name and self.names is not None:
                other = self.names.other(name)
                notes.append(Unmapped(sel.sql(), f"`{name}` measures {other} (audit it with --metric {other})"))
                continue
            try:
                shape = parse_measure(resolved) if aggregated else row_measure(resolved)
            except NotAMeasure as exc:
                money = any(self.catalog.is_money(ref_of(c), self.integer_money) for c in raw_columns(resolved))
                composite = self._composite(lineage, name, rank) if money else None
                if composite is not None:
                    found.append(composite)
                    continue
                averaged = self._per_group(lineage, name, rank) if money else None
                if averaged is not None:
                    found.append(averaged)
                    continue
                if money or rank == NAMED:
                    notes.append(Unmapped(sel.sql(), f"money aggregate not mappable: {exc}", origin_of(sel)))
                    if rank == NAMED:
                        unmappable.append(name)
                continue
            if shape.aggregation not in ("sum", "avg", "min", "max"):
                continue
            if shape.aggregation == "sum" and full_joins:  # one side's amount of FULL-joined relations
                composite = self._composite(lineage, name, rank)
                if composite is not None:
                    found.append(composite)
                    continue
            money_columns = [
                c for c in shape.values or [shape.column] if self.catalog.is_money(ref_of(c), self.integer_money)
            ]
            if not money_columns:
                dated = any(self.catalog.is_temporal(ref_of(c)) for c in shape.values or [shape.column])
                if rank == NAMED and not dated:  # `revenue_month` is a date, not a definition
                    why = f"`{name}` is named like the metric but sums no money column"
                    notes.append(Unmapped(sel.sql(), why, origin_of(sel)))
                continue
            shape.column = money_columns[0]
            found.append(
                Candidate(
                    name, shape, origin_of(resolved), row_level=not aggregated, rank=OTHER if rank is None else rank
                )
            )
        if self.by_name and self.names is not None:
            # No contract: a definition is an output named for the metric. Money named for
            # nothing is listed with why, and the model's best-named output is the one read:
            # when it cannot be mapped, the model is that row (never another output in its place).
            names = self.names
            for c in found:
                if c.rank != NAMED:
                    why = f"`{c.output}` aggregates money but is named for no metric (name it, or write a contract)"
                    notes.append(Unmapped(c.output, why, c.origin))
            found = [c for c in found if c.rank == NAMED]

            def order(output: str) -> tuple[int, tuple[int, int]]:
                return (0 if model_named_for(model_name, output) else 1, names.closeness(output))

            best = min((order(n) for n in unmappable), default=None)
            if found and best is not None and best < min(order(c.output) for c in found):
                return [], notes
            found.sort(key=lambda c: order(c.output))
            return found, notes
        found.sort(key=lambda c: (c.rank, self.names.closeness(c.output) if self.names is not None else (0, 0)))
        return found, notes

    def _per_group(self, lineage: ModelLineage, name: str, rank: int | None) -> Candidate | None:
        """`AVG` of per-group sums: the sum's measure, averaged per group key (see `pergroup.py`)."""
        found = per_group_average(lineage, name, lambda c: self.catalog.is_temporal(ref_of(c)))
        if found is None:
            return None
        try:
            resolved = lineage.output(found.scope, found.output)
            shape = parse_measure(resolved)
        except (Unresolvable, NotAMeasure):
            return None
        money = [c for c in shape.values or [shape.column] if self.catalog.is_money(ref_of(c), self.integer_money)]
        if not money or shape.aggregation != "sum":
            return None
        shape.column, shape.aggregation, shape.per = money[0], "avg", found.key
        return Candidate(name, shape, origin_of(resolved), rank=OTHER if rank is None else rank)

    def _composite(self, lineage: ModelLineage, name: str, rank: int | None) -> Candidate | None:
        """An output adding amounts of several row sets, as one candidate per row set (see `terms.py`)."""
        splits = split_terms(lineage, name, lambda c: self.catalog.is_money(ref_of(c), self.integer_money))
        if splits is None:
            return None
        terms: list[tuple[TermTree, ModelLineage, Candidate]] = []
        for split in splits:
            term_lineage = ModelLineage(split.tree, self.catalog)
            try:
                resolved = term_lineage.output(term_lineage.root, name)
                aggregated = resolved.find(exp.AggFunc) is not None
                shape = parse_measure(resolved) if aggregated else row_measure(resolved)
            except Unresolvable:
                return None
            except NotAMeasure:
                if len(splits) == 1:
                    return None
                nested = self._composite(term_lineage, name, rank)  # sales less refunds, sales itself net
                if nested is None:
                    return None
                terms.append((split, term_lineage, nested))
                continue
            money = [c for c in shape.values or [shape.column] if self.catalog.is_money(ref_of(c), self.integer_money)]
            if not money or shape.aggregation != "sum":
                return None
            shape.column = money[0]
            term = Candidate(name, shape, origin_of(resolved), row_level=not aggregated)
            terms.append((split, term_lineage, term))
        first = terms[0][2]
        return Candidate(
            name,
            first.shape,
            origin_of(lineage.output(lineage.root, name)),
            row_level=all(t.row_level for _, _, t in terms),
            rank=OTHER if rank is None else rank,
            terms=terms,
        )

    # -- extraction ----------------------------------------------------------------------
    def extract(
        self, model: ModelSource, tree: exp.Query, lineage: ModelLineage, chosen: Candidate, others: list[str]
    ) -> Extraction:
        if chosen.terms:
            return self._extract_composite(model, tree, lineage, chosen, others)
        unmapped: list[Unmapped] = []
        provenance: dict[str, Provenance] = {}
        shape = chosen.shape
        measure_ref = ref_of(shape.column)
        measured = _predicate_sql(shape.expression) if shape.expression is not None else shape.column.sql()
        provenance.setdefault("measure", Provenance()).add(
            f"{chosen.output} = {measured} × {shape.scale}", chosen.origin
        )

        conditions = lineage.row_conditions()
        conditions += self._outer_join_conditions(lineage, chosen.output, measure_ref, unmapped)
        for case_cond in shape.conditions:
            conditions.append(Condition(case_cond, "where", case_cond.sql(), origin_of(case_cond)))

        period_keys = self._period_keys(lineage, unmapped)
        if chosen.row_level:
            # a row-level model is per period only through a period column: a month, a calendar's
            # date; a raw timestamp passed through (a staging model's loaded_at) is no period
            period_keys = [k for k in period_keys if _period_grained(k)]
            if not period_keys:
                raise NoTimeBasis("one row per record and no period column (a month or a calendar date)")
        filters: dict[ColumnRef, frozenset[Scalar]] = {}
        predicates: list[str] = []
        edges: list[JoinEdge] = []
        range_parts: list[tuple[exp.Expr, Origin]] = []
        rows = _Rows()
        # deduplications first: a key unique among the kept rows makes its joins many-to-one
        for cond in conditions:
            if cond.kind == "dedup" and cond.dedup is not None:
                self._dedup(cond, cond.dedup, rows, provenance, unmapped)
        # static mode reads no data: a key not declared unique is unknown, not repeated (no fan-out said)
        unique = rows.unique(self.is_unique) if self.catalog.typed else (lambda ref: True)
        joins = JoinWalk(lineage, unique).walk(chosen.output, measure_ref.table)
        optional = joins.optional_tables
        conditions = _outside(conditions, joins, lineage)

        def process(cond: Condition, in_semi: bool = False) -> None:
            budget.check()  # each condition may query the warehouse's domains: stop at the budget
            if cond.kind == "dedup":
                return  # read above
            if cond.kind in ("semi", "anti") and cond.link is not None:
                outer, inner = cond.link
                if not self._decisive(cond.inner):  # `NOT IN (SELECT id FROM seed)`: a match, no value set
                    self._match(cond, rows, edges, predicates, provenance)
                    return
                edge = self._edge(ref_of(outer), ref_of(inner), rows)
                if edge is None:
                    unmapped.append(
                        Unmapped(cond.fragment, "semi-join on a key that is unique on neither side", cond.origin)
                    )
                    return
                edges.append(edge)
                if cond.kind == "semi":
                    for sub in cond.inner:
                        process(sub, in_semi=True)
                else:
                    self._anti(cond, filters, provenance, unmapped)
                return
            if cond.aggregate and all(_names_calendar(p) for p in conjuncts(cond.expr)):
                # the calendar bounded by the data's first and last dates (`month >= min(start_date)`)
                range_parts.extend((p, cond.origin) for p in conjuncts(cond.expr))
                return
            if cond.aggregate:
                unmapped.append(
                    Unmapped(cond.fragment, "condition on an aggregate (HAVING) cannot be a value set", cond.origin)
                )
                return
            if isinstance(cond.expr, exp.Anonymous) and cond.expr.name == "UNRESOLVED":
                unmapped.append(Unmapped(cond.fragment, "condition cannot be traced to raw columns", cond.origin))
                return
            for part in conjuncts(cond.expr):
                cols = raw_columns(part)
                if part.find(exp.Column) is not None and any(is_spine(c) for c in part.find_all(exp.Column)):
                    range_parts.append((part, cond.origin))
                    continue
                if not cols:
                    continue
                if isinstance(part, exp.EQ) and is_raw(part.this) and is_raw(part.expression):
                    a, b = ref_of(part.this), ref_of(part.expression)
                    if a.table != b.table:
                        edge = self._edge(a, b, rows)
                        if edge is not None:
                            edges.append(edge)
                        continue
                refs = {ref_of(c) for c in cols}
                if self.domains.excludes_nothing(part, refs):
                    # true for every row of the data: not a filter (`id IS NOT NULL`, `type <> 'never'`). On a
                    # value column it is still where the decision to admit everything was written down.
                    key = "no_effect"
                    if len(refs) == 1 and not self.catalog.is_key(next(iter(refs))):
                        key = f"filter:{next(iter(refs))}"
                    provenance.setdefault(key, Provenance()).add(_fragment(cond, part), cond.origin)
                    continue
                if len(refs) == 1 and not self.catalog.is_key(next(iter(refs))) and not self._amount(refs, measure_ref):
                    ref = next(iter(refs))
                    match = lambda n, r=ref: is_raw(n) and ref_of(n) == r  # noqa: E731
                    admitted = self.domains.admitted(ref, part, match)
                    # a LEFT-joined table's missing row reads as NULL: admitted if the condition holds for NULL
                    joined_null = ref.table in optional and self.domains.admits_null(part, match)
                    if admitted is not None and None not in admitted and joined_null:
                        admitted = admitted | {None}
                    if admitted is not None:
                        filters[ref] = filters[ref] & admitted if ref in filters else admitted
                        provenance.setdefault(f"filter:{ref}", Provenance()).add(_fragment(cond, part), cond.origin)
                        continue
                    why = self.domains.unknown(ref, part)
                    if why is not None:  # static mode: kept as a condition, said to be unknown
                        unmapped.append(Unmapped(cond.fragment, f"{ref}: {why}", cond.origin))
                text = _predicate_sql(part)
                predicates.append(text)
                provenance.setdefault(f"predicate:{text}", Provenance()).add(_fragment(cond, part), cond.origin)

        for cond in conditions:
            process(cond)
        dated = {k.date_column.table for k in period_keys if k.date_column is not None}
        self._joins(joins, measure_ref, filters, dated, rows, edges, provenance, unmapped)
        for left, right in lineage.outer_join_links():  # joins that decide no row still name edges
            a, b = ref_of(left), ref_of(right)
            if a.table != b.table and (edge := self._edge(a, b, rows)) is not None and edge not in edges:
                edges.append(edge)

        _through_equal_keys(edges, rows.loose)
        # a row-level model with no period is a staging model, never a lifetime total
        time_basis, implied = self._time_basis(
            period_keys, range_parts, provenance, unmapped, lifetime=not chosen.row_level
        )
        time_basis = self._through_calendar_table(time_basis, measure_ref, edges, provenance)
        for part in implied:  # what the time basis leaves out that the model also decides (`end IS NOT NULL`)
            refs = {ref_of(c) for c in raw_columns(part)}
            text = _predicate_sql(part)
            if self.domains.excludes_nothing(part, refs):
                provenance.setdefault("no_effect", Provenance()).add(text, [])
            else:
                predicates.append(text)
                provenance.setdefault(f"predicate:{text}", Provenance()).add(text, [])
        unit = self.catalog.unit(measure_ref)
        scale, output_unit = shape.scale, unit
        if unit == "minor" and scale.denominator % 100 == 0:
            # cents ÷ 100: the model shows dollars; the measure stays the cents, unscaled
            scale, output_unit = scale * 100, "major"
        measure = Measure(
            column=measure_ref,
            scale=scale,
            aggregation=shape.aggregation,  # type: ignore[arg-type]
            unit=unit,
            expression=_predicate_sql(shape.expression) if shape.expression is not None else None,
            amount=_predicate_sql(shape.amount) if shape.amount is not None else None,
            scale_by=ref_of(shape.scale_by) if shape.scale_by is not None else None,
            per=ref_of(shape.per) if shape.per is not None else None,
        )
        slices = {r: v for r, v in filters.items() if r in self.dimension_columns}
        plain = {r: v for r, v in filters.items() if r not in self.dimension_columns}
        for r in slices:
            provenance[f"slice:{r}"] = provenance.pop(f"filter:{r}", Provenance())
        vector = DecisionVector.build(
            measure, time_basis, plain, slices, predicates, rows.dedup, rows.fanout, rows.matches
        )
        return Extraction(
            model=model,
            measure_output=chosen.output,
            vector=vector,
            period_keys=period_keys,
            unmapped=unmapped,
            provenance=provenance,
            edges=list(dict.fromkeys(edges)),
            alternates=others,
            inlined=tree,
            output_unit=output_unit,
            row_level=chosen.row_level,
            row_notes=rows.notes,
        )

    def _extract_composite(
        self, model: ModelSource, tree: exp.Query, lineage: ModelLineage, chosen: Candidate, others: list[str]
    ) -> Extraction:
        """Each row set's model extracted as any model is, the definition their signed sum.

        The model's own figure is read through its own period column: a `coalesce(a.month,
        b.month)` of two dates (or of a calendar and a date) is a period key like any other
        there, since on every row it is the month of the row's own date.
        """
        parts = [self.extract(model, tree, tl, term, others) for split, tl, term in chosen.terms]
        vectors = []
        for (split, _, _), part in zip(chosen.terms, parts, strict=True):
            for term in part.vector.parts():
                term = _own_rows(term, part.edges, part.unmapped)
                vectors.append(term.with_measure(replace(term.measure, scale=term.measure.scale * split.sign)))
        units = {p.output_unit for p in parts}
        if len(units) > 1:
            raise NotAMeasure("its terms are in different units (cents and dollars)")
        provenance: dict[str, Provenance] = {}
        for part in parts:
            for key, prov in part.provenance.items():
                for fragment in prov.fragments:
                    provenance.setdefault(key, Provenance()).add(fragment, prov.origin)
        keys = [
            replace(k, mixed=False, date_column=k.date_column or _first_date(k, self.catalog))
            for k in self._period_keys(lineage, [])
        ]
        return Extraction(
            model=model,
            measure_output=chosen.output,
            vector=DecisionVector.composite(vectors),
            period_keys=[k for k in keys if k.date_column is not None or _names_calendar(k.expr)],
            unmapped=[u for p in parts for u in p.unmapped],
            provenance=provenance,
            edges=list(dict.fromkeys(e for p in parts for e in p.edges)),
            alternates=others,
            inlined=tree,
            output_unit=parts[0].output_unit,
            row_level=chosen.row_level,
            row_notes=[n for p in parts for n in p.row_notes],
        )

    def joins(self, lineage: ModelLineage) -> list[JoinEdge]:
        """The many-to-one edges a model's joins state, without extracting its decisions.

        What `extract` reads as edges (an equality of two raw columns of different tables in an
        inner or outer join's ON or a WHERE, a semi-join's link) where one side is unique: the
        audit uses them to tell which tables a metric's money lives in when canon.yml declares
        no relationship (`runner._widen_family`).
        """
        pairs = [(left, right) for left, right in lineage.outer_join_links()]
        for cond in lineage.row_conditions():
            budget.check()
            if cond.kind in ("semi", "anti") and cond.link is not None:
                pairs.append(cond.link)
                continue
            for part in conjuncts(cond.expr):
                if isinstance(part, exp.EQ) and is_raw(part.this) and is_raw(part.expression):
                    assert isinstance(part.this, exp.Column) and isinstance(part.expression, exp.Column)
                    pairs.append((part.this, part.expression))
        edges = [self._edge(ref_of(a), ref_of(b)) for a, b in pairs if ref_of(a).table != ref_of(b).table]
        return list(dict.fromkeys(e for e in edges if e is not None))

    def _edge(self, a: ColumnRef, b: ColumnRef, rows: _Rows | None = None) -> JoinEdge | None:
        unique = rows.unique(self.is_unique) if rows is not None else self.is_unique
        if unique(b):
            return JoinEdge(a, b)
        if unique(a):
            return JoinEdge(b, a)
        if rows is not None:
            rows.loose.append((a, b))
        return None

    def _amount(self, refs: set[ColumnRef], measure: ColumnRef) -> bool:
        """A condition on the measured column or on a money column is a predicate (`amount > 0`), never a
        set of admitted amounts (which would silently drop every amount the data does not hold yet)."""
        ref = next(iter(refs))
        if ref == measure:
            return True
        return self.catalog.is_money(ref, False) and bool(self.catalog.type_of(ref))

    # -- row decisions ---------------------------------------------------------------------
    def _dedup(
        self,
        cond: Condition,
        ranked: RankedRows,
        rows: _Rows,
        provenance: dict[str, Provenance],
        unmapped: list[Unmapped],
    ) -> None:
        among: list[str] = []
        for c in ranked.among:
            for part in conjuncts(c.expr):
                refs = {ref_of(col) for col in raw_columns(part)}
                if not refs or self.domains.excludes_nothing(part, refs):
                    continue
                ref = next(iter(refs))
                values = None
                if len(refs) == 1 and not self.catalog.is_key(ref) and not self.catalog.is_money(ref, False):
                    values = self.domains.admitted(ref, part, lambda n, r=ref: is_raw(n) and ref_of(n) == r)
                if values is not None:  # the set, spelled one way whatever the model wrote
                    among.append(_predicate_sql(admitted_sql(exp.column(ref.column, table=ref.table), values)))
                else:
                    among.append(_predicate_sql(part))
        dedup = Dedup(
            table=ranked.table,
            partition=tuple(_predicate_sql(p) for p in ranked.partition),
            order=tuple((_predicate_sql(e), desc) for e, desc in ranked.order),
            ties=ranked.ties,
            among=tuple(sorted(set(among))),
        )
        rows.dedup.append(dedup)
        if not ranked.ties and len(ranked.partition) == 1 and is_raw(ranked.partition[0]):
            key = ranked.partition[0]
            assert isinstance(key, exp.Column)
            rows.keys.add(ref_of(key))
        provenance.setdefault(f"dedup:{ranked.table}", Provenance()).add(cond.fragment, cond.origin)

    def _decisive(self, conds: list[Condition]) -> bool:
        """Whether a semi-/anti-join's subquery restricts its rows at all (beyond conditions true of every row)."""
        for c in conds:
            if c.kind not in ("where", "join", "having") or c.aggregate or not raw_columns(c.expr):
                return True
            for part in conjuncts(c.expr):
                refs = {ref_of(col) for col in raw_columns(part)}
                if refs and not self.domains.excludes_nothing(part, refs):
                    return True
        return False

    def _match(
        self,
        cond: Condition,
        rows: _Rows,
        edges: list[JoinEdge],
        predicates: list[str],
        provenance: dict[str, Provenance],
    ) -> None:
        """A semi-/anti-join on a key alone: rows need (or must not have) a match in the other table."""
        assert cond.link is not None
        own, other = ref_of(cond.link[0]), ref_of(cond.link[1])
        present = cond.kind == "semi"
        counts = self.match_counts(own, other)
        if counts is not None and counts[1 if present else 0] == 0:  # drops no row of the data
            provenance.setdefault("no_effect", Provenance()).add(cond.fragment, cond.origin)
            return
        edge = self._edge(own, other, rows)
        if edge is not None:
            edges.append(edge)
        rows.matches.append(RowMatch(own, other, present))
        if not present and cond.in_list and self.domains.domain(own).has_null:
            predicates.append(f"{own} IS NOT NULL")  # `NULL NOT IN (…)` is not true: NOT IN drops NULL keys too
        provenance.setdefault(f"match:{other.table}", Provenance()).add(cond.fragment, cond.origin)

    def _joins(
        self,
        joins: RowJoins,
        measure: ColumnRef,
        filters: dict[ColumnRef, frozenset[Scalar]],
        dated: set[str],
        rows: _Rows,
        edges: list[JoinEdge],
        provenance: dict[str, Provenance],
        unmapped: list[Unmapped],
    ) -> None:
        """Fan-outs, required matches and the NULL rows of LEFT-joined tables, from the walk's steps.

        A required match on a table that holds the period's date, or whose filter admits no NULL,
        drops nothing those do not drop already: it is no decision of its own.

        A join unique on its other side is a many-to-one edge whatever its kind (a LEFT JOIN's
        included): the compiler reaches the other table's columns through it.
        """
        for fragment, why, origin in joins.problems:
            unmapped.append(Unmapped(fragment, why, origin))
        for step in joins.steps:
            if step.other.table == measure.table and step.own.table == measure.table:
                continue  # a self-join on the measured table: not followed
            rejecting = [r for r, v in filters.items() if r.table == step.other.table and None not in v]
            if not step.unique:
                if step.derived:
                    why = "fan-out through an aggregated relation: each row counted once per group, not reproduced"
                    unmapped.append(Unmapped(step.fragment, why, step.origin))
                    continue
                rows.fanout.append(FanOut(step.own, step.other, step.required))
                provenance.setdefault(f"fanout:{step.other.table}", Provenance()).add(step.fragment, step.origin)
                continue
            if not step.derived and step.own.table != step.other.table:
                edges.append(JoinEdge(step.own, step.other))
            counts = self.match_counts(step.own, step.other)
            unmatched = None if counts is None else counts[1]
            if step.required:
                if step.derived or rejecting or step.other.table in dated or step.other.table == measure.table:
                    continue  # the filters or the period's date on that table drop the unmatched rows already
                if unmatched == 0 or (unmatched is None and not step.explicit):
                    continue  # every row has its match: the join decides nothing
                rows.matches.append(RowMatch(step.own, step.other, True))
                provenance.setdefault(f"match:{step.other.table}", Provenance()).add(step.fragment, step.origin)
            elif rejecting and unmatched != 0:
                count = "" if unmatched is None else f" ({unmatched} rows of {step.own.table})"
                text = (
                    f"rows with no {step.other.table} row dropped{count}: {step.other.table} is LEFT-joined, "
                    f"but the filter on {', '.join(str(r) for r in sorted(rejecting, key=str))} admits no NULL"
                )
                rows.notes.append(RowNote(text, step.origin))

    def _anti(
        self,
        cond: Condition,
        filters: dict[ColumnRef, frozenset[Scalar]],
        provenance: dict[str, Provenance],
        unmapped: list[Unmapped],
    ) -> None:
        parts = [
            p
            for c in cond.inner
            for p in conjuncts(c.expr)
            if not (raw_columns(p) and self.domains.excludes_nothing(p, {ref_of(x) for x in raw_columns(p)}))
        ]
        refs = {ref_of(c) for p in parts for c in raw_columns(p)}
        if len(parts) != 1 or len(refs) != 1:
            unmapped.append(Unmapped(cond.fragment, "NOT IN / NOT EXISTS over more than one condition", cond.origin))
            return
        ref = next(iter(refs))
        if self.domains.domain(ref).unknown:
            why = "static: excludes the rows matching another table, over a domain not read (unknown)"
            unmapped.append(Unmapped(cond.fragment, why, cond.origin))
            return
        excluded = self.domains.admitted(ref, parts[0], lambda n: is_raw(n) and ref_of(n) == ref)
        if excluded is None:
            unmapped.append(Unmapped(cond.fragment, "anti-join on a column with too many values", cond.origin))
            return
        allowed = self.domains.domain(ref).all - excluded
        assert cond.link is not None
        counts = self.match_counts(ref_of(cond.link[0]), ref_of(cond.link[1]))
        if counts is not None and counts[1] > 0:
            allowed = allowed | {None}  # rows with no row in that table at all are not excluded: kept
        filters[ref] = filters[ref] & allowed if ref in filters else allowed
        provenance.setdefault(f"filter:{ref}", Provenance()).add(cond.fragment, cond.origin)

    def _outer_join_conditions(
        self, lineage: ModelLineage, output: str, measure: ColumnRef, unmapped: list[Unmapped]
    ) -> list[Condition]:
        """The ON conditions of LEFT JOINs whose null-extended side the amount comes from.

        Null-extended rows add nothing to a SUM of that side, so for this amount the join is an
        inner join. The amount of the preserved side is not decided by them (its rows all stay).
        """
        joins = lineage.outer_joins()
        if not joins:
            return []
        via = lineage.feeds(lineage.root, output, (measure.table, measure.column))
        out: list[Condition] = []
        for join in joins:
            sources = {alias for scope_id, alias in via if scope_id == id(join.scope)}
            if join.nullable not in sources:
                continue
            if len(sources) > 1:
                fragment = " AND ".join(c.fragment for c in join.conditions)
                why = "the amount comes from both sides of a LEFT JOIN: its ON decides some of it and not the rest"
                unmapped.append(Unmapped(fragment, why, sorted({o for c in join.conditions for o in c.origin})))
                continue
            out.extend(join.conditions)
        return out

    def _period_keys(self, lineage: ModelLineage, unmapped: list[Unmapped]) -> list[PeriodKey]:
        keys: list[PeriodKey] = []
        integer: list[tuple[str, exp.Expr, ColumnRef]] = []
        for sel in _selects(lineage.root):
            inner = sel.this if isinstance(sel, exp.Alias) else sel
            if inner.find(exp.AggFunc):
                continue
            try:
                resolved = lineage.output(lineage.root, sel.alias_or_name)
            except Unresolvable:
                continue
            if resolved.find(exp.AggFunc):
                continue
            cols = raw_columns(resolved)
            calendar = _names_calendar(resolved)
            temporal = [c for c in cols if self.catalog.is_temporal(ref_of(c))]
            others = [c for c in cols if not self.catalog.is_temporal(ref_of(c))]
            dates = {ref_of(c) for c in temporal}
            if temporal and not others and len(dates) == 1 and not calendar:
                keys.append(PeriodKey(sel.alias_or_name, resolved, ref_of(temporal[0])))
            elif not cols and calendar:
                keys.append(PeriodKey(sel.alias_or_name, resolved, None))
            elif temporal and not others and (len(dates) > 1 or calendar):
                keys.append(PeriodKey(sel.alias_or_name, resolved, None, mixed=True))
            elif len({ref_of(c) for c in others}) == 1 and not temporal and not calendar:
                integer.append((sel.alias_or_name, resolved, ref_of(others[0])))
        if not keys:  # an integer YYYYMMDD key read directly (`date_key / 100` as the month)
            for name, resolved, ref in integer:
                if self.catalog.type_of(ref).startswith(INTEGER) and self.domains.is_date_key(ref):
                    keys.append(PeriodKey(name, resolved, ref, key_format=DATE_KEY_FORMAT))
        return keys

    def _time_basis(
        self,
        keys: list[PeriodKey],
        range_parts: list[tuple[exp.Expr, Origin]],
        provenance: dict[str, Provenance],
        unmapped: list[Unmapped],
        lifetime: bool = True,
    ) -> tuple[TimeBasis, list[exp.Expression]]:
        """The time basis, and conditions it implies that the model also states (`end IS NOT NULL`).

        With `lifetime`, an aggregate with no period column at all is a total over all time.
        """
        mixed = [k for k in keys if k.mixed]
        dated = [k for k in keys if k.date_column is not None]
        calendar = [k for k in keys if k.date_column is None and not k.mixed]
        several = "; ".join(f"`{k.output}` = {show(k.expr)}" for k in mixed)
        if mixed and not dated and not calendar:
            raise NoTimeBasis(f"the period is built from several dates: {several}")
        if mixed:
            unmapped.append(Unmapped(several, "the period is built from several dates (left out of the period)"))
        if dated:
            return self._event_basis(dated, provenance, unmapped), []
        if calendar and range_parts:
            found = calendar_join(
                range_parts,
                self.probe,
                lambda c: self.catalog.type_of(ref_of(c)),
                lambda c: self.catalog.is_temporal(ref_of(c)),
            )
            if found.basis is None:
                why = "; ".join(found.reasons) or "the calendar is not joined to the rows by a date"
                raise NoTimeBasis(f"no period: {why}")
            for reason in found.reasons:
                unmapped.append(Unmapped(reason, "a condition joining the calendar, not read into the time basis"))
            for part, origin in range_parts:
                key = "calendar" if show(part) in found.bounds else "time_basis"
                provenance.setdefault(key, Provenance()).add(show(part), origin)
            return found.basis, found.extra_conditions
        if calendar:
            raise NoTimeBasis("no period: the calendar the model is grouped by is not joined to the rows by a date")
        if not keys and lifetime:
            # aggregated with no period column at all: a total over all time (a customer's lifetime
            # value), or one point in time (`current_date`); a calendar joined upstream is no period
            provenance.setdefault("time_basis", Provenance()).add("no period column: a lifetime total", [])
            return TimeBasis((), "lifetime"), []
        raise NoTimeBasis("no period: the model is not grouped by a date or a calendar")

    def _through_calendar_table(
        self, basis: TimeBasis, measure: ColumnRef, edges: list[JoinEdge], provenance: dict[str, Provenance]
    ) -> TimeBasis:
        """An event date read from a calendar table (one row per day, `dim_date` loaded as a table)
        joined on its key is the key of the amount's own row: `fact.date_key = dim_date.date_key`
        with the month from `dim_date.month_start` is `fact.date_key`'s month."""
        if basis.kind != "event" or basis.key_format is not None or basis.time_zone is not None:
            return basis
        date = basis.columns[0]
        if date.table == measure.table:
            return basis
        for edge in edges:
            if edge.parent.table != date.table or edge.child.table != measure.table:
                continue
            fmt = self.domains.calendar_key(edge.parent, date)
            if fmt is None:
                continue
            provenance.setdefault("time_basis", Provenance()).add(
                f"{edge.child} = {edge.parent}: {date.table} is a calendar (one row per day, {date} its month)", []
            )
            return TimeBasis((edge.child,), "event", key_format=None if fmt == "date" else fmt)
        return basis

    def _event_basis(
        self, dated: list[PeriodKey], provenance: dict[str, Provenance], unmapped: list[Unmapped]
    ) -> TimeBasis:
        cols = list(dict.fromkeys(k.date_column for k in dated if k.date_column))
        if len(cols) > 1:
            unmapped.append(Unmapped(", ".join(k.output for k in dated), "the period is built from several dates"))
        for k in dated:
            provenance.setdefault("time_basis", Provenance()).add(f"{k.output} = {k.expr.sql()}", origin_of(k.expr))
        mine = [k for k in dated if k.date_column == cols[0]]
        shifts: set[tuple[str | None, str] | None] = set()
        for k in mine:
            conversion = outer_zone_conversion(k.expr)
            if conversion is None:
                shifts.add(None)
                continue
            shift = zone_shift(conversion, lambda c: self.catalog.type_of(ref_of(c)).startswith(INSTANTS))
            if isinstance(shift, str):
                raise NoTimeBasis(f"no period: {shift}")
            shifts.add((shift.source, shift.target))
        if len(shifts) > 1:
            raise NoTimeBasis("no period: the period keys convert the date to different time zones")
        shift_found = shifts.pop() if shifts else None
        return TimeBasis(
            (cols[0],),
            "event",
            time_zone=shift_found[1] if shift_found else None,
            source_zone=shift_found[0] if shift_found else "UTC",
            key_format=mine[0].key_format,
        )


def _outside(conditions: list[Condition], joins: RowJoins, lineage: Lineage) -> list[Condition]:
    """The conditions without those inside relations LEFT-joined to the measured rows (they decide which
    rows of that relation match: `LEFT JOIN (SELECT … WHERE status = 'issued')` drops no measured row).

    A condition is kept when it is reached from the outer query without entering such a relation
    (the same CTE read on the measured rows' way too keeps its conditions).
    """
    if not joins.optional_scopes:
        return conditions
    skip = {id(s) for s in joins.optional_scopes} - {id(s) for s in joins.path_scopes}
    kept: set[int] = set()
    seen: set[int] = set()
    stack = [lineage.root]
    while stack:
        scope = stack.pop()
        if id(scope) in seen:
            continue
        seen.add(id(scope))
        children = lineage.row_sources(scope)
        below = {id(c) for child in children for c in lineage.row_conditions(child)}
        kept |= {id(c) for c in lineage.row_conditions(scope) if id(c) not in below}
        stack.extend(child for child in children if id(child) not in skip)
    inside = {id(c) for s in joins.optional_scopes for c in lineage.row_conditions(s)}
    return [c for c in conditions if id(c) not in inside or id(c) in kept]


@dataclass
class _Rows:
    """Row decisions gathered while one model is extracted."""

    dedup: list[Dedup] = field(default_factory=list)
    fanout: list[FanOut] = field(default_factory=list)
    matches: list[RowMatch] = field(default_factory=list)
    notes: list[RowNote] = field(default_factory=list)
    keys: set[ColumnRef] = field(default_factory=set)  # raw columns a deduplication made unique
    loose: list[tuple[ColumnRef, ColumnRef]] = field(default_factory=list)  # equated keys unique on neither side

    def unique(self, is_unique: Callable[[ColumnRef], bool]) -> Callable[[ColumnRef], bool]:
        return lambda ref: ref in self.keys or is_unique(ref)


class NoTimeBasis(Exception):
    """The model aggregates money but not per period."""


def _names_calendar(node: exp.Expr) -> bool:
    return any(is_spine(c) for c in node.find_all(exp.Column))


def _selects(lineage_scope: Scope) -> list[exp.Expr]:
    query = lineage_scope.expression
    return list(query.selects) if isinstance(query, exp.Query) else []


def _through_equal_keys(edges: list[JoinEdge], loose: list[tuple[ColumnRef, ColumnRef]]) -> None:
    """Edges implied by equal keys: `credit_note.invoice_id = line.invoice_id` (unique on neither
    side) with `line.invoice_id → invoice.id` makes `credit_note.invoice_id → invoice.id`: the
    values are equal, and the invoice's id is unique."""
    equal = [*loose, *((e.child, e.parent) for e in edges)]  # an edge's two columns are equal too
    for a, b in equal:
        for edge in list(edges):
            for x, y in ((a, b), (b, a)):
                if edge.child == y and x.table != edge.parent.table:
                    implied = JoinEdge(x, edge.parent)
                    if implied not in edges:
                        edges.append(implied)


def _reachable(table: str, edges: Iterable[JoinEdge]) -> set[str]:
    """Tables `table`'s rows reach many-to-one (each of its rows has at most one row there)."""
    seen, todo = {table}, [table]
    while todo:
        current = todo.pop()
        for edge in edges:
            if edge.child.table == current and edge.parent.table not in seen:
                seen.add(edge.parent.table)
                todo.append(edge.parent.table)
    return seen


def _own_rows(vector: DecisionVector, edges: list[JoinEdge], unmapped: list[Unmapped]) -> DecisionVector:
    """A term's vector without decisions on tables its rows reach only one-to-many.

    `invoices LEFT JOIN credit_notes`: the credit notes' term inherits the conditions of the
    invoices' side, among them a filter on invoice lines (`NOT proration`). Lines are many per
    credit note: that condition decides whether the invoice has such a line, not which credit
    notes count; it is said, not compiled as a filter.
    """
    reach = _reachable(vector.measure.column.table, edges)
    dropped = [c for c in vector.filters if c.table not in reach]
    dropped_dedup = [d for d in vector.dedup if d.table not in reach]
    if not dropped and not dropped_dedup:
        return vector
    for col in dropped:
        why = (
            f"counted only where a {col.table} row of the same key passes it (one-to-many: not a filter of these rows)"
        )
        unmapped.append(Unmapped(describe_filter(col, vector.filters[col]), why))
    for dedup in dropped_dedup:
        unmapped.append(Unmapped(dedup.describe(), "a deduplication of rows this term reaches one-to-many"))
    kept = {c: v for c, v in vector.filters.items() if c.table in reach}
    return replace(vector, filter_items=freeze_filters(kept), dedup=tuple(d for d in vector.dedup if d.table in reach))


def _first_date(key: PeriodKey, catalog: Catalog) -> ColumnRef | None:
    """The first raw date a (several-dates) period key reads: any of them stands for the day."""
    dates = [ref_of(c) for c in raw_columns(key.expr) if catalog.is_temporal(ref_of(c))]
    return dates[0] if dates else None


def _period_grained(key: PeriodKey) -> bool:
    """A period key that is a period: from a calendar, or a raw date truncated or formatted."""
    if key.date_column is None:
        return True
    node = key.expr
    while isinstance(node, exp.Paren | exp.Cast | exp.TryCast):
        node = node.this
    return not isinstance(node, exp.Column)


def _has_aggregate_upstream(lineage: Lineage, name: str) -> bool:
    try:
        return bool(lineage.output(lineage.root, name).find(exp.AggFunc))
    except Unresolvable:
        return False


def _predicate_sql(part: exp.Expr) -> str:
    clean = part.copy()
    for col in clean.find_all(exp.Column):
        col.meta.pop(RAW_KEY, None)
    return render(clean, "duckdb", identify=False)


def _fragment(cond: Condition, part: exp.Expr) -> str:
    return cond.fragment


def prepare_failures() -> tuple[type[Exception], ...]:
    return (ParseFailure, Unresolvable, NotAMeasure, NoTimeBasis)
