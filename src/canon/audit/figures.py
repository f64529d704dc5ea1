"""Figures for one period: a model's own number, and the number its decisions compile to.

The model's number is read from its built relation when the warehouse has it, otherwise by
running its inlined SQL; either way rows are selected by the model's own period column, whose
value for the period is computed by the engine from the same expression the model uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlglot import exp

from canon.audit.extract import Extraction, PeriodKey
from canon.audit.inline import model_of_cte
from canon.audit.lineage import RAW_KEY, is_raw, raw_columns
from canon.audit.timebasis import is_spine, is_zone_conversion
from canon.compiler.joins import JoinGraph
from canon.compiler.periods import Period
from canon.compiler.relations import Relations
from canon.compiler.vector import VectorQuery, batch_key, compile_batch, compile_vector, literal, scaled
from canon.contracts.decisions import DecisionVector
from canon.contracts.model import DimensionRef, JoinEdge
from canon.contracts.refs import ColumnRef
from canon.engines.base import Engine
from canon.errors import QueryError

# (figures, compile failures, vectors whose query selected no row of the period)
Caches = tuple[dict[DecisionVector, int], dict[DecisionVector, QueryError], set[DecisionVector]]


def _with_relations(tree: exp.Query, relations: Relations, raw_tables: Iterable[str]) -> exp.Query:
    raw = {t.lower() for t in raw_tables}
    out = tree.copy()
    for table in list(out.find_all(exp.Table)):
        if table.db or model_of_cte(table.name) or table.name.lower() not in raw:
            continue
        target = relations.get(table.name)
        target.set("alias", table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name)))
        table.replace(target)
    return out


def _key_value(engine: Engine, key: PeriodKey, day: dt.date) -> object:
    """The key's value on `day`: the model's own expression, evaluated by the engine.

    The day stands for the calendar's date, or for the raw date as the periods see it: after a
    time-zone conversion (the converted timestamp is that day), as an integer key (20261001).
    """
    raw_day = literal(int(day.strftime(key.key_format))) if key.key_format else literal(day)

    def swap(node: exp.Expr) -> exp.Expr:
        if key.date_column is None or is_spine(node):  # a calendar's date (also in `coalesce(spine, date)`)
            return literal(day) if is_spine(node) else node
        if is_zone_conversion(node) and raw_columns(node):
            return literal(day)
        return raw_day.copy() if is_raw(node) else node

    expr = key.expr.copy().transform(swap)
    for col in expr.find_all(exp.Column):
        col.meta.pop(RAW_KEY, None)
    return engine.scalar(exp.select(expr.as_("v")))


def period_condition(engine: Engine, keys: list[PeriodKey], period: Period, alias: str) -> exp.Expr:
    """Rows of the model that belong to `period`, whatever form its period column takes."""
    conds: list[exp.Expression] = []
    for key in keys:
        if key.mixed:
            continue
        col = exp.column(key.output, table=alias)
        if key.date_column is None and is_spine(key.expr):  # the calendar's own date column
            conds.append(exp.GTE(this=col.copy(), expression=literal(period.start)))
            conds.append(exp.LT(this=col.copy(), expression=literal(period.end)))
            continue
        first = _key_value(engine, key, period.start)
        last = _key_value(engine, key, period.last_day)
        if first == last:
            conds.append(exp.EQ(this=col, expression=literal(first)))
        else:
            # a day (or a local timestamp) of the period: from its first value up to the next
            # period's, half-open, so the last day's afternoon is in it too
            after = _key_value(engine, key, period.end)
            conds.append(exp.GTE(this=col.copy(), expression=literal(first)))
            conds.append(exp.LT(this=col, expression=literal(after)))
    return exp.and_(*conds) if conds else exp.true()


def model_figure(
    engine: Engine,
    extraction: Extraction,
    period: Period,
    relations: Relations,
    raw_tables: Iterable[str],
    built_relation: exp.Table | None,
) -> int:
    """The model's own figure for the period, in cents (0 when the period selects no row)."""
    return model_figure_rows(engine, extraction, period, relations, raw_tables, built_relation)[0]


def model_figure_rows(
    engine: Engine,
    extraction: Extraction,
    period: Period,
    relations: Relations,
    raw_tables: Iterable[str],
    built_relation: exp.Table | None,
) -> tuple[int, bool]:
    """The model's own figure for the period and whether the period selected any row with a value.

    The second part is what tells a real $0.00 from an empty period (COUNT of the measure: no
    row, or NULLs only), since 0 = 0 between two empty sides proves nothing.
    """
    if built_relation is not None:
        source: exp.Expression = built_relation.copy()
        source.set("alias", exp.TableAlias(this=exp.to_identifier("m")))
    else:
        inlined = _with_relations(extraction.inlined, relations, raw_tables)
        source = exp.Subquery(this=inlined, alias=exp.TableAlias(this=exp.to_identifier("m")))
    value = exp.Sum(this=exp.column(extraction.measure_output, table="m"))
    cents = scaled(value, 100 if extraction.output_unit == "major" else 1, 1, round_to_integer=True)
    counted = exp.Count(this=exp.column(extraction.measure_output, table="m"))
    query = (
        exp.select(cents.as_("cents"), counted.as_("n"))
        .from_(source)
        .where(period_condition(engine, extraction.period_keys, period, "m"))
    )
    row = engine.execute(query).to_pylist()
    result, rows = (row[0]["cents"], row[0]["n"]) if row else (None, 0)
    return (int(result) if isinstance(result, int) else 0), bool(rows)


