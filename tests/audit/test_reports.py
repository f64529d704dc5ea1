"""Reports rendered from a hand-built AuditResult: golden Markdown, offline HTML, terminal text."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from canon.audit.report import render_html, render_markdown, render_text, write_html
from canon.audit.report.html import waterfall_figure
from canon.audit.result import Unmapped
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


def test_html_is_offline_and_has_a_waterfall_per_definition(tmp_path: Path) -> None:
    result = acme_like_result()
    path = write_html(result, tmp_path / "out" / "audit.html")
    page = path.read_text()
    assert page == render_html(result)
    assert not list(tmp_path.joinpath("out").glob(".*.tmp"))  # atomic write left nothing behind
    # no network: no script/link/img pointing anywhere
    refs = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?([^\"' >]+)", page, flags=re.I)
    assert refs == []
    assert "cdn.plot.ly" not in re.sub(r"<script type=\"text/javascript\">.*?</script>", "", page, flags=re.S)
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js is inside the page
    assert page.count('"type":"waterfall"') == 3
    for i, d in enumerate(result.definitions):
        assert f'id="waterfall-{i}"' in page
        assert d.bridge is not None
        fig = waterfall_figure(d.bridge)["data"][0]
        assert fig["measure"][0] == "absolute" and fig["measure"][-1] == "total"
        assert fig["y"][0] == d.value_cents / 100
        assert json.dumps(fig["y"], separators=(",", ":")) in page
    assert "MRR is defined 3 ways across 3 models" in page
    assert "no ticket, author inactive" in page and 'class="bad"' in page
    assert "Only paid invoices, per Mike&#x27;s request" in page


def test_html_escapes_sql() -> None:
    result = acme_like_result()
    result.definitions[0].unmapped.append(Unmapped("x < 1 and y = '<script>'", "odd", None, []))
    page = render_html(result)
    assert "&lt;script&gt;" in page and "y = '<script>'" not in page


def test_terminal_shows_headline_tables_and_red_flags() -> None:
    result = acme_like_result()
    result.timings = {"discover": 0.5, "bridge": 1.25}
    text = render_text(result, width=200, timings=True)
    assert "MRR is defined 3 ways across 3 models; the largest gap is $160k (what is measured)" in text
    assert "fct_revenue_monthly" in text and "$1,205,123.45" in text and "✗ residual +$0.10" in text
    assert "no ticket, author inactive" in text and "Mike's request" in text
    assert "Interaction: +$2,000.00" in text
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
    assert "No canonical definition yet" in text and "vs canonical" in text
    assert render_text(result) and "<html" in render_html(result)
