"""Both examples are served: the lessons example's growth domain (camelCase and snake_case
tables, one bigint_string column, one JSON column), its finance mart, and a declarative metric
whose figure is checked with SQL written here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from canon.examples import ExampleOptions, init_example
from canon.mart import build_mart, load_section
from canon.project import load_project
from canon.serve.app import create_app
from tests.serve.conftest import settings_for
from tests.serve.fixture import TOKENS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lessons_serve")]


@pytest.fixture(scope="module")
def lessons(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lessons-serve") / "lessons"
    init_example("lessons", root, ExampleOptions())
    project = load_project(root)
    build_mart(project.engine, load_section(root / "metrics", "finance"))
    project.close()
    return root


@pytest.fixture(scope="module")
def client(lessons: Path, tokens_file: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(lessons, tokens_file))) as c:
        c.headers["Authorization"] = f"Bearer {TOKENS['them_os']}"
        yield c


def test_growth_manifest_from_the_whitelist(client: TestClient) -> None:
    body = client.get("/api/warehouse/growth/manifest").json()
    tables = {t["table"]: t for t in body["tables"]}
    assert set(tables) == {"lead_intake", "campaign", "campaign_spend_daily", "subscriber", "acquisition_suppression"}
    assert body["api_version"] == 1 and body["max_page_size"] == 5000 and body["default_page_size"] == 1000
    types = {c["name"]: c["type"] for t in tables.values() for c in t["columns"]}
    assert types["spendCents"] == "bigint_string" and types["createdAt"] == "datetime"
    assert "json" in types.values()
    assert tables["acquisition_suppression"]["date_column"] == "archived_at"


def test_a_page_of_a_camel_case_table(client: TestClient, lessons: Path) -> None:
    page = client.get("/api/warehouse/growth/campaign_spend_daily", params={"limit": 3}).json()
    assert page["row_count"] == 3 and page["has_more"] is True
    row = page["rows"][0]
    assert isinstance(row["spendCents"], str) and row["date"].endswith("T00:00:00.000Z")
    con = duckdb.connect(str(lessons / "warehouse.duckdb"), read_only=True)
    first = con.execute('select "id", "spendCents" from growth.campaign_spend_daily order by "id" limit 1').fetchone()
    con.close()
    assert first is not None and (row["id"], row["spendCents"]) == (first[0], str(first[1]))


def test_finance_section_and_metric_catalog(client: TestClient, lessons: Path) -> None:
    section = client.get("/api/mart/sections/finance").json()
    assert {"revenue_recognition", "reconciliation", "pnl", "unit_economics"} <= set(section["groupings"])
    catalog = {m["name"]: m for m in client.get("/api/metrics").json()["metrics"]}
    assert "gross_recognized_revenue" in catalog
    con = duckdb.connect(str(lessons / "warehouse.duckdb"), read_only=True)
    cents = con.execute(
        "select sum(recognized_amount_cents) from revenue.recognition where not is_contra "
        "and occurred_at >= timestamp '2026-05-01' and occurred_at < timestamp '2026-06-01'"
    ).fetchone()
    con.close()
    rows = client.get("/api/metrics/gross_recognized_revenue/query", params={"from": "2026-05", "to": "2026-05"}).json()
    assert cents is not None
    assert rows["rows"][0]["gross_recognized_revenue_cents"] == cents[0]
