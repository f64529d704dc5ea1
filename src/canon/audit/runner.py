"""Run an audit as ordered stages over one typed context.

`AuditContext.open` reads what every stage needs once (the metric, the warehouse schema as a
`Catalog`, the `Extractor`, one `Evaluator` and one `Domains` with their caches); then each
stage in `STAGES` is a plain function `stage(ctx) -> None` that reads earlier stages' outputs
from the context and writes its own typed output into it:

    canonical  → ctx.canonical_cents    the contract's own figure (what extraction aims at)
    discover   → ctx.candidates         models that aggregate money of the metric's family
    extract    → ctx.extractions        one decision vector per model
    reproduce  → ctx.definitions        the model's own figure and its vector's figure
    bridge     → ctx.bridges            waterfalls to the canonical figure (and `--compare`)
    history    → ctx.history            git blame of every decision line
    usage      → ctx.usage              query log and exposures

One loop (`run_stages`) times every stage (`--timings`) and names it on the progress bar; a
model that is read and is not a definition is listed in `ctx.skipped` with the reason, and a
model whose work fails (a warehouse error, SQL sqlglot cannot read, a budget run out: see
`ctx.guarded` and `budget.py`) is a row in `ctx.failed` naming the stage — one model never
stops the audit. Keeping stages this small is what lets each be tested on its own (tests/audit/stages)
and lets `propose` reuse the evaluator and domains (and their caches) the audit filled.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import sqlglot.errors
from sqlglot import exp

from canon.audit import budget as budget_mod
from canon.audit import history as history_mod
from canon.audit import usage as usage_mod
from canon.audit.bridge import build_bridge, rows_of
from canon.audit.domains import Domains
from canon.audit.extract import Candidate, Catalog, Extraction, Extractor, ModelLineage, prepare_failures
from canon.audit.extract import Unmapped as ExtractUnmapped
from canon.audit.figures import Evaluator, model_figure, model_figure_rows
from canon.audit.inline import Inliner, aggregates_money_kind
from canon.audit.lineage import Unresolvable, is_raw
from canon.audit.measure import NotAMeasure
from canon.audit.naming import OutputNames
from canon.audit.result import AuditResult, Bridge, Commit, Definition, Failure, Unmapped, Usage
from canon.audit.sources import ModelSet, ModelSource
from canon.compiler.periods import Period
from canon.compiler.relations import Relations
from canon.contracts.decisions import DecisionVector
from canon.contracts.model import JoinEdge, Metric
from canon.contracts.refs import ColumnRef
from canon.engines.render import render
from canon.errors import CanonError, EngineError, QueryError

if TYPE_CHECKING:
    from canon.project import Project  # annotations only: the facade stands above the audit

Progress = Callable[[str, int, int], None]
T = TypeVar("T")
STATIC_COMPARE = "--compare: no bridge in static mode (nothing is priced)"
DEFAULT_MODEL_TIMEOUT = 20.0  # seconds of work per model before it becomes a "too complex" row
# What one model's work may raise without stopping the audit: canon's own errors (the
# warehouse refusing a query, SQL that does not render), SQL sqlglot cannot read, and shapes
# the walks cannot follow (a Python recursion limit on a very deep tree included).
MODEL_FAILURES: tuple[type[BaseException], ...] = (
    CanonError,
    sqlglot.errors.SqlglotError,
    Unresolvable,
    NotAMeasure,
    RecursionError,
)


@dataclass
class AuditOptions:
    metric: str
    period: Period
    models: ModelSet
    query_log: Path | None = None
    compare: tuple[str, str] | None = None
    progress: Progress | None = None
    with_history: bool = True
    model_timeout: float | None = DEFAULT_MODEL_TIMEOUT  # per model, over all stages (None: no budget)
    # Static mode: no warehouse is read (schema and domains from the SQL, nothing priced); the
    # reason is set when it was not asked for but the warehouse could not be reached.
    static: bool = False
    static_reason: str | None = None


@dataclass
class Discovered:
    """A model that aggregates money of the metric's family: what `extract` chooses among."""

    model: ModelSource
    tree: exp.Query  # the model with its upstream models inlined down to raw tables
    lineage: ModelLineage
    candidates: list[Candidate]  # its aggregated money outputs, in output order
    joins: list[JoinEdge] | None = None  # the edges its SQL states, once read (see `_widen_family`)


