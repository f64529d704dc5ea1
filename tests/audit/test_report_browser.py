"""The HTML audit report in real headless Chromium at 1400 px: every waterfall's plot area is at
least 200 px high, every bar lies on its track, no text overflows its box, the page scrolls no
wider than the window, and nothing is fetched from anywhere (the page is one offline file).

Screenshots of each chart are written beside the page (kept by pytest's tmp_path for a look).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from canon.audit.report import write_html
from canon.audit.result import AuditResult
from tests.audit.factories import acme_like_result
from tests.serve.test_page_browser import ARGS, CHROMIUM

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

# every box that holds text: its content must fit (a cell that wraps is fine, one that spills is not)
OVERFLOW_JS = """
() => {
  const bad = [];
  for (const el of document.querySelectorAll('td, th, p, h1, h2, h3, figcaption, li, summary, figure, .side > div')) {
    if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
      bad.push(el.tagName + ': ' + el.textContent.trim().slice(0, 80) + ' ' + el.scrollWidth + '/' + el.clientWidth);
    }
  }
  return bad;
}
"""

BARS_JS = """
(figure) => Array.from(figure.querySelectorAll('td.track')).map(td => {
  const track = td.querySelector('svg').getBoundingClientRect();
  const bar = td.querySelector('rect').getBoundingClientRect();
  return {left: bar.left - track.left, right: track.right - bar.right, width: bar.width, height: bar.height,
          track: track.width};
})
"""


def long_labels(result: AuditResult) -> AuditResult:
    """The fixture with one step's label as long as a merged basis-and-measure step gets."""
    d = result.definitions[1]
    assert d.bridge is not None
    step = d.bridge.steps[0]
    step.label = (
        "sums contract annual value ÷ 12 while the contract is active (contract start date to contract end "
        "date), not invoice amount by invoice date"
    )
    return result


@pytest.mark.parametrize("width", [1400, 1000])
def test_report_charts_are_readable_in_chromium(tmp_path: Path, width: int) -> None:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.fail("Chromium is not installed: run `apt-get install -y chromium` (CI installs it in .ci/run)")
    from playwright.sync_api import sync_playwright

    result = long_labels(acme_like_result())
    path = write_html(result, tmp_path / "audit.html")
    assert path.stat().st_size < 1_000_000
    fetched: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("request", lambda req: fetched.append(req.url) if req.url != path.as_uri() else None)
            page.goto(path.as_uri())
            charts = page.locator("figure.chart")
            assert charts.count() == sum(1 for d in result.definitions if d.bridge is not None) == 3
            for i in range(charts.count()):
                chart = charts.nth(i)
                plot = chart.locator("table.plot")
                box = plot.bounding_box()
                assert box is not None and box["height"] >= 200, (i, box)
                shot = chart.screenshot(path=str(tmp_path / f"chart-{width}-{i}.png"))
                assert len(shot) > 1_000
                bars: list[dict[str, Any]] = chart.evaluate(BARS_JS)
                assert len(bars) == plot.locator("tbody tr").count()
                for bar in bars:
                    assert bar["track"] >= 100, bar  # the bar track keeps a readable width
                    assert bar["left"] >= -0.5 and bar["right"] >= -0.5 and bar["width"] >= 1, bar
                    assert bar["height"] >= 10, bar
                # a decision-point table stands beside the chart at 1400 px (under it on a narrow window)
                side = chart.locator("xpath=..").locator("table.decisions")
                assert side.count() == 1
                side_box, box = side.bounding_box(), plot.bounding_box()  # both after the screenshot's scroll
                assert side_box is not None and box is not None
                if width >= 1400:
                    assert side_box["x"] >= box["x"] + box["width"] - 1
                else:
                    assert side_box["y"] >= box["y"] + box["height"] - 1, (i, side_box, box)
                # the printed prices are the bridge's, from cents
                d = result.definitions[i]
                assert d.bridge is not None
                texts = plot.locator("tbody td.num").all_inner_texts()
                for step in d.bridge.steps:
                    sign = "+" if step.impact_cents > 0 else "-" if step.impact_cents < 0 else ""
                    a = abs(step.impact_cents)
                    assert f"{sign}${a // 100:,}.{a % 100:02d}" in texts
            overflowing = page.evaluate(OVERFLOW_JS)
            assert overflowing == []
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            page.screenshot(path=str(tmp_path / f"page-{width}.png"), full_page=True)
        finally:
            browser.close()
    assert fetched == []
