"""Run an audit end to end: models → definitions → reproduction → bridges → history → usage.

Each stage is timed (`--timings`) and reported on a progress bar; a model that cannot be read
is listed with the reason instead of stopping the audit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlglot import exp

from canon.audit.bridge import build_bridge, reads_rows_of
from canon.audit.domains import Domains
from canon.audit.extract import Candidate, Catalog, Extraction, Extractor, prepare_failures
from canon.audit.extract import Unmapped as ExtractUnmapped
from canon.audit.figures import Evaluator, model_figure
from canon.audit.inline import Inliner, aggregates_money_kind
from canon.audit.lineage import is_raw
from canon.audit.result import AuditResult, Bridge, Definition, Unmapped
from canon.audit.sources import ModelSet, ModelSource
from canon.compiler.periods import Period
from canon.contracts.decisions import DecisionVector
from canon.contracts.model import JoinEdge, Metric
from canon.contracts.refs import ColumnRef
from canon.engines.render import render
from canon.errors import QueryError
from canon.project import Project

Progress = Callable[[str, int, int], None]


@dataclass
class AuditOptions:
    metric: str
    period: Period
    models: ModelSet
    query_log: Path | None = None
    compare: tuple[str, str] | None = None
    progress: Progress | None = None
    with_history: bool = True


@dataclass
class _Timer:
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - t0, 3)


def raw_schema(project: Project, models: ModelSet) -> dict[str, dict[str, str]]:
    relations = project.relations(project.engine)
    schema: dict[str, dict[str, str]] = {}
    for ident in models.raw_tables:
        rel = relations.get(ident)
        cols = project.engine.columns(rel.name, rel.db or None)
        if cols:
            schema[ident] = cols
    return schema


def _uniqueness(project: Project) -> Callable[[ColumnRef], bool]:
    relations = project.relations(project.engine)
    cache: dict[ColumnRef, bool] = {}
    known = {ColumnRef(t, src.primary_key[0]) for t, src in project.config.sources.items() if len(src.primary_key) == 1}
    known |= {e.parent for e in project.join_graph().edges}

    def unique(ref: ColumnRef) -> bool:
        if ref in known:
            return True
        if ref not in cache:
            col = exp.column(ref.column)
            q = exp.select(
                exp.EQ(this=exp.Count(this=exp.Star()), expression=exp.Count(this=exp.Distinct(expressions=[col])))
            ).from_(relations.get(ref.table))
            cache[ref] = bool(project.engine.scalar(q))
        return cache[ref]

    return unique


def run_audit(project: Project, options: AuditOptions) -> AuditResult:
    timer = _Timer()
    metric: Metric | None = project.metrics.get(options.metric)
    canonical_vector = metric.decisions if metric is not None and metric.is_declarative else None
    engine = project.engine
    relations = project.relations(engine)
    models = options.models
    with timer.stage("catalog"):
        schema = raw_schema(project, models)
        keys = [ColumnRef(t, k) for t, s in project.config.sources.items() for k in s.primary_key]
        keys += [c for e in project.join_graph().edges for c in (e.child, e.parent)]
        catalog = Catalog(schema, keys)
        domains = Domains(engine, relations)
        integer_money = canonical_vector is not None and catalog.unit(canonical_vector.measure.column) == "minor"
        dims = metric.dimension_columns() if metric is not None else set()
        extractor = Extractor(Inliner(models), catalog, domains, dims, integer_money, _uniqueness(project))
    family = _family(project, canonical_vector, catalog)

    evaluator = Evaluator(engine, project.join_graph(), relations, options.period)
    canonical_cents = None
    if canonical_vector is not None:
        with timer.stage("canonical"):
            canonical_cents = evaluator(canonical_vector, metric.joins() if metric else ())

    definitions: list[Definition] = []
    skipped: list[tuple[str, str]] = []
    extractions: dict[str, Extraction] = {}
    names = sorted(models.models)
    for i, name in enumerate(names):
        model = models.models[name]
        if options.progress:
            options.progress("discover", i, len(names))
        with timer.stage("discover"):
            try:
                if not aggregates_money_kind(extractor.inliner.parsed(name)):
                    # no SUM/AVG/MIN/MAX of its own: it counts, or passes rows through
                    skipped.append((name, "aggregates no money itself (counts, ids, or passes rows through)"))
                    continue
                tree, lineage = extractor.prepare(model)
                candidates, notes = extractor.candidates(lineage)
            except prepare_failures() as exc:
                skipped.append((name, f"not read: {exc}"))
                continue
            candidates = [c for c in candidates if family is None or c.shape.column.table.lower() in family]
            if not candidates:
                skipped.append((name, _why_not(notes)))
                continue
        with timer.stage("extract"):
            try:
                extraction = _choose(
                    project,
                    extractor,
                    model,
                    tree,
                    lineage,
                    candidates,
                    options.period,
                    canonical_cents,
                    relations,
                    models,
                )
            except prepare_failures() as exc:
                skipped.append((name, f"aggregates money but cannot be mapped: {exc}"))
                continue
        extractions[name] = extraction

    for i, (name, extraction) in enumerate(extractions.items()):
        if options.progress:
            options.progress("reproduce", i, len(extractions))
        model = models.models[name]
        with timer.stage("reproduce"):
            built = _built_relation(project, model)
            value = model_figure(engine, extraction, options.period, relations, models.raw_tables, built)
            try:
                reproduced = evaluator(extraction.vector, [*extraction.edges, *(metric.joins() if metric else ())])
            except QueryError as exc:
                extraction.unmapped.append(ExtractUnmapped(str(exc), "the decisions do not compile"))
                reproduced = 0
        definitions.append(_definition(model, extraction, value, reproduced, metric))

    if canonical_vector is not None and canonical_cents is not None:
        for i, d in enumerate(definitions):
            if options.progress:
                options.progress("bridge", i, len(definitions))
            edges = [*extractions[d.model].edges, *(metric.joins() if metric else ())]
            with timer.stage("bridge"):
                try:
                    d.bridge = build_bridge(
                        d.vector,
                        canonical_vector,
                        _evaluate_with(evaluator, edges),
                        domains,
                        d.model,
                        f"canonical {options.metric}",
                        start_cents=d.value_cents,
                        end_cents=canonical_cents,
                        separable=reads_rows_of(project.join_graph().merged(edges)),
                        compiles=partial(evaluator.compiles, edges=edges),
                        prefetch=partial(evaluator.many, edges=edges),
                    )
                except QueryError as exc:
                    d.unmapped.append(Unmapped(str(exc), "bridge could not be computed"))

    result = AuditResult(
        metric=options.metric,
        label=metric.label if metric else options.metric.upper(),
        period=options.period,
        canonical_vector=canonical_vector,
        canonical_cents=canonical_cents,
        definitions=definitions,
        skipped=skipped,
        timings=timer.timings,
    )
    if options.compare:
        with timer.stage("bridge"):
            result.pair_bridge = _pair_bridge(result, extractions, options.compare, evaluator, domains)
    _enrich(project, options, result, timer)
    result.timings = timer.timings
    return result


def _enrich(project: Project, options: AuditOptions, result: AuditResult, timer: _Timer) -> None:
    """History and usage, when those modules and inputs are available."""
    if options.with_history:
        with timer.stage("history"):
            import importlib

            try:
                history = importlib.import_module("canon.audit.history")
            except ImportError:  # pragma: no cover - module lands with the archaeology work
                history = None
            if history is not None:
                for d in result.definitions:
                    d.history = history.dig(project.root, options.models, d)
    with timer.stage("usage"):
        import importlib

        try:
            usage_mod = importlib.import_module("canon.audit.usage")
        except ImportError:  # pragma: no cover
            return
        exposures = usage_mod.usage_from_exposures(options.models)
        usage = {}
        if options.query_log is not None:
            usage, _ = usage_mod.usage_from_log(
                options.query_log, options.models, options.period, dialect=options.models.dialect
            )
        for d in result.definitions:
            if d.model in usage:
                d.usage = usage[d.model]
            if d.usage is not None:
                d.usage.exposures = exposures.get(d.model, [])


def _pair_bridge(
    result: AuditResult,
    extractions: dict[str, Extraction],
    pair: tuple[str, str],
    evaluator: Evaluator,
    domains: Domains,
) -> Bridge:
    by_name = {d.model: d for d in result.definitions}
    a, b = pair
    for name in (a, b):
        if name not in by_name:
            raise QueryError(f"`{name}` is not one of the definitions found", fix=f"choose from: {', '.join(by_name)}")
    edges = [*extractions[a].edges, *extractions[b].edges]
    return build_bridge(
        by_name[a].vector,
        by_name[b].vector,
        _evaluate_with(evaluator, edges),
        domains,
        a,
        b,
        start_cents=by_name[a].value_cents,
        end_cents=by_name[b].value_cents,
    )


def _family(project: Project, vector: object, catalog: Catalog) -> set[str] | None:
    """Tables whose money columns belong to the metric's family: the measure table's connected tables."""
    if not isinstance(vector, DecisionVector):
        return None
    graph = project.join_graph()
    root = vector.measure.column.table.lower()
    seen = {root}
    frontier = [root]
    while frontier:
        table = frontier.pop()
        for e in graph.edges:
            for x, y in (
                (e.child.table.lower(), e.parent.table.lower()),
                (e.parent.table.lower(), e.child.table.lower()),
            ):
                if x == table and y not in seen:
                    seen.add(y)
                    frontier.append(y)
    return seen


def _evaluate_with(evaluator: Evaluator, edges: list[JoinEdge]) -> Callable[[DecisionVector], int]:
    return lambda v: evaluator(v, edges)


def _why_not(notes: list[ExtractUnmapped]) -> str:
    if notes:
        return "; ".join(n.reason for n in notes)
    return "aggregates no money of the metric's family (counts, ids, pass-through)"


def _choose(
    project: Project,
    extractor: Extractor,
    model: ModelSource,
    tree: exp.Query,
    lineage: object,
    candidates: list[Candidate],
    period: Period,
    canonical_cents: int | None,
    relations: object,
    models: ModelSet,
) -> Extraction:
    """When a model aggregates money several ways, keep the column closest to the metric's figure."""
    extractions = []
    for cand in candidates:
        others = [c.output for c in candidates if c is not cand]
        extractions.append(extractor.extract(model, tree, lineage, cand, others))  # type: ignore[arg-type]
    if len(extractions) == 1 or canonical_cents is None:
        return extractions[0]
    built = _built_relation(project, model)

    def distance(e: Extraction) -> float:
        v = model_figure(project.engine, e, period, relations, models.raw_tables, built)  # type: ignore[arg-type]
        if v == 0 or canonical_cents == 0:
            return math.inf
        return abs(math.log(abs(v) / abs(canonical_cents)))

    return min(extractions, key=distance)