@dataclass
class AuditContext:
    """What an audit knows, filled in stage by stage (see the module docstring for the order).

    The inputs and the shared readers come first and are set by `open`; every later field is
    one stage's output, empty until that stage has run.
    """

    project: Project
    options: AuditOptions
    metric: Metric | None
    relations: Relations
    evaluator: Evaluator | None  # figures of decision vectors for the period, cached (None: static mode)
    domains: Domains  # distinct values per raw column, cached
    catalog: Catalog
    extractor: Extractor
    family: set[str] | None  # tables whose money belongs to the metric (None: no contract to say)
    canonical_cents: int | None = None
    # Why the contract's own figure could not be computed with the project's joins (a filter or
    # dimension on a table canon.yml declares no relationship to); `bridge` then tries the joins
    # the models' SQL makes (`canonical_edges`), and says which in a note.
    canonical_problem: str | None = None
    canonical_edges: tuple[JoinEdge, ...] = ()
    # Models with money only of tables canon.yml joins nothing to, when the measure's own table
    # has no declared join either (a dbt project without relationships tests): the family is
    # then read from the joins the definitions' SQL makes, after `extract` (`_widen_family`).
    deferred: dict[str, Discovered] = field(default_factory=dict)
    candidates: dict[str, Discovered] = field(default_factory=dict)
    extractions: dict[str, Extraction] = field(default_factory=dict)
    definitions: list[Definition] = field(default_factory=list)
    bridges: dict[str, Bridge] = field(default_factory=dict)
    bridge_failures: dict[str, Unmapped] = field(default_factory=dict)
    pair_bridge: Bridge | None = None
    history: dict[str, list[Commit]] = field(default_factory=dict)
    usage: dict[str, Usage] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # model → why it is not a definition
    failed: dict[str, Failure] = field(default_factory=dict)  # model → the stage its work failed in, why
    notes: list[str] = field(default_factory=list)
    spent: dict[str, float] = field(default_factory=dict)  # model → seconds of work so far (the budget)
    timings: dict[str, float] = field(default_factory=dict)
    stage: str = ""  # the stage running now, for progress

    @classmethod
    def open(cls, project: Project, options: AuditOptions) -> AuditContext:
        """Read once what every stage needs: the raw schema, the keys, the join graph, the metric."""
        if options.static:
            return cls._open_static(project, options)
        metric = project.metrics.get(options.metric)
        canonical_vector = metric.decisions if metric is not None and metric.is_declarative else None
        relations = project.relations(project.engine)
        models = options.models
        schema = raw_schema(project, models)
        keys = [ColumnRef(t, k) for t, s in project.config.sources.items() for k in s.primary_key]
        keys += [c for e in project.join_graph().edges for c in (e.child, e.parent)]
        catalog = Catalog(schema, keys)
        domains = Domains(project.engine, relations)
        integer_money = canonical_vector is not None and catalog.unit(canonical_vector.measure.column) == "minor"
        dims = metric.dimension_columns() if metric is not None else set()
        names = OutputNames(options.metric)
        extractor = Extractor(
            Inliner(models),
            catalog,
            domains,
            dims,
            integer_money,
            _uniqueness(project),
            _match_counts(project),
            names=names,
            by_name=canonical_vector is None,
        )
        return cls(
            project=project,
            options=options,
            metric=metric,
            relations=relations,
            evaluator=Evaluator(project.engine, project.join_graph(), relations, options.period),
            domains=domains,
            catalog=catalog,
            extractor=extractor,
            family=_family(project, canonical_vector, catalog),
            failed={m: Failure(m, "compile", why) for m, why in models.failed.items()},
            notes=list(models.notes),
        )

    @classmethod
    def _open_static(cls, project: Project, options: AuditOptions) -> AuditContext:
        """The same readers without a warehouse: schema and domains from the SQL, no evaluator.

        Keys are only those canon.yml states (no uniqueness query), so a semi-join on a key it
        does not name is an unmapped line rather than a guess.
        """
        from canon.audit.static import StaticDomains, static_schema

        metric = project.metrics.get(options.metric)
        models = options.models
        keys = [ColumnRef(t, k) for t, s in project.config.sources.items() for k in s.primary_key]
        keys += [c for e in project.join_graph().edges for c in (e.child, e.parent)]
        catalog = Catalog(static_schema(models), keys, typed=False)
        domains = StaticDomains(declared=models.accepted_values)
        known = {ColumnRef(t, s.primary_key[0]) for t, s in project.config.sources.items() if len(s.primary_key) == 1}
        known |= {e.parent for e in project.join_graph().edges}
        dims = metric.dimension_columns() if metric is not None else set()
        names = OutputNames(options.metric)
        extractor = Extractor(
            Inliner(models),
            catalog,
            domains,
            dims,
            False,
            lambda ref: ref in known,
            names=names,
            by_name=metric is None,
        )
        return cls(
            project=project,
            options=options,
            metric=metric,
            relations=project.relations(None),
            evaluator=None,
            domains=domains,
            catalog=catalog,
            extractor=extractor,
            family=None,
            failed={m: Failure(m, "compile", why) for m, why in models.failed.items()},
            notes=[*models.notes, *([STATIC_COMPARE] if options.compare else [])],
        )

    @property
    def static(self) -> bool:
        return self.options.static

    def priced(self) -> Evaluator:
        """The evaluator of a warehouse audit (the stages that price never run in static mode)."""
        if self.evaluator is None:
            raise EngineError("a static audit prices nothing: no warehouse was read")
        return self.evaluator

    @property
    def period(self) -> Period:
        return self.options.period

    @property
    def models(self) -> ModelSet:
        return self.options.models

    @property
    def canonical_vector(self) -> DecisionVector | None:
        metric = self.metric
        return metric.decisions if metric is not None and metric.is_declarative else None

    def metric_joins(self) -> tuple[JoinEdge, ...]:
        return self.metric.joins() if self.metric is not None else ()

    def each(self, items: Sequence[T], names: Callable[[T], str] | None = None) -> Iterator[T]:
        """Iterate a stage's items, reporting progress as "stage model" (one line per model).

        `names` says which model an item is (`str` for model names); without it, the stage alone.
        """
        progress = self.options.progress
        for i, item in enumerate(items):
            if progress is not None:
                progress(f"{self.stage} {names(item)}" if names is not None else self.stage, i, len(items))
            yield item

    def guarded(self, name: str, work: Callable[[], T]) -> T | None:
        """Run one model's `work` within what is left of its budget; a failure becomes its row.

        The budget is per model over all stages (`model_timeout`): the walks check it
        cooperatively (`budget.check`), and time spent in a warehouse query is counted when
        the query returns, so the model's next stage stops at once. Returns None when the
        model failed (it is then in `failed`, and later stages no longer see it).
        """
        timeout = self.options.model_timeout
        left = None if timeout is None else timeout - self.spent.get(name, 0.0)
        t0 = time.monotonic()
        try:
            with budget_mod.budget(left):
                budget_mod.check()
                return work()
        except budget_mod.TooComplex:
            self.failed[name] = Failure(name, self.stage, f"too complex to map within {timeout:g} s at {self.stage}")
        except MODEL_FAILURES as exc:
            self.failed[name] = Failure(name, self.stage, _first_line(exc))
        finally:
            self.spent[name] = self.spent.get(name, 0.0) + time.monotonic() - t0
        return None

    def result(self) -> AuditResult:
        """The stages' outputs as one `AuditResult` (definitions carry their bridge, history, usage)."""
        definitions = [
            replace(
                d,
                unmapped=[*d.unmapped, *([self.bridge_failures[d.model]] if d.model in self.bridge_failures else [])],
                bridge=self.bridges.get(d.model),
                history=list(self.history.get(d.model, [])),
                usage=self.usage.get(d.model),
            )
            for d in self.definitions
        ]
        metric = self.metric
        return AuditResult(
            metric=self.options.metric,
            label=metric.label if metric else self.options.metric.upper(),
            period=self.period,
            canonical_vector=self.canonical_vector,
            canonical_cents=self.canonical_cents,
            definitions=definitions,
            skipped=sorted(self.skipped.items()),
            timings=self.timings,
            pair_bridge=self.pair_bridge,
            failed=sorted(self.failed.values(), key=lambda f: f.model),
            notes=list(self.notes),
            mode="static" if self.static else "warehouse",
            static_reason=self.options.static_reason,
        )


