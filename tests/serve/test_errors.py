"""One error envelope for every failure, FastAPI's own validation errors included (shape pinned)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

ENVELOPE_KEYS = {"code", "message", "parameter", "accepted"}


def test_every_error_uses_the_one_envelope(client: TestClient) -> None:
    anon = TestClient(client.app)
    cases = [
        (client.get("/api/warehouse/growth/lead_intake?limit=abc"), 400, "invalid_parameter", "limit"),
        (client.get("/api/warehouse/growth/lead_intake?limit=0"), 400, "invalid_parameter", "limit"),
        (client.get("/api/warehouse/growth/lead_intake?cursor=xyz"), 400, "invalid_parameter", "cursor"),
        (client.get("/api/warehouse/growth/lead_intake?since=soon"), 400, "invalid_parameter", "since"),
        (client.get("/api/warehouse/growth/nope"), 404, "unknown_table", "table"),
        (client.get("/api/warehouse/nope/manifest"), 404, "unknown_domain", "domain"),
        (client.get("/api/mart/sections/nope"), 404, "unknown_section", "section"),
        (client.get("/api/metrics/nope/query"), 404, "unknown_metric", "name"),
        (client.get("/api/metrics/mrr/query?grain=eon"), 400, "invalid_parameter", "grain"),
        (client.get("/api/warehouse/growth/lead_intake?lmit=10"), 400, "unknown_parameter", "lmit"),
        (client.get("/no/such/route"), 404, "not_found", None),
        (client.post("/api/metrics"), 405, "method_not_allowed", None),
        (anon.get("/api/metrics"), 401, "unauthorized", "Authorization"),
    ]
    for resp, status, code, parameter in cases:
        assert resp.status_code == status, resp.request.url
        assert resp.headers["content-type"].startswith("application/json")
        body = resp.json()
        assert list(body) == ["error"]
        assert set(body["error"]) == ENVELOPE_KEYS
        assert body["error"]["code"] == code
        assert body["error"]["parameter"] == parameter
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_validation_error_envelope_exactly(client: TestClient) -> None:
    resp = client.get("/api/warehouse/growth/lead_intake?limit=-3")
    assert resp.json() == {
        "error": {
            "code": "invalid_parameter",
            "message": "query parameter `limit`: Input should be greater than or equal to 1",
            "parameter": "limit",
            "accepted": ">= 1",
        }
    }


def test_unknown_query_parameters_are_refused_not_ignored(client: TestClient) -> None:
    err = client.get("/api/mart/sections/finance", params={"period": "2026-04"}).json()["error"]
    assert err["parameter"] == "period"
    assert err["accepted"] == ["grain", "key", "org_market", "period_from", "period_to"]


def test_openapi_documents_the_envelope_and_bearer_auth(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A consumer's API token: `Authorization: Bearer <token>`.",
    }
    page = spec["paths"]["/api/warehouse/{domain}/{table}"]["get"]
    for status in ("400", "401", "404", "429"):
        ref = page["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorEnvelope")
    assert {p["name"] for p in page["parameters"]} == {"domain", "table", "since", "until", "cursor", "limit"}
    assert page["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Page")
    finance = spec["paths"]["/api/mart/sections/finance"]["get"]["responses"]["200"]["content"]["application/json"]
    schema_name = finance["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema_name == "FinanceSection"
    assert "/healthz" in spec["paths"] and "security" not in spec["paths"]["/healthz"]["get"]


def test_engine_failures_and_bugs_keep_the_envelope(client: TestClient, monkeypatch: Any) -> None:
    from canon.errors import EngineError
    from canon.serve.warehouse import routes

    def down(*args: Any, **kwargs: Any) -> Any:
        raise EngineError("DuckDB failed: IO Error\nSQL: SELECT secret")

    def bug(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    quiet = TestClient(client.app, raise_server_exceptions=False, headers=dict(client.headers))
    monkeypatch.setattr(routes, "fetch_page", down)
    resp = quiet.get("/api/warehouse/growth/lead_intake")
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "warehouse_unavailable" and "SELECT" not in resp.text
    monkeypatch.setattr(routes, "fetch_page", bug)
    resp = quiet.get("/api/warehouse/growth/lead_intake")
    assert resp.status_code == 500
    assert resp.json() == {
        "error": {
            "code": "internal_error",
            "message": "internal error; the server log has the details",
            "parameter": None,
            "accepted": None,
        }
    }
