"""The audit in a terminal: headline, definitions, then per definition its decisions beside the
canonical ones, the bridge as a waterfall table, what was not mapped, history and usage.

Every dynamic string goes through `Text` so SQL with brackets is never read as Rich markup.
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from canon.audit.report.common import (
    GAP_CAPTION,
    INACTIVE_NOTE,
    RED_FLAGS,
    bridge_rows,
    canonical_summary,
    decision_rows,
    definition_rows,
    failed_lines,
    history_rows,
    method_text,
    model_title,
    price_sign,
    unmapped_rows,
    usage_long,
)
from canon.audit.result import AuditResult, Bridge, Definition

BAR_WIDTH = 16
SKIPPED_SHOWN = 15


def print_report(result: AuditResult, console: Console | None = None, *, timings: bool = False) -> None:
    console = console or Console()
    for part in renderables(result, timings=timings):
        console.print(part)


def render_text(result: AuditResult, width: int = 120, *, timings: bool = False, color: bool = False) -> str:
    """The terminal report as text (ANSI colours when `color`), for tests and logs."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, color_system="standard" if color else None)
    print_report(result, console, timings=timings)
    return buf.getvalue()


def renderables(result: AuditResult, *, timings: bool = False) -> list[RenderableType]:
    parts: list[RenderableType] = [
        Panel(Text(result.headline(), style="bold"), title=f"{result.label} audit · {result.period.label}"),
        *[Text(note, style="yellow") for note in result.notes],
        Text(canonical_summary(result)),
        _definitions(result),
    ]
    for d in result.definitions:
        parts.append(_definition(result, d))
    if result.pair_bridge is not None:
        parts.append(Text(f"\nBridge {result.pair_bridge.start_label} → {result.pair_bridge.end_label}", style="bold"))
        parts.append(_bridge(result.pair_bridge))
        parts.append(Text(method_text(result.pair_bridge), style="dim"))
    if result.failed:
        lines = [f"\nNot read ({len(result.failed)} models):", *[f"  {line}" for line in failed_lines(result)]]
        parts.append(Text("\n".join(lines), style="red"))
    if result.skipped:
        parts.append(_skipped(result))
    if timings and result.timings:
        t = Table(title="Timings", title_justify="left")
        t.add_column("stage")
        t.add_column("seconds", justify="right")
        for stage, secs in result.timings.items():
            t.add_row(Text(stage), f"{secs:.2f}")
        parts.append(t)
    return parts


def _definitions(result: AuditResult) -> Table:
    t = Table(title="Definitions", title_justify="left", caption=f"{GAP_CAPTION}", caption_justify="left")
    t.add_column("model", overflow="fold", min_width=12)
    _money_column(t, "figure", [f for _, f, _, _, _ in definition_rows(result)])
    _money_column(t, "gap", [g for _, _, g, _, _ in definition_rows(result)])
    t.add_column("reproduced", overflow="fold", min_width=10)
    t.add_column("usage", overflow="fold")
    for d, (marks, figure, diff, repro, usage) in zip(result.definitions, definition_rows(result), strict=True):
        t.add_row(
            Text(d.model, style="bold") + Text(marks),
            Text(figure),
            Text(diff),
            Text(repro, style="green" if repro == "✓" else "yellow" if not d.comparable else "red"),
            Text(usage),
        )
    return t


def _money_column(t: Table, header: str, cells: list[str]) -> None:
    """Money is never cut: the column is as wide as its widest figure and never wraps."""
    widest = max((len(c) for c in cells), default=0)
    t.add_column(header, justify="right", no_wrap=True, min_width=widest, overflow="fold")


def _definition(result: AuditResult, d: Definition) -> Group:
    items: list[RenderableType] = [Text(f"\n{model_title(d)} — {d.path}", style="bold underline")]
    if d.alternates:
        items.append(Text("other money outputs: " + ", ".join(d.alternates), style="dim"))

    dec = Table(title="Decision points", title_justify="left")
    dec.add_column("decision", overflow="fold")
    dec.add_column(d.model, overflow="fold")
    dec.add_column("canonical", overflow="fold")
    dec.add_column("", no_wrap=True)
    for row in decision_rows(d.vector, result.canonical_vector, d.row_notes):
        mark, style = ("", "") if row.same is None else (("=", "green") if row.same else ("≠", "yellow"))
        dec.add_row(Text(row.decision), Text(row.this), Text(row.canonical), Text(mark, style=style))
    items.append(dec)

    if d.bridge is not None:
        items.append(Text(f"Bridge from canonical to {d.model}", style="bold"))
        items.append(_bridge(d.bridge))
        items.append(Text(method_text(d.bridge), style="dim"))

    unmapped = unmapped_rows(d)
    if unmapped:
        um = Table(title="Not mapped", title_justify="left")
        um.add_column("SQL", overflow="fold")
        um.add_column("why", overflow="fold")
        um.add_column("where", overflow="fold")
        for sql, reason, where in unmapped:
            um.add_row(Text(sql), Text(reason), Text(where))
        items.append(um)

    if d.history:
        hist = Table(title="History", title_justify="left")
        for col in ("decision", "commit", "author", "date", "message", "tickets", "flags"):
            hist.add_column(col, overflow="fold", no_wrap=col in ("commit", "date"))
        for decision, sha, author, day, subject, tickets, flags in history_rows(d.history):
            hist.add_row(
                Text(decision),
                Text(sha),
                Text(author),
                Text(day),
                Text(subject),
                Text(tickets),
                Text(flags, style="bold red" if any(f in flags for f in RED_FLAGS) else ""),
            )
        items.append(hist)
        items.append(Text(INACTIVE_NOTE, style="dim"))

    items.append(Text("Usage: " + usage_long(d.usage)))
    return Group(*items)


def _bridge(bridge: Bridge) -> Table:
    rows = bridge_rows(bridge)
    largest = max((abs(r.impact_cents) for r in rows if r.impact_cents is not None), default=0)
    sampled = any(r.error for r in rows)
    t = Table(show_edge=False, caption=f"price: {price_sign(bridge)}", caption_justify="left")
    t.add_column("step", overflow="fold", ratio=1, min_width=20)
    _money_column(t, "price", [r.impact for r in rows])
    if sampled:
        _money_column(t, "error (95 %)", [r.error for r in rows])
    _money_column(t, "running total", [r.value_after for r in rows])
    t.add_column("", no_wrap=True, max_width=BAR_WIDTH, overflow="crop")
    for r in rows:
        bar = Text()
        if r.impact_cents and largest:
            n = max(1, round(BAR_WIDTH * abs(r.impact_cents) / largest))
            bar = Text("█" * n, style="green" if r.impact_cents > 0 else "red")
        style = "bold" if r.impact_cents is None else ""
        cells = [Text(r.step, style=style), Text(r.impact)]
        if sampled:
            cells.append(Text(r.error))
        t.add_row(*cells, Text(r.value_after, style=style), bar)
    return t


def _skipped(result: AuditResult) -> Text:
    shown = result.skipped[:SKIPPED_SHOWN]
    lines = [f"\nNot definitions ({len(result.skipped)} models):"]
    lines += [f"  {model}: {why}" for model, why in shown]
    if len(result.skipped) > len(shown):
        lines.append(f"  … and {len(result.skipped) - len(shown)} more")
    return Text("\n".join(lines), style="dim")
