"""Mart sections: groupings nested per the manifests, filters, as_of; expected rows by direct SQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.serve.fixture import MART, ORG_MARKETS, PERIODS

URL = "/api/mart/sections/finance"


def direct_rows(direct: Any, table: str, where: str = "TRUE") -> list[dict[str, Any]]:
    cur = direct.execute(f"SELECT * EXCLUDE (as_of) FROM mart.{table} WHERE {where}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def served(body: dict[str, Any], dotted: str) -> list[dict[str, Any]]:
    node: Any = body["groupings"]
    for part in dotted.split("."):
        node = node[part]
    return [{k: v for k, v in r.items() if k != "as_of"} for r in node]


def same(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    key = lambda r: sorted((k, str(v)) for k, v in r.items())  # noqa: E731
    return sorted(a, key=key) == sorted(b, key=key)


def test_section_nests_every_grouping_as_the_manifests_name_them(client: TestClient, direct: Any) -> None:
    body = client.get(URL).json()
    assert set(body) == {"section", "as_of", "filters", "groupings"}
    assert body["section"] == "finance"
    assert body["as_of"] == "2026-05-19T06:30:00.123Z"
    g = body["groupings"]
    assert set(g) == {"revenue_recognition", "reconciliation", "cash_position", "margin", "pnl", "unit_economics"}
    assert set(g["pnl"]) == {"pnl_summary"}
    assert set(g["unit_economics"]) == {"revenue_per_active_student", "revenue_concentration"}
    for table, (dotted, _, _) in MART.items():
        assert same(served(body, dotted), direct_rows(direct, table)), table
    row = g["revenue_recognition"][0]
    assert isinstance(row["recognized_revenue_cents"], int) and row["as_of"] == "2026-05-19T06:30:00.123Z"
    assert any(r["direct_cost_cents"] is None and r["null_reason"] == "null:upstream_unavailable" for r in g["margin"])


def test_period_filters_apply_in_each_groupings_grain(client: TestClient, direct: Any) -> None:
    body = client.get(URL, params={"period_from": "2026-04", "period_to": "2026-04"}).json()
    assert body["filters"]["period_from"] == "2026-04"
    assert same(
        served(body, "revenue_recognition"), direct_rows(direct, "revenue_recognition", "reporting_period = '2026-04'")
    )
    assert {r["reporting_period"] for r in served(body, "pnl.pnl_summary")} == {"2026-04"}
    # weeks starting in April 2026: W14 starts 2026-03-30 (March), W18 starts 2026-04-27, W19 2026-05-04
    weeks = {r["week"] for r in served(body, "unit_economics.revenue_per_active_student")}
    assert weeks == {"2026-W18"}
    open_ended = client.get(URL, params={"period_from": "2026-05"}).json()
    assert {r["reporting_period"] for r in served(open_ended, "margin")} == {"2026-05"}
    quarter = client.get(URL, params={"period_from": "2026-Q2"}).json()
    assert {r["reporting_period"] for r in served(quarter, "cash_position")} == {"2026-04", "2026-05"}
    assert {r["week"] for r in served(quarter, "unit_economics.revenue_per_active_student")} == {"2026-W18", "2026-W19"}


def test_grain_selects_pnl_rollup_level(client: TestClient, direct: Any) -> None:
    body = client.get(URL, params={"grain": "organization"}).json()
    pnl = served(body, "pnl.pnl_summary")
    assert same(pnl, direct_rows(direct, "pnl_summary", "geography_grain = 'organization'"))
    assert len(pnl) == len(PERIODS) * 2
    # other groupings have no rollup level and are served whole
    assert len(served(body, "revenue_recognition")) == len(PERIODS) * len(ORG_MARKETS)


def test_org_market_filter(client: TestClient, direct: Any) -> None:
    body = client.get(URL, params={"org_market": "piano-paris"}).json()
    assert same(
        served(body, "revenue_recognition"), direct_rows(direct, "revenue_recognition", "org_market_id = 'piano-paris'")
    )
    assert same(
        served(body, "pnl.pnl_summary"),
        direct_rows(direct, "pnl_summary", "geography_grain = 'org_market' AND geography_key = 'piano-paris'"),
    )
    assert {r["org_market_id"] for r in served(body, "unit_economics.revenue_concentration")} == {"piano-paris"}
    nothing = client.get(URL, params={"org_market": "cello-rome"}).json()
    assert served(nothing, "margin") == [] and served(nothing, "pnl.pnl_summary") == []


def test_the_key_is_the_contracts_not_the_apis(client: TestClient) -> None:
    """`key` is the generic spelling of the declared coordination key; the section's own name
    for it (`org_market`, the level whose key column the contracts declare) means the same."""
    generic = client.get(URL, params={"key": "piano-paris"}).json()
    named = client.get(URL, params={"org_market": "piano-paris"}).json()
    assert generic["groupings"] == named["groupings"] and named["filters"]["org_market"] == "piano-paris"
    both = client.get(URL, params={"key": "piano-paris", "org_market": "swim-berlin"})
    assert both.status_code == 400 and both.json()["error"]["parameter"] == "org_market"
    same_twice = client.get(URL, params={"key": "piano-paris", "org_market": "piano-paris"}).json()
    assert same_twice["groupings"] == named["groupings"]
    # the configured section declares no key: asking for one is refused, not answered unfiltered
    ledger = client.get("/api/mart/sections/ledger", params={"key": "piano-paris"})
    assert ledger.status_code == 400 and ledger.json()["error"]["parameter"] == "key"


def test_bad_filters(client: TestClient) -> None:
    cases = [
        ({"grain": "galaxy"}, "grain"),
        ({"period_from": "2026-13"}, "period_from"),
        ({"period_to": "April"}, "period_to"),
        ({"period_from": "2026-05", "period_to": "2026-04"}, "period_to"),
        ({"org_market": "piano-paris", "grain": "portfolio"}, "grain"),
    ]
    for params, parameter in cases:
        resp = client.get(URL, params=params)
        assert resp.status_code == 400, params
        err = resp.json()["error"]
        assert err["parameter"] == parameter
    err = client.get(URL, params={"grain": "galaxy"}).json()["error"]
    assert err["accepted"] == ["org_market", "organization", "portfolio"]


def test_unknown_section_names_the_accepted_ones(client: TestClient) -> None:
    resp = client.get("/api/mart/sections/marketing")
    assert resp.status_code == 404
    assert resp.json()["error"] == {
        "code": "unknown_section",
        "message": "no mart section `marketing`",
        "parameter": "section",
        "accepted": ["finance", "ledger"],
    }


def test_section_from_configuration(client: TestClient, direct: Any) -> None:
    body = client.get("/api/mart/sections/ledger", params={"period_to": "2026-03"}).json()
    assert list(body["groupings"]) == ["recognition"]
    assert same(
        served(body, "recognition"), direct_rows(direct, "revenue_recognition", "reporting_period <= '2026-03'")
    )


def test_unbuilt_mart_is_503(tmp_path: Path, tokens_file: Path) -> None:
    from canon.serve.app import create_app
    from tests.compiler.fixture import write_project
    from tests.serve.conftest import settings_for
    from tests.serve.fixture import TOKENS

    root = write_project(tmp_path)
    (root / "metrics" / "later.yml").write_text(
        "name: later\nowner: finance\nserved_by: mart.later\nmart: {section: finance}\n"
        "composition: {type: sql, sql: 'SELECT 1'}\n"
    )
    with TestClient(create_app(settings_for(root, tokens_file))) as c:
        resp = c.get(URL, headers={"Authorization": f"Bearer {TOKENS['forecast']}"})
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "mart_not_built"
    assert "mart.later" in resp.json()["error"]["message"]
