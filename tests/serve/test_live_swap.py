"""`canon serve` on DuckDB keeps serving while the house is worked on: a real uvicorn subprocess.

While it runs: `canon query`, `canon test` and `canon audit` (other processes) read the
same file; `canon load` publishes a new version of the file and the running server answers
from it, without a restart; the API catalog says when its values were computed. The new
figure is checked against the ledger the test wrote itself (not against canon).
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serve.fixture import write_tokens

pytestmark = pytest.mark.slow

SRC = str(Path(__file__).resolve().parents[2] / "src")
TOKEN = "swap-test-token-0123456789abcdef"
CANON = [sys.executable, "-c", "import sys; from canon.cli import main; main(sys.argv[1:])"]


def canon(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "200"}
    return subprocess.run([*CANON, *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str) -> dict[str, Any]:
    r = httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def served_mrr(port: int, period: str) -> int:
    rows = get(port, f"/api/metrics/mrr/query?from={period}&to={period}")["rows"]
    return int(rows[0]["mrr_cents"])


def cli_mrr(root: Path, period: str) -> int:
    res = canon(root, "query", "mrr", "--from", period, "--to", period, "--format", "json")
    assert res.returncode == 0, res.stderr
    return int(json.loads(res.stdout)[0]["mrr_cents"])


def test_reads_and_a_load_while_serving_and_the_server_picks_up_the_new_version(tmp_path: Path) -> None:
    root = tmp_path / "acme"
    assert canon(tmp_path, "init", "--example", "acme", str(root)).returncode == 0
    res = canon(root, "load")
    assert res.returncode == 0, res.stderr
    # dbt's own DuckDB connection opens the file for writing: the project is compiled before serving, as
    # a dbt user's `dbt build` does, and the audit reuses that fresh manifest instead of running dbt
    dbt = Path(sys.executable).with_name("dbt")
    compiled = subprocess.run([str(dbt), "compile", "--profiles-dir", "."], cwd=root, capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stdout[-2000:]
    tokens = write_tokens(tmp_path / "tokens", {"reader": TOKEN})
    port = free_port()
    server = subprocess.Popen(
        [*CANON, "serve", "--project", str(root), "--port", str(port), "--tokens-file", str(tokens)],
        env={**os.environ, "PYTHONPATH": SRC},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 90
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/metrics", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.time() < deadline, "the server did not start"
                time.sleep(0.5)
        period = "2026-10"
        before = served_mrr(port, period)
        catalog = get(port, "/api/metrics")
        assert catalog["as_of"] and catalog["max_age_seconds"] == 300

        # reading commands in other processes work while the server holds the file
        assert cli_mrr(root, period) == before
        assert canon(root, "test", "mrr").returncode in (0, 1)  # ran (findings are not the point), no lock error
        audit = canon(root, "audit", "--metric", "mrr", "--static", "--format", "json")
        assert "lock" not in audit.stderr.lower() and audit.returncode in (0, 1), audit.stderr

        # a load while serving: one admitted invoice of the period is 100.00 higher (MRR's own rule, read off the
        # seed files: a paid subscription invoice of an active recurring contract), so MRR rises by 10,000 cents
        with (root / "seeds" / "raw_contracts.csv").open(newline="") as fh:
            admitted = {
                r["contract_id"] for r in csv.DictReader(fh) if (r["type"], r["status"]) == ("recurring", "active")
            }
        seed = root / "seeds" / "raw_invoices.csv"
        with seed.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        victim = next(
            r
            for r in rows
            if r["invoice_date"].startswith(period)
            and (r["type"], r["status"]) == ("subscription", "paid")
            and r["contract_id"] in admitted
        )
        victim["amount"] = str(Decimal(victim["amount"]) + 100)
        export = tmp_path / "raw_invoices.csv"
        with export.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        res = canon(root, "load", str(export))
        assert res.returncode == 0, res.stderr

        after_cli = cli_mrr(root, period)
        assert after_cli == before + 10_000
        # the running server answers from the new version at its next request, no restart
        assert served_mrr(port, period) == after_cli
        fresh = get(port, "/api/metrics")
        assert fresh["as_of"] >= catalog["as_of"]
        entry = next(m for m in fresh["metrics"] if m["name"] == "mrr")
        assert entry["current_value"] is None or entry["current_value_as_of"] == fresh["as_of"]
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)
