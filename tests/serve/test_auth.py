"""Bearer tokens per consumer: constant-time checks, rotation, 401/429 headers, logs without tokens."""

from __future__ import annotations

import hmac
import logging
import os
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from canon.errors import ConfigError
from canon.serve import auth
from canon.serve.app import create_app
from canon.serve.auth import TokenStore
from canon.serve.ratelimit import RateLimiter
from tests.serve.conftest import settings_for
from tests.serve.fixture import TOKENS, write_tokens


def test_health_needs_no_token_everything_else_does(client: TestClient) -> None:
    anon = TestClient(client.app)
    assert anon.get("/healthz").json()["status"] == "ok"
    for path in [
        "/api/warehouse/growth/manifest",
        "/api/mart/sections/finance",
        "/api/metrics",
        "/api/metrics/mrr/query",
    ]:
        resp = anon.get(path)
        assert resp.status_code == 401, path
        assert resp.headers["WWW-Authenticate"] == 'Bearer realm="canon"'
        assert resp.json()["error"]["code"] == "unauthorized"
    bad = anon.get("/api/metrics", headers={"Authorization": "Bearer not-a-valid-token-at-all"})
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"] == 'Bearer realm="canon", error="invalid_token"'
    basic = anon.get("/api/metrics", headers={"Authorization": "Basic dGhlbV9vczp4"})
    assert basic.status_code == 401
    for consumer, token in TOKENS.items():
        ok = anon.get("/api/metrics", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200, consumer


def test_every_configured_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tokens = {f"c{i}": f"token-number-{i}-abcdefghijklmnop" for i in range(5)}
    store = TokenStore(env={}, tokens_file=write_tokens(tmp_path / "t", tokens))
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", counting)
    for presented, expected in [("token-number-0-abcdefghijklmnop", "c0"), ("token-number-4-abcdefghijklmnop", "c4")]:
        calls.clear()
        assert store.authenticate(presented) == expected
        assert len(calls) == len(tokens)  # a match does not stop the loop
        assert all(len(a) == len(b) == 32 for a, b in calls)  # digests: equal lengths, no length leak
    calls.clear()
    assert store.authenticate("wrong") is None
    assert len(calls) == len(tokens)
    # the module compares only through hmac.compare_digest (no == on secrets)
    source = Path(auth.__file__).read_text()
    assert "compare_digest(presented, entry.digest)" in source
    assert "== entry.digest" not in source and "token ==" not in source


def test_rotating_one_consumer_never_invalidates_another(serve_root: Path, tmp_path: Path) -> None:
    path = write_tokens(tmp_path / "tokens", TOKENS)
    app = create_app(settings_for(serve_root, path))
    new = "them-os-rotated-token-0000000000"
    with TestClient(app) as c:

        def status(token: str) -> int:
            return c.get("/api/metrics", headers={"Authorization": f"Bearer {token}"}).status_code

        assert status(TOKENS["them_os"]) == 200 and status(TOKENS["forecast"]) == 200
        tmp = tmp_path / "tokens.new"
        write_tokens(tmp, {"them_os": new, "forecast": TOKENS["forecast"]})
        os.replace(tmp, path)  # atomic edit of one line, as an operator would deploy it
        assert status(TOKENS["them_os"]) == 401
        assert status(new) == 200
        assert status(TOKENS["forecast"]) == 200
        path.write_text("them_os=short\n")  # a broken edit revokes everything (fails closed; test_guard.py)
        assert status(new) == 503 and status(TOKENS["forecast"]) == 503


def test_tokens_from_environment(tmp_path: Path) -> None:
    env = {
        "CANON_TOKENS": "them_os=env-token-aaaaaaaaaaaaaaaa, forecast=env-token-bbbbbbbbbbbbbbbb",
        "BILLING_API_KEY": "billing-token-cccccccccccccccc",
    }
    store = TokenStore(env=env, consumer_envs={"billing": "BILLING_API_KEY"})
    assert store.consumers == ["billing", "forecast", "them_os"]
    assert store.authenticate("env-token-bbbbbbbbbbbbbbbb") == "forecast"
    assert store.authenticate("billing-token-cccccccccccccccc") == "billing"
    assert store.authenticate("") is None and store.authenticate(None) is None
    with pytest.raises(ConfigError, match="BILLING_API_KEY"):
        TokenStore(env={}, consumer_envs={"billing": "BILLING_API_KEY"})
    with pytest.raises(ConfigError, match="shorter than 16"):
        TokenStore(env={"CANON_TOKENS": "a=short"})
    with pytest.raises(ConfigError, match="CONSUMER=token"):
        TokenStore(env={"CANON_TOKENS": "no-equals-sign-here-at-all"})
    with pytest.raises(ConfigError, match="share a token"):
        TokenStore(env={"CANON_TOKENS": "a=same-token-0123456789,b=same-token-0123456789"})
    bad_file = tmp_path / "bad"
    bad_file.write_text("ok=fine-token-0123456789ab\nbroken line\n")
    with pytest.raises(ConfigError) as err:
        TokenStore(env={}, tokens_file=bad_file)
    assert f"{bad_file}:2" in err.value.render()
    assert "fine-token" not in err.value.render()


def test_rate_limit_per_token_with_retry_after(serve_root: Path, tokens_file: Path) -> None:
    app = create_app(settings_for(serve_root, tokens_file, rate=0.5, burst=2))
    with TestClient(app) as c:
        them = {"Authorization": f"Bearer {TOKENS['them_os']}"}
        assert [c.get("/api/warehouse/growth/manifest", headers=them).status_code for _ in range(2)] == [200, 200]
        limited = c.get("/api/warehouse/growth/manifest", headers=them)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "2"  # one request refills in 1 / 0.5 s
        assert limited.json()["error"]["code"] == "rate_limited"
        other = c.get("/api/warehouse/growth/manifest", headers={"Authorization": f"Bearer {TOKENS['forecast']}"})
        assert other.status_code == 200  # buckets are per token
        assert c.get("/healthz").status_code == 200


def test_token_bucket_refills() -> None:
    now = [100.0]
    limiter = RateLimiter(rate=4, burst=3, clock=lambda: now[0])
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a") == pytest.approx(0.25)
    now[0] += 0.5  # two requests' worth
    assert limiter.acquire("a") == 0.0 and limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0
    now[0] += 100
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]  # never more than the burst
    assert limiter.acquire("a") > 0
    assert RateLimiter.retry_after_header(0.01) == "1" and RateLimiter.retry_after_header(2.2) == "3"
    assert RateLimiter(rate=0, burst=1).acquire("x") == 0.0  # 0 disables


