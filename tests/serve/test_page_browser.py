"""The catalog page in real headless Chromium against `canon serve` running as its own process.

Checks what a person sees: the metric list, the board number (MRR for 2026-10, $10,000.00 by
hand from the tiny fixture: invoice I2 is the only paid subscription invoice of an active
recurring contract in October), the trend, live search, the keyboard path (skip link), the
metric page's SQL, lineage and one SVG waterfall per priced definition; axe-core reports no
serious violation on any page (sign-in, catalog, metric, /docs); nothing is fetched from
outside the server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serve.fixture import TOKENS

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(serve_root: Path) -> Iterator[str]:
    port = free_port()
    canon = Path(sys.executable).with_name("canon")
    env = {**os.environ, "CANON_TOKENS": ",".join(f"{c}={t}" for c, t in TOKENS.items())}
    proc = subprocess.Popen(
        [str(canon), "serve", "--project", str(serve_root), "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"canon serve exited with {proc.returncode}:\n{out}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("canon serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _axe_serious(page: Any) -> list[str]:
    """axe-core (vendored in the axe-playwright-python wheel, read from disk: no network) run on
    the page; the serious and critical violations, each with the rule and the first element."""
    from importlib import resources

    source = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
    page.evaluate(source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target'] if v['nodes'] else ''} {v['help']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.slow
@pytest.mark.xdist_group("browser")
def test_catalog_pages_in_chromium(server: str, audit_json: dict[str, Any]) -> None:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.fail("Chromium is not installed: run `apt-get install -y chromium` (CI installs it in .ci/run)")
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # bypass_csp only so the test can inject axe; the pages themselves run under their CSP
            context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
            page = context.new_page()
            page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(server) else None)
            page.goto(f"{server}/")
            assert _axe_serious(page) == []  # the sign-in form
            page.fill("#token", TOKENS["them_os"])
            page.keyboard.press("Enter")
            page.wait_for_selector("#metric-list")
            names = page.locator("#metric-list h2 a").all_inner_texts()
            assert {"MRR", "CASH", "ARR", "PNL_SUMMARY"} <= set(names)
            mrr = page.locator("#metric-mrr")
            assert mrr.locator(".value").inner_text() == "$10,000.00"  # I2 only, by hand
            assert "Sum of raw_invoices.amount" in mrr.locator(".definition").inner_text()
            assert mrr.locator("svg.trend circle").count() >= 2
            assert page.locator("#metric-cash .value").inner_text() == "$16,500.01"  # P2+P3+P5+P7 by hand
            assert _axe_serious(page) == []

            # keyboard: the first Tab reaches the skip link, which moves focus to the content
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Skip to content"
            page.keyboard.press("Enter")
            assert page.evaluate("document.activeElement.id") == "main"
            # live search narrows the cards and says how many, in words
            page.locator("#q").focus()
            page.keyboard.type("collected_by_sql")
            page.wait_for_function("document.getElementById('shown').textContent === 'Showing 1 metric'")
            assert page.locator("#metric-list li.card:visible").count() == 1
            page.select_option("#status", "draft")
            page.fill("#q", "")
            page.locator("#q").dispatch_event("input")
            total = page.locator("#metric-list li.card").count()
            drafts = page.locator("#metric-list li.card[data-status=draft]").count()
            assert page.locator("#metric-list li.card:visible").count() == drafts < total

            # the metric page: facts, SQL, lineage, and a waterfall per priced definition
            page.goto(f"{server}/metrics/mrr")
            assert page.locator("h1").first.inner_text().startswith("MRR")
            assert "raw_invoices" in page.locator("pre.sql").inner_text()
            assert page.locator("ol.lineage > li").count() == 3
            priced = [d for d in audit_json["definitions"] if d["bridge"] and not d.get("canonical")]
            charts = page.locator("svg.waterfall")
            assert charts.count() == len(priced)
            for i, d in enumerate(priced):
                assert charts.nth(i).locator("g.bar").count() == len(d["bridge"]) + 2
                box = charts.nth(i).bounding_box()
                assert box is not None and box["height"] >= 60 and box["width"] >= 600
            assert _axe_serious(page) == []

            page.goto(f"{server}/docs")
            assert page.locator("h1").inner_text().startswith("canon")
            assert _axe_serious(page) == []
            # the check can fail: axe finds what a page without labels or alt text does wrong
            page.set_content(
                "<html><body><img src='/x.png'><input type=text><p style='color:#eee'>faint</p></body></html>"
            )
            assert _axe_serious(page) != []
            twin = context.request.get(f"{server}/metrics/mrr.json")
            assert twin.status == 200 and twin.json()["name"] == "mrr"
        finally:
            browser.close()
    assert outside == []
