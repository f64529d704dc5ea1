"""Extract a decision vector from a model by following its SQL semantics to raw columns.

For one model: inline its upstream models, qualify, then
  - measure: each aggregated output column traced to `raw_table.column` × scale (CASE/FILTER
    conditions inside the aggregate become filters);
  - time basis: the grouping key traced to a raw date column, or, when the key comes from a
    generated calendar, the raw start/end columns the calendar is joined on (validity range);
  - filters: every row condition on the way (WHERE, inner JOIN ON, HAVING, semi/anti-joins,
    upstream models), split into conjuncts; a conjunct on one raw column becomes the set of
    values the warehouse says it admits; equalities between two tables become join edges;
    the rest are general predicates. What cannot be traced is listed as unmapped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from canon.audit import budget
from canon.audit.domains import Domains
from canon.audit.inline import Inliner, ParseFailure, qualified
from canon.audit.lineage import RAW_KEY, Condition, Lineage, Unresolvable, conjuncts, is_raw, origin_of, raw_columns
from canon.audit.measure import MeasureShape, NotAMeasure, parse_measure
from canon.audit.sources import ModelSource
from canon.contracts.decisions import DecisionVector, Measure, TimeBasis, Unit
from canon.contracts.model import JoinEdge
from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar
from canon.engines.render import render

SPINE_KEY = "canon_spine"
TEMPORAL = ("DATE", "TIMESTAMP", "DATETIME", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS")
MONEY = ("DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL", "HUGEINT", "MONEY")
INTEGER = ("BIGINT", "INTEGER", "INT", "SMALLINT", "HUGEINT", "INT64", "INT4", "INT8")

Origin = list[tuple[str, int]]


@dataclass
class Unmapped:
    sql: str
    reason: str
    origin: Origin = field(default_factory=list)


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
    date_column: ColumnRef | None  # None: from a generated calendar


@dataclass
class Candidate:
    output: str
    shape: MeasureShape
    origin: Origin


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
        if ColumnRef(ref.table.lower(), ref.column.lower()) in self.keys:
            return False
        typ = self.type_of(ref)
        if not self.typed and not typ:
            return True
        return typ.startswith(MONEY) or (integer_money and typ.startswith(INTEGER))

    def unit(self, ref: ColumnRef) -> Unit:
        return "minor" if self.type_of(ref).startswith(INTEGER) else "major"


def ref_of(col: exp.Column) -> ColumnRef:
    return ColumnRef(col.table, col.name)


def _spine_marker(name: str) -> exp.Column:
    col = exp.column(name, table="__calendar__")
    col.meta[SPINE_KEY] = True
    return col


def is_spine(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and bool(node.meta.get(SPINE_KEY))


_SERIES = (exp.Unnest, exp.Explode, exp.GenerateSeries, exp.GenerateDateArray)
_SERIES_NAMES = {"range", "generate_series", "sequence", "generate_date_array"}


def _is_series(node: exp.Expr) -> bool:
    if isinstance(node, _SERIES):
        return True
    return isinstance(node, exp.Anonymous) and str(node.this).lower() in _SERIES_NAMES


class ModelLineage(Lineage):
    """Lineage that turns generated calendars (table functions, VALUES, UNNEST of series) into spine markers."""

    def __init__(self, tree: exp.Query, catalog: Catalog) -> None:
        super().__init__(tree)
        self.catalog = catalog
        self.raw_tables = set(catalog.schema)

    def spell(self, table: str, column: str) -> tuple[str, str]:
        return self.catalog.spell(table, column)

    def output(self, scope: Scope, name: str) -> exp.Expr:
        for sel in _selects(scope):
            if sel.alias_or_name == name:
                inner = sel.this if isinstance(sel, exp.Alias) else sel
                if any(_is_series(n) for n in inner.walk()):
                    return _spine_marker(name)
        return super().output(scope, name)

    def _resolve_column(self, col: exp.Column, scope: Scope) -> exp.Expr:
        current: Scope | None = scope
        while current is not None:
            source = current.sources.get(col.table) if col.table else None
            if isinstance(source, exp.Table) and source.name.lower() not in self.raw_tables:
                return _spine_marker(col.name)
            if isinstance(source, Scope) and isinstance(source.expression, exp.Values | exp.Unnest):
                return _spine_marker(col.name)
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
    ) -> None:
        self.inliner = inliner
        self.catalog = catalog
        self.domains = domains
        self.dimension_columns = set(dimension_columns)
        self.integer_money = integer_money
        self.is_unique = is_unique or (lambda ref: False)

    # -- discovery -----------------------------------------------------------------------
    def prepare(self, model: ModelSource) -> tuple[exp.Query, ModelLineage]:
        tree = self.inliner.inline(model.name)
        q = qualified(tree.copy(), self.catalog.schema, model.dialect)
        return tree, ModelLineage(q, self.catalog)

    def candidates(self, lineage: ModelLineage) -> tuple[list[Candidate], list[Unmapped]]:
        """Aggregated output columns over money columns (counts and ids are not definitions)."""
        found: list[Candidate] = []
        notes: list[Unmapped] = []
        for sel in _selects(lineage.root):
            name = sel.alias_or_name
            inner = sel.this if isinstance(sel, exp.Alias) else sel
            if not inner.find(exp.AggFunc) and not _has_aggregate_upstream(lineage, name):
                continue
            try:
                resolved = lineage.output(lineage.root, name)
            except Unresolvable as exc:
                notes.append(Unmapped(sel.sql(), f"output `{name}` cannot be traced: {exc}", origin_of(sel)))
                continue
            if not resolved.find(exp.AggFunc):
                continue
            try:
                shape = parse_measure(resolved)
            except NotAMeasure as exc:
                if any(self.catalog.is_money(ref_of(c), self.integer_money) for c in raw_columns(resolved)):
                    notes.append(Unmapped(sel.sql(), f"money aggregate not mappable: {exc}", origin_of(sel)))
                continue
            if shape.aggregation not in ("sum", "avg", "min", "max"):
                continue
            if not self.catalog.is_money(ref_of(shape.column), self.integer_money):
                continue
            found.append(Candidate(name, shape, origin_of(resolved)))
        return found, notes

    # -- extraction ----------------------------------------------------------------------
    def extract(
        self, model: ModelSource, tree: exp.Query, lineage: ModelLineage, chosen: Candidate, others: list[str]
    ) -> Extraction:
        unmapped: list[Unmapped] = []
        provenance: dict[str, Provenance] = {}
        shape = chosen.shape
        measure_ref = ref_of(shape.column)
        provenance.setdefault("measure", Provenance()).add(
            f"{chosen.output} = {shape.column.sql()} × {shape.scale}", chosen.origin
        )

        conditions = lineage.row_conditions()
        for case_cond in shape.conditions:
            conditions.append(Condition(case_cond, "where", case_cond.sql(), origin_of(case_cond)))

        period_keys = self._period_keys(lineage, unmapped)
        filters: dict[ColumnRef, frozenset[Scalar]] = {}
        predicates: list[str] = []
        edges: list[JoinEdge] = []
        range_parts: list[tuple[exp.Expr, Origin]] = []

        def process(cond: Condition, in_semi: bool = False) -> None:
            budget.check()  # each condition may query the warehouse's domains: stop at the budget
            if cond.kind in ("semi", "anti") and cond.link is not None:
                outer, inner = cond.link
                edge = self._edge(ref_of(outer), ref_of(inner))
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
                        edge = self._edge(a, b)
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
                if len(refs) == 1 and not self.catalog.is_key(next(iter(refs))):
                    ref = next(iter(refs))
                    admitted = self.domains.admitted(ref, part, lambda n, r=ref: is_raw(n) and ref_of(n) == r)
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
        for left, right in lineage.outer_join_links():  # joins that decide no row still name edges
            a, b = ref_of(left), ref_of(right)
            if a.table != b.table and (edge := self._edge(a, b)) is not None:
                edges.append(edge)

        time_basis = self._time_basis(period_keys, range_parts, provenance, unmapped)
        measure = Measure(
            column=measure_ref,
            scale=shape.scale,
            aggregation=shape.aggregation,  # type: ignore[arg-type]
            unit=self.catalog.unit(measure_ref),
        )
        slices = {r: v for r, v in filters.items() if r in self.dimension_columns}
        plain = {r: v for r, v in filters.items() if r not in self.dimension_columns}
        for r in slices:
            provenance[f"slice:{r}"] = provenance.pop(f"filter:{r}", Provenance())
        vector = DecisionVector.build(measure, time_basis, plain, slices, predicates)
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

    def _edge(self, a: ColumnRef, b: ColumnRef) -> JoinEdge | None:
        if self.is_unique(b):
            return JoinEdge(a, b)
        if self.is_unique(a):
            return JoinEdge(b, a)
        return None

    def _anti(
        self,
        cond: Condition,
        filters: dict[ColumnRef, frozenset[Scalar]],
        provenance: dict[str, Provenance],
        unmapped: list[Unmapped],
    ) -> None:
        parts = [p for c in cond.inner for p in conjuncts(c.expr)]
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
        filters[ref] = filters[ref] & allowed if ref in filters else allowed
        provenance.setdefault(f"filter:{ref}", Provenance()).add(cond.fragment, cond.origin)

    def _period_keys(self, lineage: ModelLineage, unmapped: list[Unmapped]) -> list[PeriodKey]:
        keys: list[PeriodKey] = []
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
            temporal = [c for c in raw_columns(resolved) if self.catalog.is_temporal(ref_of(c))]
            others = [c for c in raw_columns(resolved) if not self.catalog.is_temporal(ref_of(c))]
            if temporal and not others and len({ref_of(c) for c in temporal}) == 1:
                keys.append(PeriodKey(sel.alias_or_name, resolved, ref_of(temporal[0])))
            elif not raw_columns(resolved) and any(is_spine(c) for c in resolved.find_all(exp.Column)):
                keys.append(PeriodKey(sel.alias_or_name, resolved, None))
        return keys

    def _time_basis(
        self,
        keys: list[PeriodKey],
        range_parts: list[tuple[exp.Expr, Origin]],
        provenance: dict[str, Provenance],
        unmapped: list[Unmapped],
    ) -> TimeBasis:
        dated = [k for k in keys if k.date_column is not None]
        if dated:
            cols = list(dict.fromkeys(k.date_column for k in dated if k.date_column))
            if len(cols) > 1:
                unmapped.append(Unmapped(", ".join(k.output for k in dated), "the period is built from several dates"))
            for k in dated:
                provenance.setdefault("time_basis", Provenance()).add(f"{k.output} = {k.expr.sql()}", origin_of(k.expr))
            return TimeBasis((cols[0],), "event")
        if any(k.date_column is None for k in keys) and range_parts:
            start, end, inclusive = _range_columns(range_parts, self.catalog)
            if start and end:
                for part, origin in range_parts:
                    provenance.setdefault("time_basis", Provenance()).add(part.sql(), origin)
                return TimeBasis((start, end), "range", inclusive)
        raise NoTimeBasis("no period: the model is not grouped by a date or a calendar")


class NoTimeBasis(Exception):
    """The model aggregates money but not per period."""


def _range_columns(
    parts: list[tuple[exp.Expr, Origin]], catalog: Catalog
) -> tuple[ColumnRef | None, ColumnRef | None, bool]:
    start: ColumnRef | None = None
    end: ColumnRef | None = None
    inclusive = True
    expanded: list[exp.Expr] = []
    for part, _ in parts:
        node = part.unnest()
        if isinstance(node, exp.Between):  # x BETWEEN lo AND hi ⟺ lo <= x AND x <= hi
            expanded.append(exp.LTE(this=node.args["low"], expression=node.this))
            expanded.append(exp.LTE(this=node.this, expression=node.args["high"]))
        else:
            expanded.append(node)
    for part in expanded:
        options = [part.unnest()] if not isinstance(part.unnest(), exp.Or) else list(_disjuncts(part.unnest()))
        for opt in options:
            if not isinstance(opt, exp.LT | exp.LTE | exp.GT | exp.GTE):
                continue
            left, right = opt.this, opt.expression
            flipped = {"lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte"}
            if _raw_date(left) is not None and _calendar(right):
                raw, op = _raw_date(left), opt.key
            elif _calendar(left) and _raw_date(right) is not None:
                raw, op = _raw_date(right), flipped[opt.key]
            else:
                continue
            assert isinstance(raw, exp.Column)
            ref = ref_of(raw)
            if not catalog.is_temporal(ref):
                continue
            if op in ("lt", "lte"):
                start = ref
            else:
                end = ref
                inclusive = op == "gte"
    return start, end, inclusive


def _calendar(node: exp.Expr) -> bool:
    """An expression over a generated calendar only (no raw columns)."""
    cols = list(node.find_all(exp.Column))
    return bool(cols) and all(is_spine(c) for c in cols)


def _raw_date(node: exp.Expr) -> exp.Column | None:
    """The raw date an expression is a plain, cast or truncated reference to.

    `date_trunc('month', start) <= month_start` says the same as `start <= month_end`: the
    contract starts before the period ends.
    """
    while isinstance(node, exp.Cast | exp.TryCast | exp.Paren | exp.DateTrunc | exp.TimestampTrunc | exp.Date):
        node = node.this
    return node if isinstance(node, exp.Column) and is_raw(node) else None


def _disjuncts(node: exp.Expr) -> Iterable[exp.Expr]:
    node = node.unnest()
    if isinstance(node, exp.Or):
        yield from _disjuncts(node.left)
        yield from _disjuncts(node.right)
    else:
        yield node


def _selects(lineage_scope: Scope) -> list[exp.Expr]:
    query = lineage_scope.expression
    return list(query.selects) if isinstance(query, exp.Query) else []


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
