"""Comparisons and windows over HTTP: query parameters of the metric query, checked by hand SQL."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fastapi.testclient import TestClient

MRR_SQL = """
SELECT strftime(i.invoice_date, '%Y-%m') AS period, CAST(SUM(i.amount) * 100 AS BIGINT) AS cents
FROM raw_invoices i JOIN raw_contracts c USING (contract_id)
WHERE i.type = 'subscription' AND i.status = 'paid' AND c.type = 'recurring' AND c.status = 'active'
GROUP BY ALL
"""
CASH_SQL = """
SELECT strftime(payment_date, '%Y-%m') AS period, CAST(SUM(amount) * 100 AS BIGINT) FROM raw_payments
WHERE NOT refunded GROUP BY ALL
"""


def test_compare_prior_period_over_http(client: TestClient, direct: Any) -> None:
    hand = dict(direct.execute(MRR_SQL).fetchall())
    body = client.get("/api/metrics/mrr/query", params={"from": "2026-10", "to": "2026-10", "compare": "prior_period"})
    assert body.status_code == 200, body.text
    data = body.json()
    assert data["compare"] == "prior_period"
    (row,) = data["rows"]
    now, before = hand["2026-10"], hand["2026-09"]
    change = now - before
    expected_bps = int((Decimal(change) * 10000 / before).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert (row["mrr_cents"], row["mrr_previous_cents"], row["mrr_change_cents"]) == (now, before, change)
    assert row["mrr_change_bps"] == expected_bps


def test_window_ytd_over_http(client: TestClient, direct: Any) -> None:
    hand = dict(direct.execute(CASH_SQL).fetchall())
    body = client.get("/api/metrics/cash/query", params={"from": "2026-09", "to": "2026-11", "window": "ytd"}).json()
    running = {p: sum(v for q, v in hand.items() if "2026-01" <= q <= p) for p in ("2026-09", "2026-10", "2026-11")}
    assert {r["period"]: r["cash_cents"] for r in body["rows"]} == running


def test_a_balance_refuses_a_trailing_window(client: TestClient) -> None:
    resp = client.get("/api/metrics/mrr/query", params={"from": "2026-09", "to": "2026-10", "trailing": 3})
    assert resp.status_code == 400, resp.text
    err = resp.json()["error"]
    assert err["parameter"] == "trailing" and "balance" in err["message"]
    bad = client.get("/api/metrics/mrr/query", params={"compare": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "compare"