# ---------------------------------------------------------------- stages


def canonical(ctx: AuditContext) -> None:
    """The contract's own figure: extraction keeps the candidate closest to it, bridges end at it.

    A contract that does not compile on the project's joins (a project whose dbt tests declare
    no `relationships`, so canon.yml has none) does not stop the audit: the models are still
    read, and `bridge` tries again through the joins their SQL makes (`_canonical_through_models`).
    """
    vector = ctx.canonical_vector
    if vector is None:
        return
    try:
        ctx.canonical_cents = ctx.priced()(vector, ctx.metric_joins())
    except MODEL_FAILURES as exc:
        ctx.canonical_problem = _first_line(exc)


def discover(ctx: AuditContext) -> None:
    """Models that aggregate money of the metric's family; every other model is skipped with why."""
    for name in ctx.each(sorted(n for n in ctx.models.models if n not in ctx.failed), str):
        found = ctx.guarded(name, partial(_discover_one, ctx, name))
        if found is not None:
            ctx.candidates[name] = found


def _discover_one(ctx: AuditContext, name: str) -> Discovered | None:
    extractor = ctx.extractor
    model = ctx.models.models[name]
    try:
        parsed = extractor.inliner.parsed(name)
        if not aggregates_money_kind(parsed) and not extractor.names_metric(parsed):
            # no SUM/AVG/MIN/MAX of its own: it counts, or passes rows through
            ctx.skipped[name] = "aggregates no money itself (counts, ids, or passes rows through)"
            return None
        tree, lineage = extractor.prepare(model)
        candidates, notes = extractor.candidates(lineage, name)
    except prepare_failures() as exc:
        ctx.skipped[name] = f"not read: {exc}"
        return None
    family = [c for c in candidates if ctx.family is None or c.shape.column.table.lower() in ctx.family]
    if not family:
        ctx.skipped[name] = _why_not(notes)
        if candidates and _family_unknown(ctx):
            ctx.deferred[name] = Discovered(model, tree, lineage, candidates)
        return None
    return Discovered(model, tree, lineage, family)


