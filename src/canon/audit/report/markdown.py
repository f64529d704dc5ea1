"""The audit as Markdown for a pull request: the terminal report's content as GitHub tables.

Output is deterministic (no timestamps, no timings, stable ordering) so it can be committed,
diffed and golden-tested.
"""

from __future__ import annotations

from collections.abc import Sequence

from canon.audit.report.common import (
    GAP_HEADER,
    INACTIVE_NOTE,
    bridge_rows,
    canonical_summary,
    decision_rows,
    definition_rows,
    failed_lines,
    history_rows,
    method_text,
    model_marks,
    price_header,
    unmapped_rows,
    usage_long,
)
from canon.audit.result import AuditResult, Bridge, Definition


def render_markdown(result: AuditResult) -> str:
    out: list[str] = [
        f"# {result.label} audit — {result.period.label}",
        "",
        f"**{_inline(result.headline())}**",
        "",
        *[line for note in result.notes for line in (f"> {_inline(note)}", "")],
        _inline(canonical_summary(result)),
        "",
        "## Definitions",
        "",
        _table(
            ["model", "figure", GAP_HEADER, "reproduced", "usage"],
            [
                [f"`{d.model}`{marks}", fig, diff, rep, use]
                for d, (marks, fig, diff, rep, use) in zip(result.definitions, definition_rows(result), strict=True)
            ],
            align=["l", "r", "r", "l", "l"],
        ),
    ]
    for d in result.definitions:
        out += _definition(result, d)
    if result.pair_bridge is not None:
        b = result.pair_bridge
        out += ["", f"## Bridge `{b.start_label}` → `{b.end_label}`", "", _bridge(b), "", _inline(method_text(b))]
    if result.failed:
        out += ["", f"## Not read ({len(result.failed)} models)", ""]
        out += [f"- {_inline(line)}" for line in failed_lines(result)]
    if result.skipped:
        out += [
            "",
            f"<details><summary>Not definitions ({len(result.skipped)} models)</summary>",
            "",
            *[f"- `{m}`: {_inline(why)}" for m, why in result.skipped],
            "",
            "</details>",
        ]
    return "\n".join(out) + "\n"


def _definition(result: AuditResult, d: Definition) -> list[str]:
    out = ["", f"## `{d.model}`{model_marks(d)}", "", f"File: `{d.path}`"]
    if d.alternates:
        out += ["", "Other money outputs: " + ", ".join(f"`{a}`" for a in d.alternates)]
    rows = []
    for r in decision_rows(d.vector, result.canonical_vector, d.row_notes):
        mark = "" if r.same is None else ("=" if r.same else "**≠**")
        rows.append([r.decision, r.this, r.canonical, mark])
    out += ["", "### Decision points", "", _table(["decision", f"`{d.model}`", "canonical", ""], rows)]
    if d.bridge is not None:
        out += [
            "",
            f"### Bridge from canonical to `{d.model}`",
            "",
            _bridge(d.bridge),
            "",
            _inline(method_text(d.bridge)),
        ]
    unmapped = unmapped_rows(d)
    if unmapped:
        out += ["", "### Not mapped", "", _table(["SQL", "why", "where"], [[_code(s), r, w] for s, r, w in unmapped])]
    if d.history:
        rows = [
            [decision, f"`{sha}`", author, day, subject, tickets, f"**{flags}**" if flags else ""]
            for decision, sha, author, day, subject, tickets, flags in history_rows(d.history)
        ]
        out += [
            "",
            "### History",
            "",
            _table(["decision", "commit", "author", "date", "message", "tickets", "flags"], rows),
            "",
            f"_{_inline(INACTIVE_NOTE)}_",
        ]
    out += ["", "### Usage", "", _inline(usage_long(d.usage))]
    return out


def _bridge(bridge: Bridge) -> str:
    rows = []
    sampled = any(r.error for r in bridge_rows(bridge))
    for r in bridge_rows(bridge):
        error = [r.error] if sampled else []
        if r.impact_cents is None:
            bold_error = [""] if sampled else []
            rows.append([f"**{r.step}**", f"**{r.impact}**" if r.impact else "", *bold_error, f"**{r.value_after}**"])
        else:
            rows.append([r.step, r.impact, *error, r.value_after])
    headers = ["step", price_header(bridge), *(["error (95 %)"] if sampled else []), "running total"]
    return _table(headers, rows, align=["l", "r", *(["r"] if sampled else []), "r"])


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: Sequence[str] | None = None) -> str:
    align = align or ["l"] * len(headers)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """A table cell: pipes escaped (GitHub honours `\\|` even inside code), line breaks as <br>."""
    return text.replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def _inline(text: str) -> str:
    return text.replace("\n", " ")


def _code(text: str) -> str:
    """Inline code that survives backticks inside (Markdown's longer-fence rule)."""
    if text in ("—", "all values"):
        return text
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
