"""A breaking change ships as API version 2 at /api/warehouse/{domain}/v2/..., served beside v1."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from canon.serve.app import create_app
from canon.serve.warehouse.catalog import Domain
from canon.serve.warehouse.routes import V1, ApiVersion
from tests.serve.conftest import settings_for
from tests.serve.fixture import TOKENS


def v2_view(domain: Domain) -> Domain:
    """v2 renames lead_intake.firstName to first_name, serves spendCents as a number, drops suppression."""
    tables = {}
    for name, table in domain.tables.items():
        if name == "acquisition_suppression":
            continue
        columns = []
        for c in table.columns:
            if c.name == "firstName":
                c = replace(c, name="first_name", source="firstName")
            elif c.name == "spendCents":
                c = replace(c, type="number")
            columns.append(c)
        tables[name] = replace(table, columns=tuple(columns))
    return replace(domain, tables=tables)


def test_v1_and_v2_are_served_side_by_side(serve_root: Path, tokens_file: Path) -> None:
    app = create_app(settings_for(serve_root, tokens_file), versions=(V1, ApiVersion(2, "/v2", v2_view)))
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {TOKENS['them_os']}"
        v1 = c.get("/api/warehouse/growth/manifest").json()
        v2 = c.get("/api/warehouse/growth/v2/manifest").json()
        assert (v1["api_version"], v2["api_version"]) == (1, 2)
        assert [t["table"] for t in v2["tables"]] == ["lead_intake", "campaign_spend_daily"]
        v2_lead = {col["name"] for col in v2["tables"][0]["columns"]}
        assert "first_name" in v2_lead and "firstName" not in v2_lead
        old = c.get("/api/warehouse/growth/lead_intake", params={"limit": 5}).json()
        new = c.get("/api/warehouse/growth/v2/lead_intake", params={"limit": 5}).json()
        assert [r["firstName"] for r in old["rows"]] == [r["first_name"] for r in new["rows"]]
        assert [r["id"] for r in old["rows"]] == [r["id"] for r in new["rows"]]
        spend = c.get("/api/warehouse/growth/v2/campaign_spend_daily", params={"limit": 3}).json()
        assert isinstance(spend["rows"][0]["spendCents"], int)
        gone = c.get("/api/warehouse/growth/v2/acquisition_suppression")
        assert gone.status_code == 404 and gone.json()["error"]["accepted"] == ["campaign_spend_daily", "lead_intake"]
        assert c.get("/api/warehouse/growth/acquisition_suppression").status_code == 200  # v1 unchanged
        # cursors belong to one version
        crossed = c.get("/api/warehouse/growth/v2/lead_intake", params={"cursor": old["next_cursor"]})
        assert crossed.status_code == 400 and crossed.json()["error"]["parameter"] == "cursor"
        walked = c.get("/api/warehouse/growth/v2/lead_intake", params={"cursor": new["next_cursor"], "limit": 5})
        assert walked.json()["rows"][0]["id"] > new["rows"][-1]["id"]
        ops = {op["operationId"] for path in c.get("/openapi.json").json()["paths"].values() for op in path.values()}
        assert {"warehouse_page_v1", "warehouse_page_v2", "warehouse_manifest_v1", "warehouse_manifest_v2"} <= ops
