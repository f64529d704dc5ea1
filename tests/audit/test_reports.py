"""Reports rendered from a hand-built AuditResult: golden Markdown, offline HTML, terminal text."""

from __future__ import annotations

import os
import re
from pathlib import Path

from canon.audit.report import render_html, render_markdown, render_text, write_html
from canon.audit.report.html import waterfall
from canon.audit.result import Unmapped
from canon.present.money import format_cents, format_signed_cents
from tests.audit.factories import acme_like_result

GOLDEN = Path(__file__).parent / "golden" / "report.md"


def test_bridges_in_the_fixture_add_up() -> None:
    # A property of the data the reports show: each bridge's steps sum to end − start.
    for d in acme_like_result().definitions:
        assert d.bridge is not None
        assert sum(s.impact_cents for s in d.bridge.steps) == d.bridge.end_cents - d.bridge.start_cents
        assert d.bridge.steps[-1].value_after_cents == d.bridge.end_cents


def test_markdown_matches_golden_file() -> None:
    text = render_markdown(acme_like_result())
    if os.environ.get("CANON_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "run with CANON_UPDATE_GOLDEN=1 to accept a deliberate change"
    assert render_markdown(acme_like_result()) == text  # stable


def test_markdown_content() -> None:
    result = acme_like_result()
    result.definitions[1].unmapped.append(Unmapped("a || b = 'x|y'", "string concatenation", None, []))
    text = render_markdown(result)
    assert text.startswith("# MRR audit — 2026-10\n\n**MRR is defined 3 ways across 3 models; the largest gap is $160k")
    assert "| `fct_revenue_monthly` | $1,205,123.45 | -$54,876.55 | ✓ | 847/mo, last 2026-10-30 |" in text
    assert "| `fct_arr_by_account` | $1,410,200.00 | +$150,200.00 | ✗ residual +$0.10 |" in text
    assert "**no ticket, author inactive**" in text
    assert "| `a \\|\\| b = 'x\\|y'` | string concatenation | fct_arr_by_account |" in text  # pipes escaped
    # every table row has as many cells as its header
    for block in re.findall(r"(?:^\|.*\|\n)+", text, flags=re.M):
        rows = [re.split(r"(?<!\\)\|", line)[1:-1] for line in block.strip().split("\n")]
        assert len({len(r) for r in rows}) == 1, block


def test_html_is_offline_small_and_has_a_waterfall_per_definition(tmp_path: Path) -> None:
    result = acme_like_result()
    path = write_html(result, tmp_path / "out" / "audit.html")
    page = path.read_text()
    assert page == render_html(result)
    assert not list(tmp_path.joinpath("out").glob(".*.tmp"))  # atomic write left nothing behind
    # no network and no script at all: no script/link/img pointing anywhere
    refs = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?([^\"' >]+)", page, flags=re.I)
    assert refs == [] and "<script" not in page
    assert len(page.encode()) < 1_000_000
    for i, d in enumerate(result.definitions):
        assert d.bridge is not None
        chart = re.search(rf'<figure class="chart" id="waterfall-{i}">(.*?)</figure>', page, flags=re.S)
        assert chart is not None
        body = chart.group(1)
        # one bar per row: start, each step, end; every printed price is the step's own, from cents
        assert body.count("<rect ") == len(d.bridge.steps) + 2
        for step in d.bridge.steps:
            assert format_signed_cents(step.impact_cents) in body
        assert format_cents(d.bridge.start_cents) in body and format_cents(d.bridge.end_cents) in body
        # the chart's bars lie on the track, in order of the running total
        xs = [float(x) for x in re.findall(r'<rect class="(?:up|down|zero)" x="([0-9.]+)"', body)]
        assert all(0 <= x <= 1000 for x in xs)
    assert "MRR is defined 3 ways across 3 models" in page
    assert "no ticket, author inactive" in page and 'class="bad"' in page
    assert "Only paid invoices, per Mike&#39;s request" in page
    assert "definition − canonical" in page


def test_waterfall_bars_follow_the_running_total() -> None:
    bridge = acme_like_result().definitions[1].bridge
    assert bridge is not None
    chart = waterfall(bridge, "w")
    steps = chart.bars[1:-1]
    for bar, step in zip(steps, bridge.steps, strict=True):
        assert bar.kind == ("up" if step.impact_cents > 0 else "down" if step.impact_cents < 0 else "zero")
    # consecutive step bars touch: one ends where the next begins (a waterfall)
    ends = [(b.x, round(b.x + b.width, 1)) for b in steps]
    for (a0, a1), (b0, b1), step in zip(ends, ends[1:], bridge.steps[1:], strict=False):
        joint = a1 if bridge.steps[0].impact_cents > 0 else a0
        assert joint in (b0, b1) or abs(joint - b0) < 0.2 or abs(joint - b1) < 0.2 or step.decision == "residual"


def test_html_escapes_sql() -> None:
    result = acme_like_result()
    result.definitions[0].unmapped.append(Unmapped("x < 1 and y = '<script>'", "odd", None, []))
    page = render_html(result)
    assert "&lt;script&gt;" in page and "y = '<script>'" not in page


def test_terminal_shows_headline_tables_and_red_flags() -> None:
    result = acme_like_result()
    result.timings = {"discover": 0.5, "bridge": 1.25}
    text = render_text(result, width=200, timings=True)
    assert "MRR is defined 3 ways across 3 models; the largest gap is $160k (what is summed)" in text
    assert "fct_revenue_monthly" in text and "$1,205,123.45" in text and "✗ residual +$0.10" in text
    assert "no ticket, author inactive" in text and "Mike's request" in text
    assert "Interaction" not in text and "Shapley value over 2 decision points" in text
    assert "coalesce(discount, 0) > 0.5" in text
    assert "bridge" in text and "1.25" in text
    colored = render_text(result, width=200, color=True)
    assert re.search(r"\x1b\[[0-9;]*31m[^\x1b]*no ticket, author inactive", colored)  # red


def test_terminal_does_not_read_sql_as_markup() -> None:
    result = acme_like_result()
    result.definitions[0].unmapped.append(Unmapped("arr[1] > [bold]x[/bold]", "array index", None, []))
    assert "arr[1] > [bold]x[/bold]" in render_text(result, width=200)


def test_without_canonical() -> None:
    result = acme_like_result()
    result.canonical_vector = None
    result.canonical_cents = None
    for d in result.definitions:
        d.bridge = None
    text = render_markdown(result)
    assert "No canonical definition yet" in text and "gap (definition − canonical)" in text
    assert render_text(result) and "<html" in render_html(result)