def extract(ctx: AuditContext) -> None:
    """One decision vector per discovered model (the candidate closest to the canonical figure)."""
    todo = list(ctx.candidates)
    while todo:
        for name in ctx.each(todo, str):
            try:
                chosen = ctx.guarded(name, partial(_choose, ctx, ctx.candidates[name]))
            except prepare_failures() as exc:
                ctx.skipped[name] = f"aggregates money but cannot be mapped: {exc}"
                continue
            if chosen is not None:
                ctx.extractions[name] = chosen
        todo = _widen_family(ctx)


def _family_unknown(ctx: AuditContext) -> bool:
    """Whether canon.yml says nothing of the metric's family: no declared join at its measure table."""
    vector = ctx.canonical_vector
    if vector is None or ctx.family is None:
        return False
    root = vector.measure.column.table.lower()
    joins = [*ctx.project.join_graph().edges, *ctx.metric_joins()]
    return not any(root in (e.child.table.lower(), e.parent.table.lower()) for e in joins)


def _widen_family(ctx: AuditContext) -> list[str]:
    """Deferred models whose money the joins read from the definitions' SQL bring into the family.

    Those joins (`Extraction.edges`: `a.x = b.y` with one side unique by a query) are many-to-one
    joins the warehouse really has, so a table they connect to the measure's table is as much
    the metric's family as one canon.yml would have joined; a deferred model's own joins count
    (payments joined to the invoices they pay are money of the invoices' family). Returns the
    models admitted now.
    """
    if not ctx.deferred or ctx.family is None:
        return []
    edges = [e for x in ctx.extractions.values() for e in x.edges]
    for name, found in ctx.deferred.items():  # a model's own join to the family counts too (cash of invoices)
        if found.joins is None:
            found.joins = ctx.guarded(name, partial(ctx.extractor.joins, found.lineage)) or []
            ctx.failed.pop(name, None)  # joins it could not read leave it what it was: skipped, with why
        edges += found.joins
    family = _connected(ctx.family, [*ctx.project.join_graph().edges, *ctx.metric_joins(), *edges])
    admitted = []
    for name, found in list(ctx.deferred.items()):
        inside = [c for c in found.candidates if c.shape.column.table.lower() in family]
        if inside:
            del ctx.deferred[name]
            ctx.skipped.pop(name, None)
            ctx.candidates[name] = replace(found, candidates=inside)
            admitted.append(name)
    ctx.family = family
    return admitted


