"""`canon propose`: the canonical definition, with cited precedent, scored against every model.

The proposal is the contract's own decisions when a draft exists (the walkthrough's board
definition for ACME), otherwise the closest existing definition corrected by the knowledge
base. Every decision is annotated with what each admitted and excluded value *is* (from the
values themselves) and the precedents for and against. Every way an existing model differs
becomes a judgment call priced in dollars for the period: what adopting that choice would do
to the number.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from canon.audit import words
from canon.audit.bridge import moves_between
from canon.audit.domains import Domains
from canon.audit.result import AuditResult, Definition
from canon.compiler.joins import JoinGraph
from canon.compiler.vector import VectorQuery, compile_vector
from canon.contracts.decisions import DecisionVector
from canon.contracts.model import JoinEdge
from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar, sorted_values, to_json_value
from canon.engines.render import render
from canon.errors import QueryError
from canon.kb.model import Claim, KbMetric, knowledge_base

if TYPE_CHECKING:
    from canon.project import Project  # annotations only: the facade stands above the workflow

Evaluate = Callable[[DecisionVector], int]


@dataclass
class ProposedDecision:
    key: str
    summary: str
    family: str | None
    concepts: dict[str, str]  # value (text) → concept
    admitted: list[Any]
    excluded: list[Any]
    supports: list[Claim]
    dissents: list[Claim]
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "summary": self.summary,
            "family": self.family,
            "concepts": self.concepts,
            "admitted": self.admitted,
            "excluded": self.excluded,
            "supported_by": [{"source": c.source.name, "url": c.source.url, "claim": c.text} for c in self.supports],
            "dissent": [{"source": c.source.name, "url": c.source.url, "claim": c.text} for c in self.dissents],
            "note": self.note,
        }


@dataclass
class ModelScore:
    model: str
    value_cents: int
    gap_cents: int  # definition − proposal, the sign the audit's tables use
    agreeing: int
    total: int
    changes: list[str]
    sql_diff: str

    @property
    def score(self) -> float:
        return self.agreeing / self.total if self.total else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "value_cents": self.value_cents,
            "gap_cents": self.gap_cents,
            "score": round(self.score, 3),
            "agreeing_decisions": self.agreeing,
            "decisions": self.total,
            "changes": self.changes,
            "sql_diff": self.sql_diff,
        }


@dataclass
class Option:
    """One way to answer a judgment call, priced as its own question: the proposal's number with
    this one choice changed (what the board number would become), not a bridge step's price."""

    label: str
    impact_cents: int  # (the proposal with this choice) − (the proposal)
    adopted_by: list[str]
    edit: dict[str, Any]  # how approve applies it: {"filter": col, "add": [...]} / {"vector": json}

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "impact_cents": self.impact_cents,
            "adopted_by": self.adopted_by,
            "edit": self.edit,
        }


@dataclass
class JudgmentCall:
    key: str
    question: str
    note: str
    options: list[Option]
    sources: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "question": self.question,
            "note": self.note,
            "options": [o.to_json() for o in self.options],
            "sources": self.sources,
        }


@dataclass
class Proposal:
    metric: str
    label: str
    period: str
    vector: DecisionVector
    value_cents: int
    definition_text: str
    decisions: list[ProposedDecision]
    scores: list[ModelScore]
    calls: list[JudgmentCall]
    kb_metric: str | None
    joins: tuple[JoinEdge, ...] = ()  # edges the vector needs beyond the project's join graph

    @property
    def closest(self) -> ModelScore | None:
        return max(self.scores, key=lambda s: (s.score, -abs(s.gap_cents)), default=None)

    def to_json(self) -> dict[str, Any]:
        closest = self.closest
        return {
            "metric": self.metric,
            "label": self.label,
            "period": self.period,
            "status": "proposed",
            "definition": self.definition_text,
            "value_cents": self.value_cents,
            "decisions": self.vector.to_json(),
            "decision_notes": [d.to_json() for d in self.decisions],
            "closest_model": closest.model if closest else None,
            "models": [s.to_json() for s in self.scores],
            "judgment_calls": [c.to_json() for c in self.calls],
        }


def _text(v: Scalar) -> str:
    return str(to_json_value(v))


