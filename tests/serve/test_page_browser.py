"""The catalog page in real headless Chromium against `canon serve` running as its own process.

Checks what a person sees: the metric list, the board number (MRR for 2026-10, $10,000.00 by
hand from the tiny fixture: invoice I2 is the only paid subscription invoice of an active
recurring contract in October), the audit's waterfall drawn by plotly, the definitions table,
and that the page fetched nothing from outside the server.
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


@pytest.mark.slow
@pytest.mark.xdist_group("browser")
def test_catalog_page_in_chromium(server: str, audit_json: dict[str, Any]) -> None:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.fail("Chromium is not installed: run `apt-get install -y chromium` (CI installs it in .ci/run)")
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(server) else None)
            page.goto(f"{server}/")
            page.fill("input[name=token]", TOKENS["them_os"])
            page.click("button[type=submit]")
            page.wait_for_selector("#metric-list")
            names = page.locator("#metric-list a").all_inner_texts()
            assert {"MRR", "CASH", "ARR", "PNL_SUMMARY"} <= set(names)
            mrr = page.locator("#metric-mrr")
            assert mrr.locator(".value").inner_text() == "$10,000.00"
            assert "2026-10" in mrr.inner_text()
            assert "Sum of raw_invoices.amount" in mrr.locator(".definition").inner_text()
            mrr.locator(".plot-container").first.wait_for(timeout=20_000)
            assert mrr.locator("svg.main-svg").count() >= 1
            assert mrr.locator(".waterfall").count() >= 1 or mrr.locator("g.trace").count() >= 1
            charts = sum(1 for d in audit_json["definitions"] if d["bridge"])
            assert mrr.locator(".plot-container").count() == min(charts, 6)
            rows = mrr.locator("table.definitions tbody tr")
            assert rows.count() == len(audit_json["definitions"])
            assert page.locator("#metric-cash .value").inner_text() == "$16,500.01"  # P2+P3+P5+P7 by hand
        finally:
            browser.close()
    assert outside == []