def reproduce(ctx: AuditContext) -> None:
    """Each model's own figure for the period, and the figure its decision vector compiles to."""
    for name in ctx.each(list(ctx.extractions), str):
        found = ctx.guarded(name, partial(_reproduce_one, ctx, name))
        if found is not None:
            ctx.definitions.append(found)


def _reproduce_one(ctx: AuditContext, name: str) -> Definition:
    """Both figures, and whether they can be compared at all (see `_not_comparable`)."""
    extraction = ctx.extractions[name]
    model = ctx.models.models[name]
    if ctx.static:  # the decisions as extracted, no figure on either side
        found = _definition(model, extraction, 0, 0, ctx.metric)
        found.priced = False
        found.not_comparable = "not priced (static)"
        return found
    if extraction.vector.time_basis.kind == "lifetime":  # a total over all time has no figure for a period
        found = _definition(model, extraction, 0, 0, ctx.metric)
        found.priced = False
        found.not_comparable = "a lifetime total: no figure for a period (compared by its decisions)"
        return found
    evaluator = ctx.priced()
    built = _built_relation(ctx.project, model)
    value, model_rows = model_figure_rows(
        ctx.project.engine, extraction, ctx.period, ctx.relations, ctx.models.raw_tables, built
    )
    edges = [*extraction.edges, *ctx.metric_joins()]
    try:
        reproduced = evaluator(extraction.vector, edges)
    except QueryError as exc:
        extraction.unmapped.append(ExtractUnmapped(str(exc), "the decisions do not compile"))
        why: str | None = "the decisions do not compile"
        reproduced = 0
    except EngineError as exc:
        extraction.unmapped.append(ExtractUnmapped(_first_line(exc), "the decisions did not run"))
        why, reproduced = "the decisions did not run", 0
    else:
        why = _not_comparable(value, model_rows, reproduced, evaluator.selects_rows(extraction.vector, edges))
        if why is not None:
            why += f" in {ctx.period.label}"
    found = _definition(model, extraction, value, reproduced, ctx.metric)
    found.not_comparable = why
    return found