def annotate(vector: DecisionVector, domains: Domains, kb_metric: KbMetric | None) -> list[ProposedDecision]:
    kb = knowledge_base()
    notes: list[ProposedDecision] = []
    dec = kb_metric.decisions if kb_metric else {}
    tb = dec.get("date_basis")
    accrual = dec.get("cash_vs_accrual")
    event = vector.time_basis.kind == "event"
    basis_for = tb.supporting if tb and (tb.prefer != "service_period" or not event) else []
    basis_against = tb.supporting if tb and tb.prefer == "service_period" and event else []
    if accrual is not None and accrual.prefer == "accrual" and event:
        basis_for = [*basis_for, *accrual.supporting]  # an invoice date is accrual as billed
    notes.append(
        ProposedDecision(
            "time_basis",
            f"an amount belongs to the period {words.basis_words(vector.time_basis)}",
            None,
            {},
            vector.time_basis.to_json(),
            [],
            *_classed(basis_for, basis_against),
            "The vendor majority measures MRR from subscriptions or service periods; dating by invoice is accrual as"
            " billed. Kept as the company's stated policy and listed as a judgment call."
            if tb and event
            else "",
        )
    )
    norm = dec.get("normalization")
    notes.append(
        ProposedDecision(
            "measure",
            f"sums {words.measure_words(vector.measure)}",
            None,
            {},
            [str(vector.measure.column)],
            [],
            norm.supporting if norm else [],
            [],
        )
    )
    for column, admitted in [*vector.filter_items]:
        dom = domains.domain(column)
        cls = kb.classify(list(dom.all))
        concepts = {_text(v): c for v, c in (cls.concepts.items() if cls else [])}
        excluded = sorted_values(list(dom.all - admitted))
        admitted_concepts = {cls.concepts.get(v) for v in admitted} if cls else set()
        supports: list[Claim] = []
        dissents: list[Claim] = []
        for d in dec.values():
            if cls and d.family == cls.family:
                # a standard's supporters support this decision only when the decision follows it
                follows = not (admitted_concepts & set(d.exclude)) and (
                    not d.admit or bool(admitted_concepts & set(d.admit))
                )
                supports.extend(d.supporting if follows else d.dissenting)
                dissents.extend(d.dissenting if follows else d.supporting)
        admitted_words = words.values_words(admitted, dict(cls.concepts) if cls else None)
        notes.append(
            ProposedDecision(
                f"filter:{column}",
                f"{words.column_words(column)} admits {admitted_words}",
                cls.family if cls else None,
                concepts,
                [to_json_value(v) for v in sorted_values(list(admitted))],
                [to_json_value(v) for v in excluded],
                *_classed(supports, dissents),
            )
        )
    return notes


def _classed(supports: Sequence[Claim], dissents: Sequence[Claim]) -> tuple[list[Claim], list[Claim]]:
    """Claims for and against, each once; a source that supports the decision is never also filed
    as a dissent (its other claim is about another aspect of the same choice)."""
    kept = list(dict.fromkeys(supports))
    sources = {c.source.name for c in kept}
    return kept, [c for c in dict.fromkeys(dissents) if c.source.name not in sources]


def _differences(vector: DecisionVector, target: DecisionVector) -> tuple[int, int, list[str]]:
    keys = ["time_basis", "measure", *sorted({str(c) for c in vector.filters} | {str(c) for c in target.filters})]
    changes: list[str] = []
    if vector.time_basis != target.time_basis:
        changes.append(f"date basis: {words.basis_words(vector.time_basis)} → {words.basis_words(target.time_basis)}")
    if vector.measure != target.measure:
        changes.append(f"what is summed: {words.measure_words(vector.measure)} → {words.measure_words(target.measure)}")
    a, b = vector.filters, target.filters
    for col in sorted(set(a) | set(b)):
        have, want = a.get(col), b.get(col)
        if have == want:
            continue
        changes.append(f"{words.column_words(col)}: {_show_set(have)} → {_show_set(want)}")
    if vector.predicates != target.predicates:
        changes.append("drop conditions: " + " AND ".join(vector.predicates))
    if vector.has_row_decisions or target.has_row_decisions:  # which rows count, how often: one decision
        keys.append("rows")
        mine, theirs = vector.row_decisions(), target.row_decisions()
        if mine != theirs:
            changes.append(f"rows: {'; '.join(mine) or 'each row once'} → {'; '.join(theirs) or 'each row once'}")
    if vector.slice_items:
        changes.append("remove slices: " + ", ".join(str(c) for c, _ in vector.slice_items))
    agreeing = len(keys) - len([c for c in changes if not c.startswith(("drop", "remove"))])
    return agreeing, len(keys), changes


