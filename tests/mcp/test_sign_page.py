"""The person signs an agent's request from the catalog page, in real Chromium, with a signer token;
an API (consumer) token cannot sign. The sign-off lands in the contract with who, role and the request id."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from ruamel.yaml import YAML

from canon.project import load_project
from tests.serve.test_page_browser import ARGS, CHROMIUM, free_port

pytestmark = [pytest.mark.slow, pytest.mark.dbt, pytest.mark.xdist_group("acme_workflow")]

CONSUMER = "board-deck-token-0123456789"
SIGNER = "dana-signer-token-9876543210"


def test_a_person_signs_the_request_on_the_catalog_page(acme: Path) -> None:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.fail("Chromium is not installed: run `apt-get install -y chromium` (CI installs it in .ci/run)")
    from playwright.sync_api import sync_playwright

    project = load_project(acme)
    request = project.request_signoff("mrr", {"pilots": "no"}, by="test agent")
    project.close()

    port = free_port()
    env = {**os.environ, "CANON_TOKENS": f"board={CONSUMER}", "CANON_SIGNER_TOKENS": f"Dana Whitfield|CFO={SIGNER}"}
    cli = [sys.executable, "-c", "from canon.cli import main; main()"]
    proc = subprocess.Popen(
        [*cli, "serve", "--project", str(acme), "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    contract = acme / "metrics" / "mrr.yml"
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
            assert time.monotonic() < deadline, "canon serve did not answer /healthz within 60 s"
            time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page()
                page.goto(f"{base}/")
                page.fill("input[name=token]", CONSUMER)
                page.click("button[type=submit]")
                page.goto(f"{base}/metrics/mrr")
                pending = page.locator(f"#metric-mrr .request[data-request='{request.id}']")
                pending.wait_for()
                assert "$1,260,000.00" in pending.locator(".summary").inner_text()

                pending.locator("input[name=signer_token]").fill(CONSUMER)  # an API token
                pending.locator("button[type=submit]").click()
                assert "not a signer token" in page.locator(".message").inner_text()
                assert "signoff" not in YAML(typ="safe").load(contract.read_text())

                page.goto(f"{base}/metrics/mrr")
                pending.locator("input[name=signer_token]").fill(SIGNER)
                pending.locator("button[type=submit]").click()
                page.wait_for_url(f"{base}/metrics/mrr?signed={request.id}")
                assert "Dana Whitfield (CFO)" in page.locator("#metric-mrr .signoff").inner_text()
                assert page.locator("#metric-mrr .request").count() == 0
            finally:
                browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    signed = YAML(typ="safe").load(contract.read_text())["signoff"]
    assert (signed["by"], signed["role"], signed["proposal"]) == ("Dana Whitfield", "CFO", request.id)
    assert signed["definition_hash"] == request.definition_hash