def _not_comparable(value: int, model_rows: bool, reproduced: int, vector_rows: bool) -> str | None:
    """Why equal figures prove nothing: a side selected no row (a real difference stays a residual)."""
    if not model_rows and not vector_rows:
        return "no rows on either side"
    if value == reproduced and not (model_rows and vector_rows):
        return "no rows of the model" if not model_rows else "no rows for the decisions"
    return None


def bridge(ctx: AuditContext) -> None:
    """Waterfalls from each definition to the canonical figure, and between the `--compare` pair."""
    vector = ctx.canonical_vector
    evaluator = ctx.priced()
    if vector is not None and ctx.canonical_problem is not None:
        _canonical_through_models(ctx, vector)
    if vector is not None and ctx.canonical_cents is not None:
        label = ctx.metric.label if ctx.metric else ctx.options.metric.upper()
        graph = ctx.project.join_graph()
        for d in ctx.each(ctx.definitions, lambda d: d.model):
            if not d.priced:
                continue  # a lifetime total: no period figure to bridge from
            edges = [*ctx.extractions[d.model].edges, *ctx.canonical_edges, *ctx.metric_joins()]
            try:  # from the canonical figure to the definition's: each step is definition − canonical
                ctx.bridges[d.model] = build_bridge(
                    vector,
                    d.vector,
                    _evaluate_with(evaluator, edges),
                    ctx.domains,
                    f"canonical {label}",
                    d.model,
                    start_cents=ctx.canonical_cents,
                    end_cents=d.value_cents,
                    compiles=partial(evaluator.compiles, edges=edges),
                    prefetch=partial(evaluator.many, edges=edges, checked=True),
                    per_row=rows_of(graph.merged(edges)),
                    by_values=partial(evaluator.by_values, edges=edges),
                )
            except MODEL_FAILURES as exc:
                ctx.bridge_failures[d.model] = Unmapped(_first_line(exc), "bridge could not be computed")
    if ctx.options.compare:
        a, b = ctx.options.compare
        try:
            ctx.pair_bridge = _pair_bridge(ctx, ctx.options.compare)
        except MODEL_FAILURES as exc:
            ctx.notes.append(f"no bridge between {a} and {b}: {_first_line(exc)}")


def _canonical_through_models(ctx: AuditContext, vector: DecisionVector) -> None:
    """The contract's figure through the joins the definitions' SQL makes, or a note saying why not.

    Those edges were read from `JOIN ... ON a.x = b.y` with one side checked unique by a query
    (`Extractor._edge`), so they are many-to-one joins the warehouse really has; the note names
    them, since canon.yml (where a reader expects the project's joins) does not.
    """
    edges = tuple(dict.fromkeys(e for d in ctx.definitions for e in ctx.extractions[d.model].edges))
    known = set(ctx.project.join_graph().edges) | set(ctx.metric_joins())
    edges = tuple(e for e in edges if e not in known)
    problem = ctx.canonical_problem
    if edges:
        try:
            edges = _edges_used(ctx, vector, edges)
            ctx.canonical_cents = ctx.priced()(vector, [*edges, *ctx.metric_joins()])
        except MODEL_FAILURES as exc:
            problem = _first_line(exc)
        else:
            ctx.canonical_edges = edges
            joins = ", ".join(str(e) for e in edges)
            ctx.notes.append(
                f"the contract {ctx.options.metric} joins as the models' SQL does ({joins}): canon.yml declares "
                "no such relationship; add it under `relationships:` to make it the project's"
            )
            return
    ctx.notes.append(
        f"no canonical figure: the contract {ctx.options.metric} does not compile ({problem}); "
        "definitions are listed without a bridge to it"
    )