def _built_relation(project: Project, model: ModelSource) -> exp.Table | None:
    if len(model.relation) < 2:
        return None
    name, schema = model.relation[-1], model.relation[-2]
    if not project.engine.tables_in_schemas:  # Spark views have no schema to find a dbt build in
        return None
    cols = project.engine.columns(name, schema)
    return exp.table_(name, db=schema) if cols else None


def _definition(model: ModelSource, e: Extraction, value: int, reproduced: int, metric: Metric | None) -> Definition:
    unmapped = [
        Unmapped(u.sql, u.reason, u.origin[0][0] if u.origin else None, sorted({ln for _, ln in u.origin}))
        for u in e.unmapped
    ]
    canonical = metric is not None and (
        model.meta.get("canon_metric") == metric.name or (metric.spec.served_by or "").split(".")[-1] == model.name
    )
    keys: list[tuple[str, str | None]] = []
    for key in e.period_keys:
        if key.date_column is None:
            keys.append((key.output, None))
            continue
        expr = key.expr.copy().transform(lambda n: exp.column("__period__") if is_raw(n) else n)
        keys.append((key.output, render(expr, model.dialect, identify=False)))
    outputs = [s.alias_or_name for s in e.inlined.selects] if isinstance(e.inlined, exp.Query) else []
    return Definition(
        model=model.name,
        path=model.path,
        measure_output=e.measure_output,
        value_cents=value,
        reproduced_cents=reproduced,
        vector=e.vector,
        unmapped=unmapped,
        provenance={k: p.origin for k, p in e.provenance.items()},
        fragments={k: p.fragments for k, p in e.provenance.items()},
        alternates=e.alternates,
        deprecated=model.deprecated,
        canonical=canonical,
        period_keys=keys,
        outputs=outputs,
    )
