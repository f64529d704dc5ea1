"""Figures for one period: a model's own number, and the number its decisions compile to.

The model's number is read from its built relation when the warehouse has it, otherwise by
running its inlined SQL; either way rows are selected by the model's own period column, whose
value for the period is computed by the engine from the same expression the model uses.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp

from canon.audit.extract import Extraction, PeriodKey
from canon.audit.inline import model_of_cte
from canon.audit.lineage import RAW_KEY, is_raw
from canon.compiler.joins import JoinGraph
from canon.compiler.periods import Period
from canon.compiler.relations import Relations
from canon.compiler.vector import VectorQuery, compile_batch, compile_vector, literal, scaled
from canon.contracts.decisions import DecisionVector
from canon.contracts.model import JoinEdge
from canon.engines.base import Engine
from canon.errors import QueryError


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


def _key_value(engine: Engine, key: PeriodKey, day: exp.Expression) -> object:
    expr = key.expr.copy().transform(lambda n: day.copy() if is_raw(n) else n)
    for col in expr.find_all(exp.Column):
        col.meta.pop(RAW_KEY, None)
    return engine.scalar(exp.select(expr.as_("v")))


def period_condition(engine: Engine, keys: list[PeriodKey], period: Period, alias: str) -> exp.Expr:
    """Rows of the model that belong to `period`, whatever form its period column takes."""
    conds: list[exp.Expression] = []
    for key in keys:
        col = exp.column(key.output, table=alias)
        if key.date_column is None:  # from a generated calendar: a date column
            conds.append(exp.GTE(this=col.copy(), expression=literal(period.start)))
            conds.append(exp.LT(this=col.copy(), expression=literal(period.end)))
            continue
        first = _key_value(engine, key, literal(period.start))
        last = _key_value(engine, key, literal(period.last_day))
        if first == last:
            conds.append(exp.EQ(this=col, expression=literal(first)))
        else:
            conds.append(exp.Between(this=col, low=literal(first), high=literal(last)))
    return exp.and_(*conds) if conds else exp.true()


def model_figure(
    engine: Engine,
    extraction: Extraction,
    period: Period,
    relations: Relations,
    raw_tables: Iterable[str],
    built_relation: exp.Table | None,
) -> int:
    """The model's own figure for the period, in cents."""
    if built_relation is not None:
        source: exp.Expression = built_relation.copy()
        source.set("alias", exp.TableAlias(this=exp.to_identifier("m")))
    else:
        inlined = _with_relations(extraction.inlined, relations, raw_tables)
        source = exp.Subquery(this=inlined, alias=exp.TableAlias(this=exp.to_identifier("m")))
    value = exp.Sum(this=exp.column(extraction.measure_output, table="m"))
    cents = scaled(value, 100 if extraction.vector.measure.unit == "major" else 1, 1, round_to_integer=True)
    query = (
        exp.select(cents.as_("cents"))
        .from_(source)
        .where(period_condition(engine, extraction.period_keys, period, "m"))
    )
    result = engine.scalar(query)
    return int(result) if isinstance(result, int) else 0


class Evaluator:
    """Compiles and runs decision vectors for one period, caching by vector.

    `many()` evaluates a list at once: vectors sharing a measure and a time basis are answered
    by one scan (`compile_batch`), which is what keeps bridges fast on large tables.
    """

    def __init__(self, engine: Engine, graph: JoinGraph, relations: Relations, period: Period) -> None:
        self.engine = engine
        self.graph = graph
        self.relations = relations
        self.period = period
        self.cache: dict[DecisionVector, int] = {}
        self.failed: dict[DecisionVector, QueryError] = {}

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
        if vector in self.cache:
            return True
        if vector in self.failed:
            return False
        try:
            self._query(vector, edges)
        except QueryError as exc:
            self.failed[vector] = exc
            return False
        return True

    def __call__(self, vector: DecisionVector, edges: Iterable[JoinEdge] = ()) -> int:
        if vector in self.cache:
            return self.cache[vector]
        if vector in self.failed:
            raise self.failed[vector]
        table = self.engine.execute(self._query(vector, edges))
        value = sum(v for v in table.column("value_cents").to_pylist() if v is not None) if table.num_rows else 0
        self.cache[vector] = int(value)
        return self.cache[vector]

    def many(self, vectors: Iterable[DecisionVector], edges: Iterable[JoinEdge] = ()) -> None:
        """Fill the cache for every vector that compiles, one query per (measure, time basis)."""
        edge_list = tuple(edges)
        todo = [v for v in dict.fromkeys(vectors) if v not in self.cache and self.compiles(v, edge_list)]
        groups: dict[tuple[object, object], list[DecisionVector]] = {}
        for v in todo:
            groups.setdefault((v.measure, v.time_basis), []).append(v)
        for group in groups.values():
            if len(group) == 1:
                self(group[0], edge_list)
                continue
            query = compile_batch(group, self.period, self.graph, self.relations, edge_list)
            table = self.engine.execute(query)
            row = table.to_pylist()[0] if table.num_rows else {}
            for i, v in enumerate(group):
                self.cache[v] = int(row.get(f"v{i}") or 0)
