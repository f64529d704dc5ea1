"""What every audit report shows, as rows of plain text: the formats differ only in markup.

Keeping the content here means the terminal, the pull-request Markdown and the HTML page
can never disagree about a figure, a decision or a flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from canon.audit import words
from canon.audit.result import AuditResult, Bridge, Commit, Definition, Usage
from canon.contracts.decisions import DecisionVector, composite_text
from canon.present.money import format_cents, format_signed_cents

ALL_VALUES = words.EVERY_VALUE
INACTIVE_NOTE = (
    '"author inactive": the author has no commit in the repository during the 90 days before '
    "its latest commit (or before the reference date given to the audit)."
)
UNCOMMITTED = "uncommitted"
RED_FLAGS = ("no ticket", "author inactive", UNCOMMITTED)


@dataclass(frozen=True)
class DecisionRow:
    decision: str  # in words, for people
    this: str
    canonical: str
    same: bool | None  # None: no canonical to compare with, or a slice (never a divergence)
    key: str = ""  # the audit's own key (`measure`, `time_basis`, `filter:raw_x.y`, …), for machines


@dataclass(frozen=True)
class BridgeRow:
    step: str
    decision: str
    impact: str
    value_after: str
    impact_cents: int | None  # None for the start and end rows
    error: str = ""  # "± $0.12" for a sampled price


SIGN_NOTE = "Sign: definition − canonical (a positive step is what the definition adds to the canonical figure)."
PRICE_HEADER = "price (definition − canonical)"
GAP_HEADER = "gap (definition − canonical)"
GAP_CAPTION = "gap: definition − canonical"


def count(n: float) -> str:
    """847.0 → "847", 12.333 → "12.33", 1200 → "1,200"."""
    text = f"{n:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def values_text(values: Any) -> str:
    """A bridge step's from/to value or an admitted set, in words (never a Python repr)."""
    if values is None:
        return ALL_VALUES
    if isinstance(values, list | tuple | set | frozenset):
        return words.values_words(list(values))
    if isinstance(values, dict):
        return ", ".join(f"{k}: {values_text(v)}" for k, v in values.items())
    return str(values)


def _set_text(values: frozenset[Any] | None, concepts: dict[Any, str] | None = None) -> str:
    if values is None:
        return ALL_VALUES
    return words.values_words(values, concepts)


def model_marks(d: Definition) -> str:
    """ " (canonical)", " (deprecated)" or ""."""
    marks = [m for m, on in (("canonical", d.canonical), ("deprecated", d.deprecated)) if on]
    return f" ({', '.join(marks)})" if marks else ""


def model_title(d: Definition) -> str:
    return d.model + model_marks(d)


def figure_text(d: Definition) -> str:
    """The model's own figure, or why there is none: no warehouse read, or a lifetime total."""
    if d.priced:
        return format_cents(d.value_cents)
    return LIFETIME if d.vector.time_basis.kind == "lifetime" else NOT_PRICED


def figure_vs_canonical(result: AuditResult, d: Definition) -> str:
    if result.canonical_cents is None or not d.priced:
        return "—"
    return format_signed_cents(d.value_cents - result.canonical_cents)


NOT_COMPARABLE = "not comparable"
NOT_PRICED = "not priced (static)"  # no warehouse was read: what every format says instead of a figure
LIFETIME = "lifetime total"  # no period: a total over all time is no figure for the period


def reproduced_text(d: Definition) -> str:
    """✓ only when both figures selected rows and agree; an empty period is never a ✓."""
    if not d.priced:
        return "— (no period)" if d.vector.time_basis.kind == "lifetime" else NOT_PRICED
    if not d.comparable:
        return f"{NOT_COMPARABLE} ({d.not_comparable})"
    if d.reproduced:
        return "✓"
    return f"✗ residual {format_signed_cents(d.residual_cents)}"


def failed_lines(result: AuditResult) -> list[str]:
    """One line per model the audit could not read to the end: the stage and the reason as given."""
    return [f"{f.model} ({f.stage}): {f.reason}" for f in result.failed]


def usage_short(u: Usage | None) -> str:
    if u is None:
        return "—"
    last = f", last {u.last_queried[:10]}" if u.last_queried else ", never queried"
    return f"{count(u.queries_per_month)}/mo{last}"


