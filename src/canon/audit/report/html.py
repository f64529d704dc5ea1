"""The audit as ONE self-contained HTML page: opens offline, from an attachment or a laptop.

plotly.js is written into the page once (no CDN, no network at all); each definition gets a
plotly waterfall from its own figure to the canonical one, one bar per flipped decision.
Bar heights are dollars for the chart only; every figure printed is exact, from cents.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from canon.audit.report.common import (
    INACTIVE_NOTE,
    NOT_COMPARABLE,
    RED_FLAGS,
    bridge_rows,
    canonical_summary,
    decision_rows,
    definition_rows,
    failed_lines,
    history_rows,
    interaction_text,
    model_marks,
    unmapped_rows,
    usage_long,
)
from canon.audit.result import AuditResult, Bridge, Definition
from canon.fsutil import atomic_write_text
from canon.present.money import format_cents, format_signed_cents

CSS = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;margin:2rem auto;
max-width:1200px;color:#1f2328;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}.headline{font-size:1.2rem;font-weight:600;background:#f6f8fa;
border-left:4px solid #0969da;padding:.6rem 1rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;vertical-align:top;text-align:left}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;background:#f6f8fa;padding:0 .2em}
.diff{color:#9a6700;font-weight:600}.same{color:#1a7f37}.bad{color:#cf222e;font-weight:600}
.ok{color:#1a7f37;font-weight:600}.note{color:#57606a;font-size:.85rem}
section.def{border-top:1px solid #d0d7de;margin-top:2rem;padding-top:.5rem}
tr.total td{font-weight:600;background:#f6f8fa}
"""


def render_html(result: AuditResult) -> str:
    title = f"{result.label} audit — {result.period.label}"
    body: list[str] = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="headline">{_e(result.headline())}</p>',
        *[f'<p class="note">{_e(note)}</p>' for note in result.notes],
        f"<p>{_e(canonical_summary(result))}</p>",
        "<h2>Definitions</h2>",
        _table(
            ["model", "figure", "vs canonical", "reproduced", "usage"],
            [
                [f"<code>{_e(d.model)}</code>{_e(marks)}", _num(fig), _num(diff), _repro(rep), _e(use)]
                for d, (marks, fig, diff, rep, use) in zip(result.definitions, definition_rows(result), strict=True)
            ],
        ),
    ]
    for i, d in enumerate(result.definitions):
        body.append(_definition(result, d, i))
    if result.pair_bridge is not None:
        b = result.pair_bridge
        body += [
            f"<h2>Bridge {_e(b.start_label)} → {_e(b.end_label)}</h2>",
            _waterfall(b, "waterfall-pair"),
            _bridge_table(b),
            f'<p class="note">{_e(interaction_text(b))}</p>',
        ]
    if result.failed:
        failed = "".join(f"<li>{_e(line)}</li>" for line in failed_lines(result))
        body.append(f"<h2>Not read ({len(result.failed)} models)</h2><ul>{failed}</ul>")
    if result.skipped:
        items = "".join(f"<li><code>{_e(m)}</code>: {_e(why)}</li>" for m, why in result.skipped)
        body.append(
            f"<details><summary>Not definitions ({len(result.skipped)} models)</summary><ul>{items}</ul></details>"
        )
    return _page(title, "\n".join(body))


def write_html(result: AuditResult, path: Path) -> Path:
    """Write the page atomically (readers never see half a report); returns the path."""
    atomic_write_text(path, render_html(result))
    return path


def _page(title: str, body: str) -> str:
    from plotly.offline import get_plotlyjs

    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
        f"</head><body>\n{body}\n</body></html>\n"
    )


