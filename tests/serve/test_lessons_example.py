"""Both examples are served: the lessons example's growth domain (camelCase and snake_case
tables, one bigint_string column, one JSON column), its finance mart, and a declarative metric
whose figure is checked with SQL written here. The mart's two consumers, `canon mart show` and
the HTTP API, are compared row for row at every level of every grouping."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from canon.examples import ExampleOptions, init_example
from canon.mart import build_mart, load_section, section_models
from canon.project import load_project
from canon.serve.app import create_app
from tests.serve.conftest import settings_for
from tests.serve.fixture import TOKENS
from tests.support.cli import run_cli

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


# -- one mart model: `canon mart show` and the HTTP API return the same rows ---------------------

# what the lessons contracts declare, written out here so a model that lost a level fails the test
EXPECTED_LEVELS = {
    "cash_position": ("org_market", "organization", "portfolio"),
    "margin": ("org_market", "organization", "portfolio"),
    "pnl_summary": ("org_market", "organization", "portfolio"),
    "reconciliation": (),
    "revenue_concentration": ("org_market", "organization", "portfolio"),
    "revenue_per_active_student": ("org_market", "organization", "portfolio"),
    "revenue_recognition": ("org_market", "organization", "portfolio"),
}


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _decoded(rows: list[dict[str, Any]], *, cli: bool) -> list[dict[str, Any]]:
    """Rows as plain values: `as_of` an instant; the CLI's formatted money twins (`x` beside `x_cents`) dropped."""
    out = []
    for row in rows:
        clean = {k: v for k, v in row.items() if not (cli and f"{k}_cents" in row)}
        if clean.get("as_of") is not None:
            clean["as_of"] = _instant(clean["as_of"])
        for k, v in clean.items():
            if k.endswith("_cents"):
                assert v is None or type(v) is int, (k, v)  # money is integer cents on both sides
        out.append(clean)
    return out


def _grouping_rows(body: dict[str, Any], path: tuple[str, ...]) -> list[dict[str, Any]]:
    node: Any = body["groupings"]
    for part in path:
        node = node[part]
    return node  # type: ignore[no-any-return]


def test_cli_and_http_return_the_same_rows_for_every_grouping_and_level(
    lessons: Path, tokens_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "lessons"
    shutil.copytree(lessons, root)  # the CLI opens the file read-write; the module's server holds it read-only
    finance = section_models(load_section(root / "metrics", "finance"))["finance"]
    assert {g.name: g.levels for g in finance.groupings} == EXPECTED_LEVELS
    assert finance.key == "org_market_id" and finance.key_name == "org_market"

    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    found = con.execute("SELECT min(org_market_id) FROM spine.org_market").fetchone()
    con.close()
    assert found is not None
    key = str(found[0])

    def show(name: str, *extra: str) -> list[dict[str, Any]]:
        args = ["mart", "show", name, "--format", "json", "--limit", "1000000", "--project", str(root), *extra]
        result = run_cli(capsys, *args)
        assert result.code == 0, result.err
        return _decoded(json.loads(result.out), cli=True)

    cli: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for g in finance.groupings:
        cli[(g.name, None)] = show(g.name)
        for level in g.levels:
            cli[(g.name, level)] = show(g.name, "--level", level)
        if g.key:
            cli[(g.name, "key")] = show(g.name, "--key", key)
    assert all(rows for (_, ask), rows in cli.items() if ask != "key"), "every read returns rows"
    assert any(rows for (_, ask), rows in cli.items() if ask == "key")

    compared = set()
    with TestClient(create_app(settings_for(root, tokens_file))) as c:
        c.headers["Authorization"] = f"Bearer {TOKENS['them_os']}"
        for level in [None, *finance.levels]:
            resp = c.get("/api/mart/sections/finance", params={"grain": level} if level else {})
            assert resp.status_code == 200, resp.text
            for g in finance.groupings:
                ask = level if level in g.levels else None
                http = _decoded(_grouping_rows(resp.json(), g.path), cli=False)
                assert http == cli[(g.name, ask)], (g.name, level)
                compared.add((g.name, ask))
        by_name = c.get("/api/mart/sections/finance", params={"org_market": key}).json()
        generic = c.get("/api/mart/sections/finance", params={"key": key}).json()
        assert by_name["filters"]["org_market"] == key and generic["groupings"] == by_name["groupings"]
        for g in finance.groupings:
            if g.key:
                assert _decoded(_grouping_rows(by_name, g.path), cli=False) == cli[(g.name, "key")], g.name
                compared.add((g.name, "key"))
    assert compared == set(cli)