def _edges_used(ctx: AuditContext, vector: DecisionVector, edges: tuple[JoinEdge, ...]) -> tuple[JoinEdge, ...]:
    """Of `edges`, those the contract's query joins through (the note names no other model's join)."""
    from canon.compiler.vector import VectorQuery, base_rows

    query = VectorQuery(vector, "value", extra_edges=(*edges, *ctx.metric_joins()))
    plan = base_rows(query, ctx.project.join_graph(), ctx.relations).plan
    if plan is None:  # nothing joined: no model's join was needed after all
        return ()
    used = {step.edge for path in plan.outer.values() for step in path}
    for group in plan.semi:
        used |= {group.first.edge, *(step.edge for path in group.paths.values() for step in path)}
    return tuple(e for e in edges if e in used)


def history(ctx: AuditContext) -> None:
    """Who wrote each decision line, when, and under which ticket (git blame)."""
    for d in ctx.each(ctx.definitions, lambda d: d.model):
        try:
            ctx.history[d.model] = history_mod.dig(ctx.project.root, ctx.models, d)
        except CanonError as exc:
            ctx.notes.append(f"history of {d.model} not read: {_first_line(exc)}")


def usage(ctx: AuditContext) -> None:
    """Who still queries each definition (query log) and what is built on it (exposures)."""
    exposures = usage_mod.usage_from_exposures(ctx.models)
    from_log: dict[str, Usage] = {}
    if ctx.options.query_log is not None:
        from_log, _ = usage_mod.usage_from_log(
            ctx.options.query_log, ctx.models, ctx.period, dialect=ctx.models.dialect
        )
    for d in ctx.definitions:
        if d.model in from_log:
            found = from_log[d.model]
            found.exposures = exposures.get(d.model, [])
            ctx.usage[d.model] = found


@dataclass(frozen=True)
class Stage:
    """A named stage and when it applies (a stage that does not apply is neither run nor timed)."""

    name: str
    run: Callable[[AuditContext], None]
    applies: Callable[[AuditContext], bool] = lambda ctx: True


STAGES: tuple[Stage, ...] = (
    # static mode (no warehouse): no canonical figure and no bridge; `reproduce` keeps the
    # decisions without figures
    Stage("canonical", canonical, lambda ctx: ctx.canonical_vector is not None and not ctx.static),
    Stage("discover", discover),
    Stage("extract", extract),
    Stage("reproduce", reproduce),
    Stage(
        "bridge",
        bridge,
        lambda ctx: not ctx.static and (ctx.canonical_vector is not None or ctx.options.compare is not None),
    ),
    Stage("history", history, lambda ctx: ctx.options.with_history),
    Stage("usage", usage),
)


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - t0, 3)


def run_stages(ctx: AuditContext, stages: Sequence[Stage] = STAGES) -> AuditContext:
    """Run `stages` in order over `ctx`, timing each and naming it on the progress bar."""
    for stage in stages:
        if not stage.applies(ctx):
            continue
        ctx.stage = stage.name
        with _timed(ctx.timings, stage.name):
            stage.run(ctx)
    ctx.stage = ""
    return ctx


def audit_context(project: Project, options: AuditOptions, stages: Sequence[Stage] = STAGES) -> AuditContext:
    """The whole audit, kept as its context: the result plus the evaluator and domains it filled."""
    timings: dict[str, float] = {}
    with _timed(timings, "catalog"):
        ctx = AuditContext.open(project, options)
    ctx.timings = timings
    return run_stages(ctx, stages)


def run_audit(project: Project, options: AuditOptions) -> AuditResult:
    return audit_context(project, options).result()


# ---------------------------------------------------------------- helpers


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


