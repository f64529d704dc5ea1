"""The catalog pages over HTTP: every page has a `.json` twin that says what the page says,
the trend and the waterfall match figures computed here, plurals and integers read as people
write them, /docs is a self-contained reference of the published schema."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from canon.serve.catalog_detail import audit_view, number, plural
from tests.serve.test_metrics import MRR_SQL


def _months(last: str, n: int) -> list[str]:
    year, month = map(int, last.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def test_index_page_and_its_json_twin(client: TestClient) -> None:
    twin = client.get("/index.json")
    assert twin.status_code == 200
    data = twin.json()
    names = {m["name"] for m in data["metrics"]}
    assert data["count"] == len(names) == len(client.get("/api/metrics").json()["metrics"])
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert f"{len(names)} metrics" in html
    assert '<link rel="alternate" type="application/json" href="/index.json">' in html
    for name in names:
        assert f'id="metric-{name}"' in html
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    # server-side filter (the page works without JavaScript): one match reads "1 metric"
    one = client.get("/", params={"q": "collected_by_sql"}).text
    assert "Showing 1 metric<" in one
    assert len(re.findall(r'<li class="card" id=', one)) == 1  # the others are rendered hidden
    assert "Showing 0 metrics" in client.get("/", params={"q": "no-such-metric-anywhere"}).text


def test_the_catalog_page_says_when_its_values_were_computed(client: TestClient) -> None:
    """Cached values carry their `as_of`: the page, its twin and the API catalog never disagree
    for longer than the page says (the same cache, recomputed at most every max_age seconds)."""
    from datetime import UTC, datetime, timedelta

    twin = client.get("/index.json").json()
    as_of = datetime.fromisoformat(twin["as_of"].replace("Z", "+00:00"))
    assert timedelta(0) <= datetime.now(UTC) - as_of < timedelta(minutes=5)
    assert twin["max_age_seconds"] > 0
    html = client.get("/").text
    assert f'<time id="as-of" datetime="{twin["as_of"]}">' in html
    assert f"recomputed at most every {twin['max_age_seconds']:g} s" in html
    assert client.get("/index.json").json()["as_of"] == twin["as_of"]  # cached: the same computation


def test_metric_page_says_what_its_twin_says(client: TestClient, direct: Any, audit_json: dict[str, Any]) -> None:
    detail = client.get("/metrics/mrr.json").json()
    hand: dict[str, int] = {}
    for period, _segment, cents in direct.execute(MRR_SQL).fetchall():
        hand[period] = hand.get(period, 0) + cents
    months = _months("2026-10", 12)
    assert len([m for m in hand if m in months]) >= 2  # the tiny world has months to draw
    trend = detail["trend"]["points"]
    assert [p["period"] for p in trend] == months
    assert {p["period"]: p["value"] for p in trend if p["value"] is not None} == {
        m: c for m, c in hand.items() if m in months
    }
    assert detail["lineage"]["sources"] == ["raw_accounts", "raw_contracts", "raw_invoices"]
    assert "raw_invoices" in (detail["sql"] or "")
    # the waterfalls: the stored audit's steps, in order, from the canonical figure to the definition's
    canon = audit_json["canonical"]["value_cents"]
    stored = {d["model"]: d for d in audit_json["definitions"]}
    for d in detail["audit"]["definitions"]:
        steps = stored[d["model"]]["bridge"] or []
        assert [s["cents"] for s in d["steps"]] == [s["impact_cents"] for s in steps]
        if d["steps"]:
            assert d["from_canonical"] and d["unattributed_cents"] == 0
            assert canon + sum(s["cents"] for s in d["steps"]) == d["value_cents"]
    html = client.get("/metrics/mrr").text
    assert '<link rel="alternate" type="application/json" href="/metrics/mrr.json">' in html
    assert detail["owner"] in html and detail["definition_hash"] in html
    for dim in detail["dimensions"]:
        assert dim in html
    charts = html.count('<svg class="waterfall"')
    assert charts == sum(1 for d in detail["audit"]["definitions"] if d["steps"] and not d["canonical"])
    assert html.count('<svg class="trend"') == 1
    # a metric asked in another case is the same metric; an unknown one is a 404 naming the known
    assert client.get("/metrics/MRR.json").json()["name"] == "mrr"
    missing = client.get("/metrics/mmr")
    assert missing.status_code == 404 and "mrr" in missing.json()["error"]["accepted"]


def test_pages_need_a_token_and_json_twins_say_401(client: TestClient) -> None:
    bare = TestClient(client.app)
    assert bare.get("/metrics/mrr.json").status_code == 401
    assert bare.get("/index.json").status_code == 401
    login = bare.get("/metrics/mrr")
    assert login.status_code == 401 and "name=token" in login.text and '<label for="token">' in login.text


def test_docs_is_a_self_contained_reference(client: TestClient) -> None:
    bare = TestClient(client.app)
    resp = bare.get("/docs")
    assert resp.status_code == 200
    html = resp.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing fetched from elsewhere
    spec = bare.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method in item:
            assert f'<span class="method">{method.upper()}</span> <code>{path}</code>' in html, (method, path)
    for schema in spec["components"]["schemas"]:
        assert f'id="schema-{schema}"' in html


def test_generic_waterfall_steps_and_plain_numbers() -> None:
    assert plural(1, "metric") == "1 metric" and plural(0, "metric") == "0 metrics"
    assert plural(2, "query", "queries") == "2 queries" and plural(1_200, "metric") == "1,200 metrics"
    assert number(23.0) == "23" and number(7.5) == "7.5" and number(1234) == "1,234" and number(None) == "—"
    # Shapley-style steps (no interaction row), as another bridge writer may store them
    audit = {
        "period": "2026-10",
        "headline": "h",
        "canonical": {"value_cents": 1_000},
        "definitions": [
            {
                "model": "a",
                "value_cents": 1_300,
                "bridge": {
                    "method": "shapley",
                    "steps": [{"label": "x", "shapley_cents": -200}, {"decision": "y", "impact_cents": -100}],
                },
                "usage": {"queries_per_month": 23.0},
            },
            {"model": "b", "value_cents": 900, "bridge": [{"label": "z", "impact_cents": 60}], "usage": None},
        ],
    }
    view = audit_view(audit)
    assert view is not None
    a, b = view["definitions"]
    assert [(s["label"], s["cents"]) for s in a["steps"]] == [("x", -200), ("y", -100)]
    assert a["unattributed_cents"] == 0 and a["queries_text"] == "23"
    assert b["unattributed_cents"] == 40  # what the steps leave between 900 + 60 and 1,000, shown, not hidden


def test_waterfall_geometry_follows_the_running_total() -> None:
    from canon.present.money import format_cents
    from canon.serve import svg

    steps = [svg.Step("a", -30_000), svg.Step("b", 12_345), svg.Step("c", -1)]
    chart = svg.waterfall("team", 100_000, steps, "canonical", width=900)
    assert [b.kind for b in chart.bars] == ["total", "down", "up", "down", "total"]
    assert chart.bars[-1].text == format_cents(100_000 - 30_000 + 12_345 - 1)
    assert [b.short.split(". ")[0] for b in chart.bars[1:-1]] == ["1", "2", "3"]
    # each step bar spans from the running total before it to the one after it
    per_cent = (chart.bars[0].width) / 100_000
    before = 100_000
    for bar, step in zip(chart.bars[1:-1], steps, strict=True):
        after = before + step.cents
        assert abs(bar.width - abs(step.cents) * per_cent) <= 2
        assert abs(bar.x - (chart.origin_x + min(before, after) * per_cent)) <= 2
        before = after
    line = svg.trend([svg.Point("2026-09", 5), svg.Point("2026-10", None), svg.Point("2026-11", 10)], str)
    assert line is not None and len(line.dots) == 2 and line.dots[1].y < line.dots[0].y  # higher value, higher dot
    assert svg.trend([svg.Point("2026-09", None)], str) is None