def test_one_structured_log_line_per_request_without_tokens(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    anon = TestClient(client.app)
    with caplog.at_level(logging.INFO, logger="canon.serve.access"):
        client.get("/api/warehouse/growth/lead_intake", params={"limit": 7})
        client.get("/api/mart/sections/finance", params={"period_from": "2026-05"})
        client.get("/api/warehouse/growth/nope")
        anon.get("/api/metrics", headers={"Authorization": f"Bearer {TOKENS['them_os']}x"})
        anon.get("/healthz")
    records = [r for r in caplog.records if r.name == "canon.serve.access"]
    assert len(records) == 5
    lines = [orjson.loads(r.getMessage()) for r in records]
    page, section, missing, denied, health = lines
    assert page["consumer"] == "them_os" and page["table"] == "lead_intake" and page["domain"] == "growth"
    assert page["row_count"] == 7 and page["status"] == 200 and page["route"] == "/api/warehouse/{domain}/{table}"
    assert isinstance(page["latency_ms"], float) and page["latency_ms"] > 0
    assert section["section"] == "finance" and section["row_count"] > 0 and section["status"] == 200
    assert missing["status"] == 404 and missing["table"] == "nope"
    assert denied["status"] == 401 and denied["consumer"] is None
    assert health["route"] == "/healthz"
    text = "\n".join(r.getMessage() for r in caplog.records)
    for token in TOKENS.values():
        assert token not in text


def test_login_cookie_authenticates_the_page(client: TestClient) -> None:
    anon = TestClient(client.app)
    form = anon.get("/")
    assert form.status_code == 401 and "<form" in form.text and "name=token" in form.text
    wrong = anon.post("/login", data={"token": "nope"}, follow_redirects=False)
    assert wrong.status_code == 401
    ok = anon.post("/login", data={"token": TOKENS["forecast"]}, follow_redirects=False)
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"]
    assert "canon_token=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    page = anon.get("/")
    assert page.status_code == 200 and "metric-mrr" in page.text
    assert anon.get("/api/metrics").status_code == 200  # the same token, from the cookie
    anon.post("/logout")
    assert anon.get("/").status_code == 401
