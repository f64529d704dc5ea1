"""Nothing let in: tokens fail closed, failed logins throttled, filters checked, unsigned numbers marked."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from canon.project import load_project
from canon.serve.app import create_app
from tests.serve.conftest import settings_for
from tests.serve.fixture import TOKENS, write_serve_project, write_tokens

GOOD = TOKENS["them_os"]


def _status(c: TestClient, token: str = GOOD, path: str = "/api/metrics") -> int:
    return c.get(path, headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_vanished_tokens_file_revokes_every_token(
    serve_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_tokens(tmp_path / "tokens", TOKENS)
    with TestClient(create_app(settings_for(serve_root, path))) as c, caplog.at_level(logging.ERROR, "canon.serve"):
        assert _status(c) == 200
        path.unlink()
        answers = [c.get("/api/metrics", headers={"Authorization": f"Bearer {GOOD}"}) for _ in range(3)]
        assert [r.status_code for r in answers] == [503, 503, 503]
        assert answers[0].json()["error"]["code"] == "tokens_unavailable"
        loud = [r for r in caplog.records if "API TOKENS REVOKED" in r.getMessage()]
        assert len(loud) == 1 and "does not exist" in loud[0].getMessage()
        assert GOOD not in caplog.text
        write_tokens(path, TOKENS)
        assert _status(c) == 200


def test_a_broken_tokens_file_keeps_no_old_token(serve_root: Path, tmp_path: Path) -> None:
    path = write_tokens(tmp_path / "tokens", TOKENS)
    with TestClient(create_app(settings_for(serve_root, path))) as c:
        assert _status(c) == 200
        path.write_bytes(b"them_os=" + GOOD.encode() + b"\nnot a pair\n")
        assert _status(c) == 503 and _status(c, TOKENS["forecast"]) == 503
        path.write_bytes(b"\xff\xfe garbage")
        assert _status(c) == 503


def test_revocation_within_the_reload_interval_even_when_stat_is_unchanged(serve_root: Path, tmp_path: Path) -> None:
    """An editor that keeps size and mtime (same-length token, timestamps restored) is still seen."""
    path = write_tokens(tmp_path / "tokens", TOKENS)
    settings = settings_for(serve_root, path, tokens_reload_seconds=0.2)
    with TestClient(create_app(settings)) as c:
        assert _status(c) == 200
        before = path.stat()
        rotated = "X" + GOOD[1:]
        with path.open("r+b") as fh:  # in place: same inode, same size
            fh.write(path.read_bytes().replace(GOOD.encode(), rotated.encode()))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        time.sleep(0.25)
        assert _status(c) == 401 and _status(c, rotated) == 200


def test_failed_authentications_are_throttled_per_address(serve_root: Path, tokens_file: Path) -> None:
    settings = settings_for(serve_root, tokens_file, auth_failures_burst=3, auth_failures_per_minute=6)
    with TestClient(create_app(settings)) as c:
        guesses = [_status(c, f"guess-{i:02d}-0123456789abcdef") for i in range(3)]
        assert guesses == [401, 401, 401]
        blocked = c.get("/api/metrics", headers={"Authorization": "Bearer guess-99-0123456789abcdef"})
        assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "10"  # one failure per 60/6 s
        assert blocked.json()["error"]["code"] == "too_many_failed_authentications"
        login = c.post("/login", content="token=guess-98-0123456789abcdef", follow_redirects=False)
        assert login.status_code == 429  # the login form counts as the same address
        assert _status(c) == 429  # guessing from here blocks here, good token or not, until it refills
        other = TestClient(c.app, client=("203.0.113.9", 5000))
        assert _status(other) == 200  # another address is not slowed


def test_empty_cursor_and_405_allow(client: TestClient) -> None:
    empty = client.get("/api/warehouse/growth/lead_intake?cursor=")
    assert empty.status_code == 400 and empty.json()["error"]["parameter"] == "cursor"
    post = client.post("/api/metrics")
    assert post.status_code == 405 and post.headers["Allow"] == "GET"
    assert post.json()["error"]["accepted"] == "GET"


def test_metric_query_filters_over_http(client: TestClient, direct: Any) -> None:
    hand = direct.execute(
        """SELECT CAST(SUM(i.amount) * 100 AS BIGINT) FROM raw_invoices i
           JOIN raw_contracts c USING (contract_id) JOIN raw_accounts a ON a.account_id = c.account_id
           WHERE i.type = 'subscription' AND i.status = 'paid' AND c.type = 'recurring' AND c.status = 'active'
             AND a.segment = 'smb' AND strftime(i.invoice_date, '%Y-%m') = '2026-09'"""
    ).fetchone()[0]
    ask = {"from": "2026-09", "to": "2026-09"}
    text = client.get("/api/metrics/mrr/query", params={**ask, "where": "segment = 'smb'"}).json()
    structured = client.get("/api/metrics/mrr/query", params={**ask, "filter": "segment:eq:smb"}).json()
    assert [r["mrr_cents"] for r in text["rows"]] == [r["mrr_cents"] for r in structured["rows"]] == [hand]
    both = client.get(
        "/api/metrics/mrr/query", params=[("from", "2026-09"), ("to", "2026-09"), ("filter", "segment:in:smb,x")]
    ).json()
    assert [r["mrr_cents"] for r in both["rows"]] == [hand]
    for params, parameter in [
        ({"where": "segment IN (SELECT * FROM read_csv('/etc/passwd'))"}, "where"),
        ({"where": "segment = 'a'; DROP TABLE raw_invoices"}, "where"),
        ({"filter": "segment:drop:x"}, "filter"),
        ({"filter": "name:eq:x"}, "where"),
    ]:
        resp = client.get("/api/metrics/mrr/query", params=params)
        assert resp.status_code == 400, params
        assert resp.json()["error"]["parameter"] == parameter, resp.json()


def test_unsigned_numbers_are_marked_over_http(audit_json: dict[str, Any], tmp_path: Path, tokens_file: Path) -> None:
    root = write_serve_project(tmp_path / "p", audit_json)
    load_project(root).approve("mrr", "Dana", "CFO")
    with TestClient(create_app(settings_for(root, tokens_file))) as c:
        c.headers["Authorization"] = f"Bearer {GOOD}"
        assert {m["name"]: m["signed"] for m in c.get("/api/metrics").json()["metrics"]}["mrr"] is True
        fresh = c.get("/api/metrics/mrr/query")
        assert fresh.headers["Canon-Signed"] == "true" and fresh.json()["signed"] is True
        draft = c.get("/api/metrics/cash/query")
        assert draft.headers["Canon-Signed"] == "false" and draft.json()["signed"] is False
    contract = root / "metrics" / "mrr.yml"
    contract.write_text(
        contract.read_text().replace("raw_invoices.status: [paid]", "raw_invoices.status: [paid, void]")
    )
    with TestClient(create_app(settings_for(root, tokens_file))) as c:
        c.headers["Authorization"] = f"Bearer {GOOD}"
        catalog = {m["name"]: m for m in c.get("/api/metrics").json()["metrics"]}
        assert catalog["mrr"]["signed"] is False and catalog["arr"]["signed"] is False
        assert catalog["mrr"]["signoff"]["valid"] is False
        for name in ("mrr", "arr"):
            stale = c.get(f"/api/metrics/{name}/query")
            assert stale.status_code == 200
            assert stale.headers["Canon-Signed"] == "false" and stale.json()["signed"] is False
            assert "changed after Dana signed it" in stale.json()["signed_note"]


def test_the_serving_engine_reads_no_files(client: TestClient, tmp_path: Path) -> None:
    """Even SQL that got past every check could not read a file: external access is off."""
    from canon.errors import EngineError

    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    engine = ctx.pool.get()
    with pytest.raises(EngineError, match=r"(?i)external|disabled|permission"):
        engine.execute(f"SELECT * FROM read_csv('{secret}')")
    assert engine.execute("SELECT count(*) AS n FROM raw_invoices").column("n")[0].as_py() == 10