class Evaluator:
    """Compiles and runs decision vectors for one period, caching by vector.

    `many()` evaluates a list at once: vectors sharing a measure, a time basis and their row
    decisions (dedup, fan-out) are answered by one scan (`compile_batch`), which is what keeps
    bridges fast on large tables.

    A figure is cached under the joins it was compiled with: `cache` holds figures on the
    project's own join graph, and a model's extra joins (edges the graph lacks) get a cache of
    their own. The evaluator outlives the audit (propose reuses it), and a figure computed
    through one model's joins is not the vector's figure on the project's graph.
    """

    def __init__(self, engine: Engine, graph: JoinGraph, relations: Relations, period: Period) -> None:
        self.engine = engine
        self.graph = graph
        self.relations = relations
        self.period = period
        self.cache: dict[DecisionVector, int] = {}
        self.failed: dict[DecisionVector, QueryError] = {}
        self.empty: set[DecisionVector] = set()  # figures of 0 because the period selected no row
        self._known = set(graph.edges)
        self._scoped: dict[tuple[JoinEdge, ...], Caches] = {}

    def _caches(self, edges: Iterable[JoinEdge]) -> Caches:
        """(figures, failures) for vectors compiled with `edges` on top of the project's graph."""
        extra = tuple(dict.fromkeys(e for e in edges if e not in self._known))
        if not extra:
            return self.cache, self.failed, self.empty
        return self._scoped.setdefault(extra, ({}, {}, set()))

    def _query(self, vector: DecisionVector, edges: Iterable[JoinEdge]) -> exp.Select:
        q = VectorQuery(
            vector=vector,
            value_name="value_cents",
            grain=self.period.grain,
            first=self.period,
            last=self.period,
            extra_edges=tuple(edges),
        )
        return compile_vector(q, self.graph, self.relations)

    def compiles(self, vector: DecisionVector, edges: Iterable[JoinEdge] = ()) -> bool:
        edge_list = tuple(edges)
        if vector.is_composite:  # a sum of row sets: each term compiles on its own
            return all(self.compiles(t, edge_list) for t in vector.terms)
        cache, failed, _ = self._caches(edge_list)
        if vector in cache:
            return True
        if vector in failed:
            return False
        try:
            self._query(vector, edge_list)
        except QueryError as exc:
            failed[vector] = exc
            return False
        return True

    def __call__(self, vector: DecisionVector, edges: Iterable[JoinEdge] = ()) -> int:
        edge_list = tuple(edges)
        if vector.is_composite:
            self.many(vector.terms, edge_list)  # terms of one row set share a scan
            return sum(self(t, edge_list) for t in vector.terms)
        cache, failed, empty = self._caches(edge_list)
        if vector in cache:
            return cache[vector]
        if vector in failed:
            raise failed[vector]
        table = self.engine.execute(self._query(vector, edge_list))
        values = [v for v in table.column("value_cents").to_pylist() if v is not None] if table.num_rows else []
        if not values:
            empty.add(vector)
        cache[vector] = int(sum(values))
        return cache[vector]

    def by_values(
        self, vector: DecisionVector, columns: Sequence[ColumnRef], edges: Iterable[JoinEdge] = ()
    ) -> dict[tuple[Any, ...], int]:
        """The vector's figure split by the values of `columns` (one scan, grouped): a bridge adds
        up the groups a combination of decisions admits instead of scanning once per combination."""
        q = VectorQuery(
            vector=vector,
            value_name="value_cents",
            grain=self.period.grain,
            dimensions=tuple(DimensionRef(f"canon_cell_{i}", c) for i, c in enumerate(columns)),
            first=self.period,
            last=self.period,
            extra_edges=tuple(edges),
        )
        table = self.engine.execute(compile_vector(q, self.graph, self.relations))
        out: dict[tuple[Any, ...], int] = {}
        for row in table.to_pylist():
            key = tuple(row[f"canon_cell_{i}"] for i in range(len(columns)))
            out[key] = out.get(key, 0) + int(row["value_cents"] or 0)
        return out

    def selects_rows(self, vector: DecisionVector, edges: Iterable[JoinEdge] = ()) -> bool:
        """Whether the vector's query, once run, selected any row of the period (see `model_figure_rows`)."""
        edge_list = tuple(edges)
        if vector.is_composite:
            return any(self.selects_rows(t, edge_list) for t in vector.terms)
        cache, _, empty = self._caches(edge_list)
        return vector in cache and vector not in empty

    def many(self, vectors: Iterable[DecisionVector], edges: Iterable[JoinEdge] = (), checked: bool = False) -> None:
        """Fill the cache for every vector that compiles, one query per (measure, time basis).

        `checked`: the caller knows every vector compiles (a bridge checks each shape once), so
        none is compiled on its own first: thousands of a bridge's vectors cost one scan per group.
        """
        edge_list = tuple(edges)
        cache, _, empty = self._caches(edge_list)
        plain = [t for v in vectors for t in v.parts()]  # a composite is evaluated through its terms
        todo = [v for v in dict.fromkeys(plain) if v not in cache and (checked or self.compiles(v, edge_list))]
        groups: dict[tuple[object, ...], list[DecisionVector]] = {}
        for v in todo:
            groups.setdefault(batch_key(v), []).append(v)
        for group in groups.values():
            if len(group) == 1:
                self(group[0], edge_list)
                continue
            query = compile_batch(group, self.period, self.graph, self.relations, edge_list)
            table = self.engine.execute(query)
            row = table.to_pylist()[0] if table.num_rows else {}
            for i, v in enumerate(group):
                value = row.get(f"v{i}")
                if value is None:
                    empty.add(v)
                cache[v] = int(value or 0)
