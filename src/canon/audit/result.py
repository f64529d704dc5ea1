"""What an audit finds, as plain data: every report format renders this and nothing else.

`to_json()` is the stable, documented schema of `canon audit --format json` (see README);
fields may be added, the documented ones never change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from canon.compiler.periods import Period
from canon.contracts.decisions import DecisionVector
from canon.contracts.values import to_json_value


@dataclass
class BridgeStep:
    # "time_basis", "measure", "time_basis+measure", "dedup:<table>", "fanout:<table>", "match:<table>",
    # "filter:raw_invoices.type", "slice:...", "predicate", "residual"
    decision: str
    label: str  # plain words: "counts invoices with type setup (one-time)"
    from_value: Any
    to_value: Any
    impact_cents: int  # this decision point's Shapley value: its price, end − start (see audit/bridge.py)
    value_after_cents: int  # the running total in the order shown (the waterfall's bar ends)
    error_cents: int | None = None  # 95 % bound of a sampled price (None: computed exactly)

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "label": self.label,
            "from": self.from_value,
            "to": self.to_value,
            "impact_cents": self.impact_cents,
            "value_after_cents": self.value_after_cents,
            "error_cents": self.error_cents,
        }


# The sign every table states: a step is what the end definition's decision adds to the start.
SIGN = "definition − canonical"


@dataclass
class Bridge:
    """From `start` to `end`, one step per decision point; the steps sum to end − start exactly.

    An audit's bridges start at the canonical figure and end at the definition's, so each step
    is that decision's price in definition − canonical.
    """

    start_label: str
    end_label: str
    start_cents: int
    end_cents: int
    steps: list[BridgeStep]
    order: str  # how the prices were computed (exact Shapley over n points, or sampled with a bound)
    exact: bool = True
    error_cents: int = 0  # the largest 95 % bound of a sampled price (0 when exact)

    @property
    def gap_cents(self) -> int:
        return self.end_cents - self.start_cents

    def largest(self) -> BridgeStep | None:
        return max(self.steps, key=lambda s: abs(s.impact_cents), default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start_label,
            "to": self.end_label,
            "from_cents": self.start_cents,
            "to_cents": self.end_cents,
            "gap_cents": self.gap_cents,
            "method": self.order,
            "exact": self.exact,
            "error_cents": self.error_cents,
            "steps": [s.to_json() for s in self.steps],
        }


@dataclass
class Commit:
    decision: str
    sha: str
    author: str
    email: str
    date: str
    message: str
    tickets: list[str]
    flags: list[str]
    lines: list[int] = field(default_factory=list)
    file: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "sha": self.sha,
            "author": self.author,
            "date": self.date,
            "message": self.message,
            "tickets": self.tickets,
            "flags": self.flags,
            "file": self.file,
            "lines": self.lines,
        }


@dataclass
class Usage:
    queries_per_month: float
    last_queried: str | None
    by_team: dict[str, float]
    by_month: dict[str, int] = field(default_factory=dict)
    exposures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "queries_per_month": self.queries_per_month,
            "last_queried": self.last_queried,
            "by_team": self.by_team,
            "by_month": self.by_month,
            "exposures": self.exposures,
        }


@dataclass
class Unmapped:
    sql: str
    reason: str
    model: str | None = None
    lines: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Failure:
    """A model the audit could not read to the end, and why: a row of the report, never a stop.

    `stage` names where it failed (`compile` for dbt's own compile errors, then the audit's
    stages: `discover`, `extract`, `reproduce`); `reason` is the message as its source gave it
    (dbt's, the warehouse's, or "too complex to map within 20 s at extract").
    """

    model: str
    stage: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "stage": self.stage, "reason": self.reason}


@dataclass
class Definition:
    model: str
    path: str
    measure_output: str
    value_cents: int  # the model's own figure for the period
    reproduced_cents: int  # the decision vector compiled and run
    vector: DecisionVector
    unmapped: list[Unmapped]
    provenance: dict[str, list[tuple[str, int]]]  # decision key → (model, line) pairs
    fragments: dict[str, list[str]]
    bridge: Bridge | None = None
    history: list[Commit] = field(default_factory=list)
    usage: Usage | None = None
    alternates: list[str] = field(default_factory=list)
    deprecated: bool = False
    canonical: bool = False  # the model materializes the canonical contract
    period_keys: list[tuple[str, str | None]] = field(default_factory=list)  # output, SQL over `__period__`
    outputs: list[str] = field(default_factory=list)  # every output column of the model, in order
    # Why the two figures cannot be compared (None: they can). Set by the `reproduce` stage when
    # the decisions did not compile, or when the period selected no row on a side and the
    # figures agree anyway: 0 = 0 on an empty period proves nothing about the decisions.
    not_comparable: str | None = None
    # False in static mode: no warehouse was read, `value_cents`/`reproduced_cents` are 0 and mean
    # nothing (JSON says null, every renderer "not priced (static)").
    priced: bool = True
    # row decisions that follow from others (a filter on a LEFT-joined table dropping the rows with
    # no row there), in words; the vector's own row decisions are `vector.row_decisions()`
    row_notes: list[str] = field(default_factory=list)

    @property
    def row_decisions(self) -> list[str]:
        """Every row decision in words: deduplication, fan-outs, matches, then the notes."""
        return [*self.vector.row_decisions(), *self.row_notes]

    @property
    def residual_cents(self) -> int:
        return self.value_cents - self.reproduced_cents

    @property
    def comparable(self) -> bool:
        return self.not_comparable is None

    @property
    def reproduced(self) -> bool:
        """The decisions ran and the period selected rows on both sides, to the same cent."""
        return self.not_comparable is None and self.residual_cents == 0

    def to_json(self) -> dict[str, Any]:
        vec = self.vector.to_json()
        if self.vector.predicates:
            vec["predicates"] = list(self.vector.predicates)
        vec["row_decisions"] = self.row_decisions  # in words; the structured ones come with the vector
        priced = self.priced
        return {
            "model": self.model,
            "path": self.path,
            "measure_output": self.measure_output,
            "value_cents": self.value_cents if priced else None,
            "reproduced": self.reproduced and priced,
            "reproduced_cents": self.reproduced_cents if priced else None,
            "residual_cents": self.residual_cents if priced else None,
            "decisions": vec,
            "slices": {
                str(k): [to_json_value(v) for v in sorted(vals, key=lambda x: (x is None, str(x)))]
                for k, vals in self.vector.slice_items
            },
            "unmapped": [{"sql": u.sql, "reason": u.reason, "model": u.model, "lines": u.lines} for u in self.unmapped],
            "bridge": [s.to_json() for s in self.bridge.steps] if self.bridge else [],
            "bridge_order": self.bridge.order if self.bridge else None,
            # the bridge starts at the canonical figure: steps are definition − canonical
            "bridge_from_cents": self.bridge.start_cents if self.bridge else None,
            "gap_cents": self.bridge.gap_cents if self.bridge else None,
            "history": [c.to_json() for c in self.history],
            "usage": self.usage.to_json() if self.usage else None,
            "alternates": self.alternates,
            "deprecated": self.deprecated,
            "canonical": self.canonical,
            "comparable": self.comparable,
            "not_comparable_reason": self.not_comparable,
        }


@dataclass
class AuditResult:
    metric: str
    label: str
    period: Period
    canonical_vector: DecisionVector | None
    canonical_cents: int | None
    definitions: list[Definition]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (model, why it is not a definition)
    timings: dict[str, float] = field(default_factory=dict)
    pair_bridge: Bridge | None = None
    failed: list[Failure] = field(default_factory=list)  # models not read to the end, with why
    notes: list[str] = field(default_factory=list)  # project-wide facts a reader must see (missing packages)
    # "static": decision points from SQL alone, nothing priced (`canon audit --static`, or the
    # warehouse could not be reached: `static_reason` then says why).
    mode: str = "warehouse"
    static_reason: str | None = None

    @property
    def static(self) -> bool:
        return self.mode == "static"

    @property
    def nothing_found(self) -> bool:
        """No definition survived: every model was skipped or failed (the CLI exits 1)."""
        return not self.definitions

    def diverges(self) -> bool:
        """Live definitions disagree with each other or with the canonical decisions."""
        live = [d.vector for d in self.definitions if not d.deprecated]
        if self.canonical_vector is not None:
            live.append(self.canonical_vector)
        live.sort(key=lambda v: v.time_basis.kind == "lifetime")  # compare with a periodic one first
        return any(not v.same_definition(live[0]) for v in live[1:])

    def distinct_definitions(self) -> list[list[Definition]]:
        """Definitions grouped by identical decisions (the 'ways' a metric is defined).

        Lifetime totals join the group of the periodic definition they total (the same decisions
        at another grain) after every periodic group is formed; matching them first would merge
        two periodic definitions through a total that agrees with both.
        """
        groups: list[list[Definition]] = []
        ordered = sorted(self.definitions, key=lambda d: d.vector.time_basis.kind == "lifetime")
        for d in ordered:
            for g in groups:
                if g[0].vector.same_definition(d.vector):
                    g.append(d)
                    break
            else:
                groups.append([d])
        return groups

    def headline(self) -> str:
        from canon.present.money import short_money

        if self.nothing_found:
            return self._nothing_found_headline() + self._static_words()
        ways = len(self.distinct_definitions())
        models = len(self.definitions)
        text = definition_headline(self.label, ways, models)
        if self.canonical_cents is not None and self.definitions:
            worst = max(self.definitions, key=lambda d: abs(d.value_cents - (self.canonical_cents or 0)))
            gap = abs(worst.value_cents - self.canonical_cents)
            step = worst.bridge.largest() if worst.bridge else None
            reason = f" ({_decision_words(step.decision)})" if step else ""
            text += f"; the largest gap is {short_money(gap)}{reason}"
        not_comparable = sum(1 for d in self.definitions if not d.comparable and d.priced)
        if not_comparable:
            text += f"; {not_comparable} not comparable in {self.period.label}"
        if self.failed:
            text += f"; {_plural(len(self.failed), 'model')} could not be read"
        return text + self._static_words()

    def _static_words(self) -> str:
        """Static mode is said in the headline: a reader must never take the map for priced figures."""
        if not self.static:
            return ""
        if self.static_reason is not None:
            return f"; static: the warehouse could not be reached ({self.static_reason}), nothing priced"
        return "; static: decisions read from SQL alone, nothing priced"

    def _nothing_found_headline(self) -> str:
        """Never "defined 0 ways across 0 models": say that nothing was found, and why."""
        looked = len(self.skipped) + len(self.failed)
        if not looked:
            return f"No definition of {self.label} found: no model was audited"
        parts = []
        if self.skipped:
            parts.append(f"{_plural(len(self.skipped), 'model')} not a definition")
        if self.failed:
            parts.append(f"{_plural(len(self.failed), 'model')} could not be read")
        return f"No definition of {self.label} found: every model was skipped ({', '.join(parts)})"

    def to_json(self) -> dict[str, Any]:
        canonical = None
        if self.canonical_vector is not None:
            canonical = {"value_cents": self.canonical_cents, "decisions": self.canonical_vector.to_json()}
        mode = {"mode": self.mode, "static_reason": self.static_reason} if self.static else {}
        return {
            "metric": self.metric,
            **mode,
            "period": self.period.label,
            "headline": self.headline(),
            "canonical": canonical,
            "definitions": [d.to_json() for d in self.definitions],
            "skipped": [{"model": m, "reason": r} for m, r in self.skipped],
            "failed": [f.to_json() for f in self.failed],
            "notes": list(self.notes),
            "timings": self.timings,
            "pair_bridge": None if self.pair_bridge is None else self.pair_bridge.to_json(),
        }


def _decision_words(decision: str) -> str:
    from canon.audit.words import decision_name

    return decision_name(decision)


def definition_headline(label: str, ways: int, models: int) -> str:
    """ "MRR is defined 3 ways across 3 models": the sentence the audit and the drift guard share."""
    return f"{label} is defined {_plural(ways, 'way')} across {_plural(models, 'model')}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