def _match_counts(project: Project) -> Callable[[ColumnRef, ColumnRef], tuple[int, int] | None]:
    """(rows of `own`'s table with a row of `other`'s table on `own = other`, rows with none), cached.

    What decides whether a join's required match, or an exclusion list, drops any row at all.
    """
    relations = project.relations(project.engine)
    cache: dict[tuple[ColumnRef, ColumnRef], tuple[int, int]] = {}

    def counts(own: ColumnRef, other: ColumnRef) -> tuple[int, int]:
        key = (own, other)
        if key not in cache:
            inner = (
                exp.select(exp.Literal.number(1))
                .from_(relations.get(other.table).as_("canon_other"))
                .where(
                    exp.EQ(this=exp.column(other.column, "canon_other"), expression=exp.column(own.column, "canon_own"))
                )
            )
            matched = exp.Sum(
                this=exp.Case(
                    ifs=[exp.If(this=exp.Exists(this=inner), true=exp.Literal.number(1))], default=exp.Literal.number(0)
                )
            )
            q = exp.select(matched.as_("matched"), exp.Count(this=exp.Star()).as_("n")).from_(
                relations.get(own.table).as_("canon_own")
            )
            row = project.engine.execute(q).to_pylist()[0]
            hit, total = int(row["matched"] or 0), int(row["n"] or 0)
            cache[key] = (hit, total - hit)
        return cache[key]

    return counts


def _pair_bridge(ctx: AuditContext, pair: tuple[str, str]) -> Bridge:
    by_name = {d.model: d for d in ctx.definitions}
    a, b = pair
    for name in (a, b):
        if name not in by_name:
            raise QueryError(f"`{name}` is not one of the definitions found", fix=f"choose from: {', '.join(by_name)}")
    edges = [*ctx.extractions[a].edges, *ctx.extractions[b].edges]
    evaluator = ctx.priced()
    return build_bridge(
        by_name[a].vector,
        by_name[b].vector,
        _evaluate_with(evaluator, edges),
        ctx.domains,
        a,
        b,
        start_cents=by_name[a].value_cents,
        end_cents=by_name[b].value_cents,
        compiles=partial(evaluator.compiles, edges=edges),
        prefetch=partial(evaluator.many, edges=edges, checked=True),
        per_row=rows_of(ctx.project.join_graph().merged(edges)),
        by_values=partial(evaluator.by_values, edges=edges),
    )


def _family(project: Project, vector: object, catalog: Catalog) -> set[str] | None:
    """Tables whose money columns belong to the metric's family: the measure table's connected tables."""
    if not isinstance(vector, DecisionVector):
        return None
    return _connected({vector.measure.column.table.lower()}, project.join_graph().edges)


def _connected(start: set[str], edges: Sequence[JoinEdge]) -> set[str]:
    """The tables `edges` connect to `start`, in either direction (lower case)."""
    seen = set(start)
    frontier = list(start)
    while frontier:
        table = frontier.pop()
        for e in edges:
            for x, y in (
                (e.child.table.lower(), e.parent.table.lower()),
                (e.parent.table.lower(), e.child.table.lower()),
            ):
                if x == table and y not in seen:
                    seen.add(y)
                    frontier.append(y)
    return seen


def _first_line(exc: BaseException) -> str:
    """The message a report row shows: the error's first line (SQL dumps stay out of tables)."""
    text = exc.render() if isinstance(exc, CanonError) else str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def _evaluate_with(evaluator: Evaluator, edges: list[JoinEdge]) -> Callable[[DecisionVector], int]:
    return lambda v: evaluator(v, edges)


def _why_not(notes: list[ExtractUnmapped]) -> str:
    if notes:
        return "; ".join(n.reason for n in notes)
    return "aggregates no money of the metric's family (counts, ids, pass-through)"


def _choose(ctx: AuditContext, found: Discovered) -> Extraction:
    """When a model aggregates money several ways, keep the column closest to the metric's figure."""
    extractions = []
    for cand in found.candidates:
        others = [c.output for c in found.candidates if c is not cand]
        extractions.append(ctx.extractor.extract(found.model, found.tree, found.lineage, cand, others))
    canonical_cents = ctx.canonical_cents
    if len(extractions) == 1 or canonical_cents is None:
        return extractions[0]
    built = _built_relation(ctx.project, found.model)

    def distance(e: Extraction) -> float:
        v = model_figure(ctx.project.engine, e, ctx.period, ctx.relations, ctx.models.raw_tables, built)
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
        row_notes=[n.text for n in e.row_notes],
    )