def usage_long(u: Usage | None) -> str:
    if u is None:
        return "no query log or exposures read"
    parts = [f"{count(u.queries_per_month)} queries/month"]
    if u.by_team:
        teams = sorted(u.by_team.items(), key=lambda kv: (-kv[1], kv[0]))
        parts[0] += " (" + ", ".join(f"{t} {count(n)}" for t, n in teams) + ")"
    parts.append(f"last queried {u.last_queried[:10]}" if u.last_queried else "never queried")
    if u.exposures:
        parts.append("exposures: " + ", ".join(u.exposures))
    return "; ".join(parts)


def definition_rows(result: AuditResult) -> list[tuple[str, str, str, str, str]]:
    """(model marks, figure, vs canonical, reproduced, usage) per definition, in order."""
    return [
        (
            model_marks(d),
            figure_text(d),
            figure_vs_canonical(result, d),
            reproduced_text(d),
            usage_short(d.usage),
        )
        for d in result.definitions
    ]


def decision_rows(
    vector: DecisionVector, canonical: DecisionVector | None, notes: Sequence[str] = ()
) -> list[DecisionRow]:
    """This definition's decision points beside the canonical ones, divergences marked.

    Row decisions (deduplication, fan-outs, matches) are paired by kind and table; `notes` are
    the row decisions that follow from others (a LEFT-joined table's filter dropping NULL rows).
    """
    none = "—"
    if vector.is_composite:
        return _composite_rows(vector, canonical, notes)
    rows = [
        DecisionRow(
            "what is summed",
            words.measure_words(vector.measure),
            words.measure_words(canonical.measure) if canonical else none,
            None
            if canonical is None
            else (
                vector.measure.column == canonical.measure.column
                and vector.measure.scale == canonical.measure.scale
                and vector.measure.aggregation == canonical.measure.aggregation
            ),
            "measure",
        ),
        DecisionRow(
            "date basis",
            words.basis_words(vector.time_basis),
            words.basis_words(canonical.time_basis) if canonical else none,
            None if canonical is None else vector.time_basis == canonical.time_basis,
            "time_basis",
        ),
    ]
    mine, theirs = vector.filters, canonical.filters if canonical else {}
    for col in sorted(set(mine) | set(theirs)):
        a, b = mine.get(col), theirs.get(col)
        rows.append(
            DecisionRow(
                f"{words.column_words(col)} admitted",
                _set_text(a),
                _set_text(b) if canonical else none,
                None if canonical is None else a == b,
                f"filter:{col}",
            )
        )
    c_slices = canonical.slices if canonical else {}
    for col in sorted(set(vector.slices) | set(c_slices)):
        rows.append(
            DecisionRow(
                f"{words.column_words(col)} (slice)",
                _set_text(vector.slices.get(col)),
                _set_text(c_slices.get(col)) if canonical else none,
                None,
                f"slice:{col}",
            )
        )
    if vector.predicates or (canonical and canonical.predicates):
        a_text = "; ".join(vector.predicates) or none
        b_text = "; ".join(canonical.predicates) if canonical and canonical.predicates else none
        rows.append(
            DecisionRow(
                "other conditions",
                a_text,
                b_text if canonical else none,
                None if canonical is None else vector.predicates == canonical.predicates,
                "predicate",
            )
        )
    rows.extend(_row_decision_rows(vector, canonical))
    rows.extend(DecisionRow("rows", note, none, None) for note in notes)
    return rows


def _composite_rows(
    vector: DecisionVector, canonical: DecisionVector | None, notes: Sequence[str]
) -> list[DecisionRow]:
    """A sum of row sets: the signed sum, then each term's own decision points ("term 2: filter …")."""
    none = "—"
    total = f"{composite_text(vector.terms)} ({len(vector.terms)} row sets, each over its own rows)"
    rows = [
        DecisionRow(
            "what is summed",
            total,
            words.measure_words(canonical.measure) if canonical else none,
            False if canonical else None,
            "measure",
        )
    ]
    for i, term in enumerate(vector.terms, 1):
        for row in decision_rows(term, None):
            rows.append(DecisionRow(f"term {i}: {row.decision}", row.this, none, None, f"term {i}: {row.key}"))
    rows.extend(DecisionRow("rows", note, none, None) for note in notes)
    return rows


