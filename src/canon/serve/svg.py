"""Geometry of the catalog's charts, drawn as inline SVG by the templates (`_charts.html.j2`).

No script and no network: the page stays readable offline and without JavaScript. Every
figure comes in as integer cents (or a count) and is placed with integer arithmetic; the text
on a chart is formatted from the same integers the table beside it shows. Each chart is an
`<svg role="img">` with a label saying what it shows, so a screen reader announces it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from canon.present.money import format_cents, format_signed_cents


def _scale(lo: int, hi: int, size: int) -> Callable[[int], int]:
    span = max(hi - lo, 1)
    return lambda v: (v - lo) * size // span


@dataclass(frozen=True)
class Point:
    label: str  # the period, as people write it (2026-10)
    value: int | None  # cents or a count; None: no value that period


@dataclass(frozen=True)
class Dot:
    x: int
    y: int
    text: str  # "2026-10: $1,260,000.00"


@dataclass
class Trend:
    width: int
    height: int
    path: str
    dots: list[Dot]
    zero_y: int
    top_text: str
    first_label: str
    last_text: str
    description: str


def trend(points: Sequence[Point], fmt: Callable[[int], str], width: int = 560, height: int = 150) -> Trend | None:
    """A line with a dot per period (None: no period has a value)."""
    known = [p for p in points if p.value is not None]
    if not known:
        return None
    left, right, top, bottom = 8, 8, 22, 26
    inner_w, inner_h = width - left - right, height - top - bottom
    values = [p.value for p in known if p.value is not None]
    lo, hi = min(0, *values), max(values)
    y = _scale(lo, hi, inner_h)
    step = inner_w // max(len(points) - 1, 1)
    dots: list[Dot] = []
    for i, p in enumerate(points):
        if p.value is not None:
            dots.append(Dot(left + i * step, top + inner_h - y(p.value), f"{p.label}: {fmt(p.value)}"))
    path = " ".join(f"{'M' if i == 0 else 'L'}{d.x},{d.y}" for i, d in enumerate(dots))
    first, last = known[0], known[-1]
    assert first.value is not None and last.value is not None
    description = (
        f"{len(known)} periods from {first.label} ({fmt(first.value)}) to {last.label} ({fmt(last.value)}), "
        f"highest {fmt(hi)}."
    )
    return Trend(
        width,
        height,
        path,
        dots,
        top + inner_h - y(0),
        fmt(hi),
        first.label,
        f"{last.label} · {fmt(last.value)}",
        description,
    )


@dataclass(frozen=True)
class Step:
    label: str
    cents: int


@dataclass(frozen=True)
class Bar:
    y: int
    x: int
    width: int
    kind: str  # "total", "up" or "down"
    label: str  # in full (the tooltip and the table)
    short: str  # as drawn: at most 46 characters
    text: str  # the amount, formatted


@dataclass
class Waterfall:
    width: int
    height: int
    label_width: int
    bar_height: int
    origin_x: int
    bars: list[Bar] = field(default_factory=list)
    description: str = ""


def waterfall(start_label: str, start: int, steps: Sequence[Step], end_label: str, width: int = 900) -> Waterfall:
    """A horizontal waterfall: a bar per step from the running total, labels on the left,
    amounts on the right; the first and last bars are totals."""
    running = [start]
    for s in steps:
        running.append(running[-1] + s.cents)
    end = running[-1]
    label_w, amount_w, bar_h, gap, top = 340, 130, 22, 12, 8
    plot_w = width - label_w - amount_w - 16
    lo, hi = min(0, *running), max(0, *running)
    x = _scale(lo, hi, plot_w)
    rows: list[tuple[str, int, int, str, str]] = [(start_label, 0, start, "total", format_cents(start))]
    before = start
    for i, s in enumerate(steps, start=1):  # numbered as the table beside the chart numbers them
        kind = "up" if s.cents >= 0 else "down"
        rows.append((f"{i}. {s.label}", before, before + s.cents, kind, format_signed_cents(s.cents)))
        before += s.cents
    rows.append((end_label, 0, end, "total", format_cents(end)))
    bars = []
    for i, (label, a, b, kind, text) in enumerate(rows):
        x0, x1 = label_w + x(min(a, b)), label_w + x(max(a, b))
        short = label if len(label) <= 46 else label[:45] + "…"
        bars.append(Bar(top + i * (bar_h + gap), x0, max(x1 - x0, 1), kind, label, short, text))
    return Waterfall(
        width,
        top + len(rows) * (bar_h + gap) + 4,
        label_w,
        bar_h,
        label_w + x(0),
        bars,
        f"From {format_cents(start)} to {format_cents(end)} in {len(steps)} step{'s' if len(steps) != 1 else ''}.",
    )