def _show_set(values: frozenset[Scalar] | None) -> str:
    return words.values_words(values)


def sql_for(project: Project, vector: DecisionVector, period: Any) -> str:
    q = VectorQuery(vector, "value_cents", period.grain, first=period, last=period)
    try:
        tree = compile_vector(q, project.join_graph(), project.relations(project.engine))
        return render(tree, project.engine.dialect, pretty=True, identify=False)
    except QueryError as exc:
        return f"-- cannot compile: {exc.message}"


def score(project: Project, d: Definition, proposal: DecisionVector, value: int, period: Any) -> ModelScore:
    agreeing, total, changes = _differences(d.vector, proposal)
    diff = "\n".join(
        difflib.unified_diff(
            sql_for(project, d.vector, period).splitlines(),
            sql_for(project, proposal, period).splitlines(),
            fromfile=f"{d.model} (its decisions)",
            tofile="canonical (proposed)",
            lineterm="",
        )
    )
    # one sign everywhere: the definition's figure minus the canonical (proposed) one
    return ModelScore(d.model, d.value_cents, d.value_cents - value, agreeing, total, changes, diff)


def judgment_calls(
    proposal: DecisionVector,
    audit: AuditResult,
    domains: Domains,
    evaluate: Evaluate,
    kb_metric: KbMetric | None,
    graph: JoinGraph,
) -> list[JudgmentCall]:
    """Each choice an existing model makes differently, priced from the proposal's number."""
    kb = knowledge_base()
    base = evaluate(proposal)
    specs = {c.key: c for c in (kb_metric.judgment_calls if kb_metric else ())}
    options: dict[str, dict[str, Option]] = {}
    for d in audit.definitions:
        if d.vector.time_basis != proposal.time_basis and d.vector.time_basis.kind != "lifetime":
            alt = proposal.with_time_basis(d.vector.time_basis).with_measure(d.vector.measure)
            # keep only the proposal's filters the other basis can see without fanning out
            reach = graph.ancestors(alt.measure.column.table)
            for column in list(alt.filters):
                if column.table not in reach:
                    alt = alt.with_filter(column, None)
            key = "expansion" if d.vector.time_basis.kind == "range" else "date_basis"
            label = f"summed {words.measure_words(d.vector.measure)} {words.basis_words(d.vector.time_basis)}" + (
                " (counts upgrades and new contracts from their start date: expansion MRR)"
                if key == "expansion"
                else ""
            )
            _add_option(options, key, label, alt, evaluate, base, d.model, {"vector": alt.to_json()})
        for move in moves_between(proposal, d.vector, domains):
            if not move.decision.startswith("filter:") or not move.admits:
                continue
            column = ColumnRef.parse(move.decision.removeprefix("filter:"))
            value = move.value
            cls = kb.classify(list(domains.domain(column).all))
            concept = cls.concepts.get(value) if cls and value is not None else None
            key = {"trial": "pilots"}.get(concept or "", concept or f"{column}.{value}")
            admitted = set(proposal.filters.get(column, frozenset())) | {value}
            alt = proposal.with_filter(column, admitted)
            label = "also " + words.filter_move_words(column, value, concept, include=True).replace(
                "counts ", "counted ", 1
            )
            _add_option(
                options,
                key,
                label,
                alt,
                evaluate,
                base,
                d.model,
                {"filter": str(column), "add": [to_json_value(value)]},
            )
    calls = []
    for key, opts in options.items():
        spec = specs.get(key)
        calls.append(
            JudgmentCall(
                key=key,
                question=spec.question if spec else _question(next(iter(opts))),
                note=spec.note if spec else "",
                options=list(opts.values()),
                sources=[s.name for s in spec.sources] if spec else [],
            )
        )
    order = {k: i for i, k in enumerate(specs)}
    return sorted(calls, key=lambda c: (order.get(c.key, 99), c.key))


