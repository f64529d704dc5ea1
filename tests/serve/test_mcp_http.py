"""`canon mcp` over streamable HTTP inside `canon serve`: the SDK's client with a consumer's bearer
token lists and calls tools; without a token the endpoint answers 401 and MCP never runs; each tool
call is logged with the consumer the token names."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from mcp.client.streamable_http import streamable_http_client

from mcp import Client
from tests.serve.fixture import TOKENS

pytestmark = [pytest.mark.slow]
CLI = [sys.executable, "-c", "from canon.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(serve_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path_factory.mktemp("mcp-http") / "serve.log"
    env = {**os.environ, "CANON_TOKENS": ",".join(f"{c}={t}" for c, t in TOKENS.items())}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*CLI, "serve", "--project", str(serve_root), "--port", str(port), "--log-level", "info", "--mcp"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"canon serve exited with {proc.returncode}:\n{log.read_text()}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("canon serve did not answer /healthz within 60 s")
                time.sleep(0.2)
            yield base, log
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_without_a_token_mcp_is_refused(served: tuple[str, Path]) -> None:
    base, _ = served
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    res = httpx.post(f"{base}/mcp", json=body, headers={"Accept": "application/json, text/event-stream"})
    assert res.status_code == 401 and res.json()["error"]["code"] == "unauthorized"
    assert res.headers["www-authenticate"].startswith("Bearer")
    spoofed = httpx.post(f"{base}/mcp", json=body, headers={"x-canon-consumer": "them_os"})
    assert spoofed.status_code == 401  # the consumer header is the server's to set, never a client's


def test_a_consumer_drives_the_tools_over_http(served: tuple[str, Path]) -> None:
    base, log = served

    async def talk() -> tuple[list[str], dict[str, object]]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKENS['forecast']}"}, timeout=60)
        async with http, Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            listed = await client.call_tool("list_metrics", {})
            assert not listed.is_error, listed.content
            refused = await client.call_tool("verify", {"metrics": ["mrr"]})
            assert refused.is_error
            return names, {"listed": listed.structured_content, "refused": refused.structured_content}

    names, out = anyio.run(talk)
    assert "request_signoff" in names and "audit" in names
    assert "mrr" in [m["name"] for m in out["listed"]["metrics"]]  # type: ignore[index]
    assert out["refused"]["error"]["location"]["parameter"] == "run_dbt"  # type: ignore[index]
    time.sleep(0.5)
    text = log.read_text()
    assert '"tool":"list_metrics"' in text and '"who":"forecast (bearer token)"' in text


def test_without_the_flag_there_is_no_mcp_endpoint(serve_root: Path, tokens_file: Path) -> None:
    from fastapi.testclient import TestClient

    from canon.serve.app import create_app
    from tests.serve.conftest import settings_for

    with TestClient(create_app(settings_for(serve_root, tokens_file))) as client:
        res = client.post("/mcp", json={}, headers={"Authorization": f"Bearer {TOKENS['them_os']}"})
        assert res.status_code == 404
