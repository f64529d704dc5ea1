"""`canon postmortem`: what diverged, by how much, why, what was decided, how it stays fixed.

Written from the audit and the sign-off record only, so every sentence traces to evidence:
figures from the warehouse, reasons from git history, the decision from the contract.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from canon.audit.report.common import GAP_HEADER, PRICE_HEADER, SIGN_NOTE, method_text
from canon.audit.result import AuditResult
from canon.audit.words import decision_name
from canon.contracts.model import Metric
from canon.present.money import format_cents, format_signed_cents

STANCE_WORDS = {"supports": "supports the decision", "dissents": "argues against it", "context": "context"}


def render_postmortem(
    audit: AuditResult, metric: Metric | None, canonical_model: str | None = None, today: date | None = None
) -> str:
    label = audit.label
    period = audit.period.label
    lines = [
        f"# Postmortem: {label} had {len(audit.distinct_definitions())} definitions",
        "",
        f"_Written by canon on {today or datetime.now(UTC).date():%Y-%m-%d} from the audit of {period} and the "
        "sign-off record._",
        "",
        "## What happened",
        "",
        f"{audit.headline()}.",
        "",
        "| model | " + f"{label} for {period} | {GAP_HEADER} | reproduced from its decisions | queries / month |",
        "|---|---:|---:|---|---:|",
    ]
    for d in audit.definitions:
        gap = d.value_cents - (audit.canonical_cents or 0)
        usage = f"{d.usage.queries_per_month:g}" if d.usage else "—"
        repro = "yes" if d.reproduced else f"no (residual {format_cents(d.residual_cents)})"
        lines.append(
            f"| `{d.model}` | {format_cents(d.value_cents)} | {format_signed_cents(gap)} | {repro} | {usage} |"
        )
    if audit.canonical_cents is not None:
        lines.append(f"| **canonical** | **{format_cents(audit.canonical_cents)}** | | | |")
    lines += ["", "## Where they diverged, and what each choice was worth", "", SIGN_NOTE, ""]
    for d in audit.definitions:
        if not d.bridge or not d.bridge.steps:
            continue
        lines.append(f"### `{d.model}`: {format_signed_cents(d.bridge.gap_cents)} against the canonical {label}")
        lines.append("")
        lines.append(f"| decision point | {PRICE_HEADER} |")
        lines.append("|---|---:|")
        for s in d.bridge.steps:
            lines.append(f"| {s.label} | {format_signed_cents(s.impact_cents)} |")
        lines.append(f"| **gap** | **{format_signed_cents(d.bridge.gap_cents)}** |")
        lines.append("")
        lines.append(f"_{method_text(d.bridge)}_")
        lines.append("")
    lines += ["## Why (from git history)", ""]
    any_history = False
    for d in audit.definitions:
        for c in d.history:
            any_history = True
            flags = f" **{', '.join(c.flags)}**" if c.flags else ""
            tickets = ", ".join(c.tickets) or "no ticket"
            subject = c.message.splitlines()[0] if c.message else ""
            lines.append(
                f"- `{d.model}`, {decision_name(c.decision)}: `{c.sha[:8]}` by {c.author} on {c.date[:10]}: "
                f"“{subject}” ({tickets}){flags}"
                if "uncommitted" not in c.flags
                else f"- `{d.model}`, {decision_name(c.decision)}: only in the working copy, never committed{flags}"
            )
    if not any_history:
        lines.append("- No git history was available for these models.")
    lines += ["", "## What was decided", ""]
    so = metric.spec.signoff if metric else None
    if metric is not None and so is not None:
        lines.append(
            f"{so.by} ({so.role}) signed the canonical {label} on {so.at:%Y-%m-%d}: {metric.spec.description.strip()}"
        )
        lines.append("")
        lines.append(f"- Definition hash: `{so.definition_hash}`")
        for key, value in so.decisions.items():
            lines.append(f"- Judgment call `{key}`: {value}")
        for p in metric.spec.precedents[:6]:
            lines.append(f"- Precedent that {STANCE_WORDS.get(p.stance, p.stance)}: {p.source} — {p.claim}")
    else:
        lines.append("No sign-off is recorded yet: the canonical definition is still a proposal.")
    contract = metric.file.name if metric and metric.file else f"metrics/{audit.metric}.yml"
    lines += [
        "",
        "## How this stays fixed",
        "",
        f"- One contract (`{contract}`) defines {label}; "
        "its hash is bound to the sign-off, so an edit without a new sign-off fails `canon verify`.",
        f"- `{canonical_model or 'the canonical model'}` is built from that contract by canon; the old models are "
        "deprecated (header comment, dbt `deprecation_date`, `meta.replaced_by`).",
        "- Business-rule tests (`assert_*`) and the contract's own tests run with `dbt build` and `canon verify`.",
        f"- `canon verify` re-audits the project: any live model computing {label} another way fails with "
        f"“{label} is defined N ways across M models”, and every period is compared with the stored baseline.",
        "",
    ]
    return "\n".join(lines)
