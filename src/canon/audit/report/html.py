"""The audit as ONE self-contained HTML page: opens offline, from an attachment or a laptop.

Rendered from Jinja2 templates (`templates/*.j2`, package data) with every value escaped. No
script and no network: each bridge is drawn as inline SVG from the same rows as the terminal
(`common.bridge_rows`), a horizontal waterfall whose labels wrap in their own column, with the
definition's decision points in a table beside it. Bar positions are the only numbers computed
for the chart; every figure printed is formatted from integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from canon.audit.report.common import (
    GAP_HEADER,
    INACTIVE_NOTE,
    NOT_COMPARABLE,
    RED_FLAGS,
    SIGN_NOTE,
    bridge_rows,
    canonical_summary,
    decision_rows,
    definition_rows,
    failed_lines,
    history_rows,
    method_text,
    model_marks,
    price_sign,
    unmapped_rows,
    usage_long,
)
from canon.audit.result import AuditResult, Bridge, Definition
from canon.fsutil import atomic_write_text

if TYPE_CHECKING:
    from jinja2 import Environment

SCALE = 1000  # the SVG's own width units; the bar track stretches to the column


@dataclass(frozen=True)
class Bar:
    """One waterfall row: its label, printed figures and where its bar sits on the track (0–1000)."""

    label: str
    price: str
    running: str
    error: str
    x: float
    width: float
    kind: str  # "total", "up", "down", "zero"


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    sign: str  # what the prices are: "definition − canonical"
    bars: list[Bar]
    axis_note: str
    method: str
    sampled: bool


def waterfall(bridge: Bridge, chart_id: str) -> Chart:
    """The bars of one bridge: start total, one bar per decision point, end total.

    The axis is zoomed on the running totals (a bridge is about the differences); the totals'
    bars start at the left edge and the note under the chart says where the axis starts.
    """
    from canon.present.money import format_cents

    rows = bridge_rows(bridge)
    running = [bridge.start_cents, *[s.value_after_cents for s in bridge.steps], bridge.end_cents]
    lo, hi = min(running), max(running)
    span = hi - lo
    pad = max(span // 10, 100)
    lo_axis = max(0, lo - pad) if lo >= 0 else lo - pad
    hi_axis = hi + pad
    width = hi_axis - lo_axis or 1

    def at(cents: int) -> float:
        return round(SCALE * (cents - lo_axis) / width, 1)

    bars: list[Bar] = []
    before = bridge.start_cents
    for i, r in enumerate(rows):
        if r.impact_cents is None:  # the start and end totals
            value = bridge.start_cents if i == 0 else bridge.end_cents
            bars.append(Bar(r.step, r.impact, r.value_after, r.error, 0.0, max(at(value), 1.0), "total"))
            continue
        after = before + r.impact_cents
        left, right = sorted((at(before), at(after)))
        kind = "zero" if r.impact_cents == 0 else "up" if r.impact_cents > 0 else "down"
        bars.append(Bar(r.step, r.impact, r.value_after, r.error, left, max(right - left, 2.0), kind))
        before = after
    return Chart(
        chart_id,
        f"{bridge.start_label} → {bridge.end_label}",
        price_sign(bridge),
        bars,
        f"The axis starts at {format_cents(lo_axis)}: bars show the differences, the totals are printed.",
        method_text(bridge),
        any(b.error for b in bars),
    )


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("canon.audit.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(result: AuditResult) -> str:
    """The page, from `templates/audit.html.j2`."""
    template = _environment().get_template("audit.html.j2")
    return template.render(**page_context(result))


def write_html(result: AuditResult, path: Path) -> Path:
    """Write the page atomically (readers never see half a report); returns the path."""
    atomic_write_text(path, render_html(result))
    return path


def page_context(result: AuditResult) -> dict[str, Any]:
    """Everything the template shows, as plain strings and rows (no logic left for the template)."""
    definitions = [
        {
            "model": d.model,
            "marks": marks,
            "figure": fig,
            "gap": diff,
            "reproduced": rep,
            "reproduced_class": "ok" if rep == "✓" else "note" if rep.startswith(NOT_COMPARABLE) else "bad",
            "usage": use,
        }
        for d, (marks, fig, diff, rep, use) in zip(result.definitions, definition_rows(result), strict=True)
    ]
    pair = None
    if result.pair_bridge is not None:
        pair = waterfall(result.pair_bridge, "waterfall-pair")
    return {
        "title": f"{result.label} audit — {result.period.label}",
        "headline": result.headline(),
        "notes": list(result.notes),
        "summary": canonical_summary(result),
        "gap_header": GAP_HEADER,
        "sign_note": SIGN_NOTE,
        "definitions": definitions,
        "sections": [_section(result, d, i) for i, d in enumerate(result.definitions)],
        "pair": pair,
        "failed": failed_lines(result),
        "skipped": list(result.skipped),
        "css": _css(),
    }


def _section(result: AuditResult, d: Definition, index: int) -> dict[str, Any]:
    decisions = [
        {
            "decision": r.decision,
            "this": r.this,
            "canonical": r.canonical,
            "mark": "" if r.same is None else ("=" if r.same else "≠"),
            "mark_class": "" if r.same is None else ("same" if r.same else "diff"),
        }
        for r in decision_rows(d.vector, result.canonical_vector, d.row_notes)
    ]
    history = [
        {
            "decision": decision,
            "sha": sha,
            "author": author,
            "date": day,
            "message": subject,
            "tickets": tickets,
            "flags": flags,
            "flag_class": "bad" if any(f in flags for f in RED_FLAGS) else "",
        }
        for decision, sha, author, day, subject, tickets, flags in history_rows(d.history)
    ]
    return {
        "id": f"def-{index}",
        "model": d.model,
        "marks": model_marks(d),
        "path": d.path,
        "chart": waterfall(d.bridge, f"waterfall-{index}") if d.bridge is not None else None,
        "decisions": decisions,
        "unmapped": unmapped_rows(d),
        "history": history,
        "inactive_note": INACTIVE_NOTE,
        "usage": usage_long(d.usage),
    }


@cache
def _css() -> str:
    from importlib import resources

    return (resources.files("canon.audit.report") / "templates" / "audit.css").read_text(encoding="utf-8")