def _row_decision_rows(vector: DecisionVector, canonical: DecisionVector | None) -> list[DecisionRow]:
    def keyed(v: DecisionVector | None) -> dict[str, str]:
        if v is None:
            return {}
        measured = v.measure.column.table
        out = {f"deduplication of {d.table}": d.describe() for d in v.dedup}
        out |= {f"fan-out through {f.other.table}": f.describe(measured) for f in v.fanout}
        out |= {f"match in {m.other.table}": m.describe() for m in v.matches}
        return out

    mine, theirs = keyed(vector), keyed(canonical)
    return [
        DecisionRow(
            f"rows: {key}",
            mine.get(key, "none"),
            theirs.get(key, "none") if canonical else "—",
            None if canonical is None else mine.get(key) == theirs.get(key),
            f"rows: {key}",
        )
        for key in sorted(set(mine) | set(theirs))
    ]


def bridge_rows(bridge: Bridge) -> list[BridgeRow]:
    """Start, one row per decision point, end: the prices add up to end − start exactly."""
    rows = [BridgeRow(f"start: {bridge.start_label}", "", "", format_cents(bridge.start_cents), None)]
    for s in bridge.steps:
        rows.append(
            BridgeRow(
                s.label,
                s.decision,
                format_signed_cents(s.impact_cents),
                format_cents(s.value_after_cents),
                s.impact_cents,
                "" if s.error_cents is None else f"± {format_cents(s.error_cents)}",
            )
        )
    rows.append(
        BridgeRow(
            f"end: {bridge.end_label}",
            "",
            format_signed_cents(bridge.end_cents - bridge.start_cents),
            format_cents(bridge.end_cents),
            None,
        )
    )
    return rows


def method_text(bridge: Bridge) -> str:
    """How the prices were computed, and the sign they are in."""
    sign = price_sign(bridge)
    return (
        f"Each step is that decision's price ({sign}): its {bridge.order}. The prices do not depend on the "
        "order the decisions are listed in and sum exactly to the gap."
    )


def price_sign(bridge: Bridge) -> str:
    """The sign a bridge's prices are in, in words."""
    if bridge.start_label.startswith("canonical"):
        return "definition − canonical"
    return f"{bridge.end_label} − {bridge.start_label}"


def price_header(bridge: Bridge) -> str:
    return f"price ({price_sign(bridge)})"


def history_rows(commits: Iterable[Commit]) -> list[tuple[str, str, str, str, str, str, str]]:
    """(decision, short sha, author, date, subject, tickets, flags) per commit, in words."""
    rows = []
    for c in commits:
        subject = c.message.splitlines()[0] if c.message else ""
        if UNCOMMITTED in c.flags:  # a line only in the working copy: no commit, no author yet
            rows.append(
                (words.decision_name(c.decision), "—", "—", "—", "only in the working copy", "—", ", ".join(c.flags))
            )
            continue
        rows.append(
            (
                words.decision_name(c.decision),
                c.sha[:7],
                c.author,
                c.date[:10],
                subject,
                ", ".join(c.tickets) or "—",
                ", ".join(c.flags),
            )
        )
    return rows


def untraced(c: Commit) -> bool:
    """A decision nobody can trace: no ticket, or never committed."""
    return UNCOMMITTED in c.flags or not c.tickets


def unmapped_rows(d: Definition) -> list[tuple[str, str, str]]:
    """(SQL fragment, reason, where) for everything the extraction could not map."""
    rows = []
    for u in d.unmapped:
        where = u.model or d.model
        if u.lines:
            where += ":" + ",".join(str(n) for n in u.lines)
        rows.append((u.sql, u.reason, where))
    return rows


def canonical_summary(result: AuditResult) -> str:
    if result.static:
        return "Static audit: decision points read from the SQL alone; no figure is priced (no warehouse read)."
    if result.canonical_vector is None:
        return "No canonical definition yet: bridges and gaps are shown once a contract is approved."
    if result.canonical_cents is None:  # the contract did not compile: its note says why
        return f"Canonical {result.label}: not computed for {result.period.label} (see the note above); no bridges."
    return f"Canonical {result.label}: {format_cents(result.canonical_cents)} for {result.period.label}."