def _question(label: str) -> str:
    """The question an option without a standard's wording asks: "Also count pending invoices?"."""
    if label.startswith("also counted "):
        return f"Should the board number also count {label.removeprefix('also counted ')}?"
    return f"Should the board number be {label}?"


def _add_option(
    options: dict[str, dict[str, Option]],
    key: str,
    label: str,
    alt: DecisionVector,
    evaluate: Evaluate,
    base: int,
    model: str,
    edit: dict[str, Any],
) -> None:
    known = options.get(key, {})
    if label in known:
        known[label].adopted_by.append(model)
        return
    try:
        impact = evaluate(alt) - base
    except QueryError:
        return  # an option that does not compile is no option (and no empty judgment call)
    options.setdefault(key, {})[label] = Option(label, impact, [model], edit)


def propose(
    project: Project,
    audit: AuditResult,
    evaluate: Evaluate,
    domains: Domains,
    joins_of: Mapping[str, Sequence[JoinEdge]] | None = None,
    evaluate_with: Callable[[DecisionVector, Sequence[JoinEdge]], int] | None = None,
) -> Proposal:
    """The proposal for `audit`'s metric and period.

    Pass the audit's own evaluator and domains (`AuditSession.evaluator`/`.domains`, or simply
    `AuditSession.propose()`): the canonical figure and the bridges' figures and column values
    are then already in their caches. Any evaluator for the same period gives the same proposal.
    """
    kb = knowledge_base()
    metric = project.metrics.get(audit.metric)
    kb_metric = kb.metric(audit.metric)
    joins: tuple[JoinEdge, ...] = ()
    if metric is not None and metric.is_declarative:
        vector = metric.decisions
        text = metric.spec.description or (kb_metric.definition if kb_metric else "")
    else:
        if not audit.definitions:
            raise QueryError(f"no definition of `{audit.metric}` found and no contract to start from")
        # a contract holds one row set: a definition adding several (lines less credit notes) is
        # priced and shown, not drafted from
        plain = [d for d in audit.definitions if not d.vector.is_composite]
        if not plain:
            raise QueryError(
                f"every definition of `{audit.metric}` found adds amounts of several tables (see `canon audit"
                f" --metric {audit.metric}`); a contract of one of them cannot be drafted yet: write"
                f" metrics/{audit.metric}.yml by hand (`canon schema` shows its fields)"
            )
        periodic = [d for d in plain if d.vector.time_basis.kind != "lifetime"] or plain
        start = max(periodic, key=lambda d: d.reproduced)  # a lifetime total has no period to propose
        vector = _kb_corrected(start.vector, domains, kb_metric)
        text = kb_metric.definition if kb_metric else ""
        # the joins that model's SQL wrote (a project without relationships tests has no others)
        joins = tuple(j for j in (joins_of or {}).get(start.model, ()) if j not in set(project.join_graph().edges))
        if joins and evaluate_with is not None:
            evaluate = partial(evaluate_with, edges=joins)  # type: ignore[call-arg]
    value = evaluate(vector)
    scores = [score(project, d, vector, value, audit.period) for d in audit.definitions if not d.canonical]
    return Proposal(
        metric=audit.metric,
        label=metric.label if metric else (kb_metric.label if kb_metric else audit.metric),
        period=audit.period.label,
        vector=vector,
        value_cents=value,
        definition_text=text,
        decisions=annotate(vector, domains, kb_metric),
        scores=sorted(scores, key=lambda s: -s.score),
        calls=judgment_calls(vector, audit, domains, evaluate, kb_metric, project.join_graph()),
        kb_metric=kb_metric.key if kb_metric else None,
        joins=joins,
    )


def _kb_corrected(vector: DecisionVector, domains: Domains, kb_metric: KbMetric | None) -> DecisionVector:
    """Set every classified filter column to what the standard admits."""
    if kb_metric is None:
        return vector
    kb = knowledge_base()
    out = vector
    for column in list(vector.filters):
        cls = kb.classify(list(domains.domain(column).all))
        if cls is None:
            continue
        admit = {c for d in kb_metric.decisions.values() if d.family == cls.family for c in d.admit}
        if admit:
            out = out.with_filter(column, {v for v, c in cls.concepts.items() if c in admit})
    return out
