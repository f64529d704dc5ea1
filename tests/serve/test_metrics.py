"""The metric catalog and metric queries over HTTP; values checked by hand-written SQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.serve.fixture import MART

MRR_SQL = """
SELECT strftime(i.invoice_date, '%Y-%m') AS period, a.segment, CAST(SUM(i.amount) * 100 AS BIGINT) AS cents
FROM raw_invoices i JOIN raw_contracts c USING (contract_id) JOIN raw_accounts a ON a.account_id = c.account_id
WHERE i.type = 'subscription' AND i.status = 'paid' AND c.type = 'recurring' AND c.status = 'active'
GROUP BY ALL ORDER BY 1, 2
"""


def test_catalog_lists_every_contract(client: TestClient, direct: Any) -> None:
    body = client.get("/api/metrics").json()
    assert body["current_period"] == "2026-10"
    by = {m["name"]: m for m in body["metrics"]}
    tiny = {"mrr", "contract_mrr", "cash", "collected_subscriptions", "collected_by_sql", "paying_accounts", "arr"}
    assert set(by) == tiny | set(MART)
    mrr = by["mrr"]
    hand = {(p, s): c for p, s, c in direct.execute(MRR_SQL).fetchall()}
    october = sum(c for (p, _), c in hand.items() if p == "2026-10")
    assert mrr["current_value"] == {
        "period": "2026-10",
        "kind": "money",
        "value": october,
        "formatted": "$10,000.00",
    }
    assert october == 1_000_000
    assert by["arr"]["current_value"]["value"] == october * 12
    assert by["paying_accounts"]["current_value"]["kind"] == "count"
    assert mrr["owner"] == "finance" and mrr["status"] == "draft" and mrr["signoff"] is None
    assert mrr["definition_hash"].startswith("sha256:") and len(mrr["definition_hash"]) == 71
    assert mrr["decisions"]["filters"]["raw_invoices.status"] == ["paid"]
    assert mrr["definition"].startswith("Sum of raw_invoices.amount, dated by raw_invoices.invoice_date")
    assert {p["decision"] for p in mrr["decision_points"]} >= {"what is measured", "date basis"}
    assert mrr["dimensions"] == ["account_id", "industry", "segment"]
    pnl = by["pnl_summary"]
    assert pnl["current_value"] is None and "mart" in pnl["current_value_note"]
    assert pnl["served_by"] == "mart.pnl_summary" and pnl["decisions"] is None


def test_query_metric_by_dimension(client: TestClient, direct: Any) -> None:
    body = client.get("/api/metrics/mrr/query", params={"grain": "month", "by": "segment"}).json()
    assert body["value_column"] == "mrr_cents"
    got = {(r["period"], r["segment"]): r["mrr_cents"] for r in body["rows"]}
    assert got == {(p, s): c for p, s, c in direct.execute(MRR_SQL).fetchall()}
    ranged = client.get("/api/metrics/mrr/query", params={"from": "2026-10", "to": "2026-10"}).json()
    assert [(r["period"], r["mrr_cents"]) for r in ranged["rows"]] == [("2026-10", 1_000_000)]
    assert (ranged["period_from"], ranged["period_to"]) == ("2026-10", "2026-10")


def test_query_errors_name_the_parameter(client: TestClient) -> None:
    cases = [
        ({"grain": "fortnight"}, 400, "grain"),
        ({"from": "2026-13"}, 400, "from"),
        ({"from": "2026-11", "to": "2026-10"}, 400, "from"),
        ({"by": "planet"}, 400, "by"),
    ]
    for params, status, parameter in cases:
        resp = client.get("/api/metrics/mrr/query", params=params)
        assert resp.status_code == status, (params, resp.text)
        assert resp.json()["error"]["parameter"] == parameter, resp.text
    resp = client.get("/api/metrics/mmr/query")
    assert resp.status_code == 404
    err = resp.json()["error"]
    assert err["parameter"] == "name" and "mrr" in err["accepted"]


def test_periods_outside_the_calendar_or_too_long_are_400(client: TestClient) -> None:
    for params, parameter in [
        ({"to": "9999-12"}, "to"),
        ({"from": "9999"}, "from"),
        ({"grain": "day", "from": "1900-01-01"}, "from"),  # contract-style metric: a spine to today
    ]:
        resp = client.get("/api/metrics/contract_mrr/query", params=params)
        assert resp.status_code == 400, (params, resp.text)
        assert resp.json()["error"]["parameter"] == parameter
    resp = client.get("/api/mart/sections/finance", params={"period_to": "9999"})
    assert resp.status_code == 400 and resp.json()["error"]["parameter"] == "period_to"