def _definition(result: AuditResult, d: Definition, index: int) -> str:
    out = [f'<section class="def" id="def-{index}">', f"<h2><code>{_e(d.model)}</code>{_e(model_marks(d))}</h2>"]
    out.append(f'<p class="note">File: <code>{_e(d.path)}</code></p>')
    if d.bridge is not None:
        out.append(_waterfall(d.bridge, f"waterfall-{index}"))
    rows = []
    for r in decision_rows(d.vector, result.canonical_vector, d.row_notes):
        mark = "" if r.same is None else ('<span class="same">=</span>' if r.same else '<span class="diff">≠</span>')
        rows.append([_e(r.decision), f"<code>{_e(r.this)}</code>", f"<code>{_e(r.canonical)}</code>", mark])
    out += ["<h3>Decision points</h3>", _table(["decision", _e(d.model), "canonical", ""], rows)]
    if d.bridge is not None:
        out += [
            "<h3>Bridge to canonical</h3>",
            _bridge_table(d.bridge),
            f'<p class="note">{_e(interaction_text(d.bridge))}</p>',
        ]
    unmapped = unmapped_rows(d)
    if unmapped:
        out += [
            "<h3>Not mapped</h3>",
            _table(["SQL", "why", "where"], [[f"<code>{_e(s)}</code>", _e(r), _e(w)] for s, r, w in unmapped]),
        ]
    if d.history:
        hist = []
        for decision, sha, author, day, subject, tickets, flags in history_rows(d.history):
            cls = "bad" if any(f in flags for f in RED_FLAGS) else ""
            hist.append(
                [
                    _e(decision),
                    f"<code>{_e(sha)}</code>",
                    _e(author),
                    _e(day),
                    _e(subject),
                    _e(tickets),
                    f'<span class="{cls}">{_e(flags)}</span>',
                ]
            )
        out += [
            "<h3>History</h3>",
            _table(["decision", "commit", "author", "date", "message", "tickets", "flags"], hist),
            f'<p class="note">{_e(INACTIVE_NOTE)}</p>',
        ]
    out += ["<h3>Usage</h3>", f"<p>{_e(usage_long(d.usage))}</p>", "</section>"]
    return "\n".join(out)


def _bridge_table(bridge: Bridge) -> str:
    rows = []
    for r in bridge_rows(bridge):
        rows.append([_e(r.step), _num(r.impact), _num(r.isolated), _num(r.value_after)])
    totals = {0, len(rows) - 1}
    return _table(["step", "impact", "isolated", "value after"], rows, total_rows=totals)


def waterfall_figure(bridge: Bridge) -> dict[str, Any]:
    """The plotly figure (as a dict) for one bridge: start total, one bar per step, end total."""
    labels = [bridge.start_label, *[s.label for s in bridge.steps], bridge.end_label]
    measures = ["absolute", *["relative"] * len(bridge.steps), "total"]
    cents = [bridge.start_cents, *[s.impact_cents for s in bridge.steps], bridge.end_cents]
    text = [format_cents(bridge.start_cents), *[format_signed_cents(s.impact_cents) for s in bridge.steps]]
    text.append(format_cents(bridge.end_cents))
    running = [bridge.start_cents, *[s.value_after_cents for s in bridge.steps], bridge.end_cents]
    lo, hi = min(running), max(running)
    yaxis: dict[str, Any] = {"tickprefix": "$", "separatethousands": True}
    if hi > lo and lo > 0:  # zoom on the steps: a bridge is about the differences, not the totals
        pad = (hi - lo) / 100
        yaxis["range"] = [max(0.0, float(lo / 100 - 1.5 * pad)), float(hi / 100 + 0.6 * pad)]
    return {
        "data": [
            {
                "type": "waterfall",
                "orientation": "v",
                "x": labels,
                "measure": measures,
                "y": [float(Decimal(c) / 100) for c in cents],
                "text": text,
                "textposition": "outside",
                "connector": {"line": {"color": "#8c959f"}},
                "increasing": {"marker": {"color": "#1a7f37"}},
                "decreasing": {"marker": {"color": "#cf222e"}},
                "totals": {"marker": {"color": "#0969da"}},
                "hovertemplate": "%{x}<br>%{text}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": f"{bridge.start_label} → {bridge.end_label}"},
            "showlegend": False,
            "yaxis": yaxis,
            "margin": {"t": 60, "b": 120},
            "height": 460,
            "template": "simple_white",
        },
    }


def _waterfall(bridge: Bridge, div_id: str) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(waterfall_figure(bridge))
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], total_rows: set[int] | None = None) -> str:
    """Cells are already-escaped HTML."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = ' class="total"' if total_rows and i in total_rows else ""
        body.append(f"<tr{cls}>" + "".join(_td(c) for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _td(cell: str) -> str:
    if cell.startswith("\x00num"):
        return f'<td class="num">{cell[4:]}</td>'
    return f"<td>{cell}</td>"


def _num(text: str) -> str:
    return "\x00num" + _e(text)


def _repro(text: str) -> str:
    kind = "ok" if text == "✓" else "note" if text.startswith(NOT_COMPARABLE) else "bad"
    return f'<span class="{kind}">{_e(text)}</span>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)
