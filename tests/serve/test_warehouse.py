"""The warehouse API against the growth contract: manifest, keyset walks, filters, cursors, types.

Expected rows come from the tests' own SQL on a separate DuckDB connection, formatted by
DuckDB itself (strftime with %g milliseconds), never by the encoding code under test.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from canon.serve.app import create_app
from tests.serve.conftest import settings_for
from tests.serve.fixture import BIG_SPEND, LEADS, SERVE_YML, SPEND, SUPPRESSED, TOKENS

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
URL = "/api/warehouse/growth"


def walk(client: TestClient, table: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every row of a table, following next_cursor until has_more is false; returns (rows, pages)."""
    rows: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        query = {k: v for k, v in params.items() if v is not None}
        if cursor:
            query["cursor"] = cursor
        resp = client.get(f"{URL}/{table}", params=query)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        pages += 1
        assert body["row_count"] == len(body["rows"])
        rows.extend(body["rows"])
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return rows, pages
        cursor = body["next_cursor"]
        assert isinstance(cursor, str) and cursor


def expected_leads(direct: Any, where: str = "TRUE", params: list[Any] | None = None) -> list[dict[str, Any]]:
    sql = (
        'SELECT id, "firstName", strftime("createdAt", \'%Y-%m-%dT%H:%M:%S.%gZ\') AS created, '
        '"formData"::VARCHAR AS form FROM growth.lead_intake WHERE ' + where + " ORDER BY id"
    )
    return [
        {"id": i, "firstName": f, "createdAt": c, "formData": None if d is None else orjson.loads(d)}
        for i, f, c, d in direct.execute(sql, params or []).fetchall()
    ]


def test_manifest_matches_the_contract_shape(client: TestClient) -> None:
    body = client.get(f"{URL}/manifest").json()
    assert set(body) == {"generated_at", "domain", "api_version", "max_page_size", "default_page_size", "tables"}
    assert (body["domain"], body["api_version"], body["max_page_size"], body["default_page_size"]) == (
        "growth",
        1,
        5000,
        1000,
    )
    assert ISO_MS.match(body["generated_at"])
    tables = {t["table"]: t for t in body["tables"]}
    assert list(tables) == ["lead_intake", "campaign_spend_daily", "acquisition_suppression"]
    lead = tables["lead_intake"]
    assert (lead["primary_key"], lead["cursor_column"], lead["date_column"]) == ("id", "id", "createdAt")
    assert lead["columns"] == [
        {"name": "id", "type": "string", "nullable": False, "description": "fsm_<UUIDv7>"},
        {"name": "firstName", "type": "string", "nullable": True, "description": None},
        {"name": "createdAt", "type": "datetime", "nullable": False, "description": None},
        {"name": "formData", "type": "json", "nullable": True, "description": "The submitted form."},
    ]
    spend = {c["name"]: c["type"] for c in tables["campaign_spend_daily"]["columns"]}
    assert spend == {
        "id": "string",
        "campaignId": "string",
        "date": "datetime",
        "source": "string",
        "spendCents": "bigint_string",
    }
    supp = tables["acquisition_suppression"]
    assert (supp["primary_key"], supp["date_column"]) == ("person_id", "archived_at")
    assert [c["name"] for c in supp["columns"]] == ["person_id", "archived_at", "reason"]  # snake_case beside camelCase


@pytest.mark.parametrize("limit", [None, 97, 1000, 5000])
def test_walking_every_page_equals_a_direct_select(client: TestClient, direct: Any, limit: int | None) -> None:
    rows, pages = walk(client, "lead_intake", limit=limit)
    expected = expected_leads(direct)
    assert len(expected) == LEADS
    assert rows == expected
    size = limit or 1000
    assert pages == -(-LEADS // size)


def test_default_and_capped_page_sizes(client: TestClient) -> None:
    assert client.get(f"{URL}/lead_intake").json()["row_count"] == 1000
    capped = client.get(f"{URL}/lead_intake", params={"limit": 6000}).json()
    assert capped["row_count"] == 5000 and capped["has_more"] is True
    huge = client.get(f"{URL}/lead_intake", params={"limit": 10**30}).json()
    assert huge["row_count"] == 5000


def test_a_full_last_page_says_no_more(client: TestClient, direct: Any) -> None:
    """Exactly 5000 rows in range: one full page, has_more false (the probe for a 5001st row)."""
    (cut,) = direct.execute(
        'SELECT "createdAt" FROM growth.lead_intake ORDER BY "createdAt" LIMIT 1 OFFSET 5000'
    ).fetchone()
    until = cut.isoformat(timespec="milliseconds") + "Z"
    body = client.get(f"{URL}/lead_intake", params={"until": until, "limit": 5000}).json()
    assert body["row_count"] == 5000 and body["has_more"] is False and body["next_cursor"] is None
    more = client.get(f"{URL}/lead_intake", params={"until": until, "limit": 4999}).json()
    assert more["has_more"] is True
    rest = client.get(f"{URL}/lead_intake", params={"until": until, "cursor": more["next_cursor"]}).json()
    assert rest["row_count"] == 1 and rest["has_more"] is False


@pytest.mark.parametrize("bad", ["0", "-5", "abc", "1.5", ""])
def test_bad_limits_are_400_naming_limit(client: TestClient, bad: str) -> None:
    resp = client.get(f"{URL}/lead_intake?limit={bad}")
    assert resp.status_code == 400
    assert resp.json()["error"]["parameter"] == "limit"


def test_since_is_inclusive_and_until_exclusive(client: TestClient, direct: Any) -> None:
    (t,) = direct.execute('SELECT "createdAt" FROM growth.lead_intake ORDER BY id LIMIT 1 OFFSET 1234').fetchone()
    (u,) = direct.execute('SELECT "createdAt" FROM growth.lead_intake ORDER BY id LIMIT 1 OFFSET 4321').fetchone()
    lo, hi = sorted([t, u])
    lo_text = lo.isoformat(timespec="milliseconds") + "Z"
    hi_text = hi.isoformat(timespec="milliseconds") + "Z"
    rows, _ = walk(client, "lead_intake", since=lo_text, until=hi_text, limit=250)
    expected = expected_leads(direct, '"createdAt" >= ? AND "createdAt" < ?', [lo, hi])
    assert rows == expected
    created = {r["createdAt"] for r in rows}
    assert lo_text in created  # since is inclusive
    assert hi_text not in created  # until is exclusive
    only_lo, _ = walk(client, "lead_intake", since=lo_text, until=(lo.isoformat(timespec="milliseconds") + "1Z"))
    assert [r["createdAt"] for r in only_lo] == [lo_text] * len(only_lo) and only_lo


def test_offsets_and_date_only_bounds(client: TestClient, direct: Any) -> None:
    a = client.get(f"{URL}/lead_intake", params={"since": "2026-03-10T02:00:00+02:00", "limit": 5000}).json()
    b = client.get(f"{URL}/lead_intake", params={"since": "2026-03-10T00:00:00Z", "limit": 5000}).json()
    c = client.get(f"{URL}/lead_intake", params={"since": "2026-03-10", "limit": 5000}).json()
    assert a["rows"] == b["rows"] == c["rows"]
    (n,) = direct.execute(
        "SELECT count(*) FROM growth.lead_intake WHERE \"createdAt\" >= TIMESTAMP '2026-03-10'"
    ).fetchone()
    assert a["row_count"] == min(n, 5000)


def test_date_column_bounds(client: TestClient, direct: Any) -> None:
    def ids(**params: str) -> list[str]:
        return [r["id"] for r in walk(client, "campaign_spend_daily", limit=100, **params)[0]]

    def sql(where: str) -> list[str]:
        return [
            r[0]
            for r in direct.execute(f"SELECT id FROM growth.campaign_spend_daily WHERE {where} ORDER BY id").fetchall()
        ]

    assert ids(since="2026-03-05", until="2026-03-09") == sql("date >= DATE '2026-03-05' AND date < DATE '2026-03-09'")
    # a date counts at its midnight UTC: a bound one second after midnight skips that day
    assert ids(since="2026-03-05T00:00:01Z") == sql("date >= DATE '2026-03-06'")
    assert ids(until="2026-03-05T00:00:01Z") == sql("date <= DATE '2026-03-05'")
    assert len(ids()) == SPEND


def test_bad_dates_and_empty_ranges(client: TestClient) -> None:
    for params, parameter in [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"since": "2026-03-01' OR 1=1 --"}, "since"),
        ({"since": "2026-04-01", "until": "2026-04-01"}, "until"),
        ({"since": "2026-04-02", "until": "2026-04-01"}, "until"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "since"),  # before year 1 in UTC
        ({"until": "9999-12-31T23:00:00-02:00"}, "until"),  # after year 9999 in UTC
    ]:
        resp = client.get(f"{URL}/lead_intake", params=params)
        assert resp.status_code == 400, params
        assert resp.json()["error"]["parameter"] == parameter


def test_extreme_but_valid_bounds(client: TestClient) -> None:
    assert client.get(f"{URL}/campaign_spend_daily", params={"since": "9999-12-31T12:00:00Z"}).json()["row_count"] == 0
    everything = client.get(f"{URL}/campaign_spend_daily", params={"since": "0001-01-01", "limit": 5000}).json()
    assert everything["row_count"] == SPEND


def test_type_encoding(client: TestClient, direct: Any) -> None:
    resp = client.get(f"{URL}/campaign_spend_daily", params={"limit": 5000})
    raw = resp.text
    assert f'"spendCents":"{BIG_SPEND}"' in raw  # exact decimal string, not a rounded number
    rows = {r["id"]: r for r in resp.json()["rows"]}
    assert rows["csd_000011"]["spendCents"] is None
    assert rows["csd_000000"]["date"] == "2026-03-01T00:00:00.000Z"  # date-only → midnight UTC
    expected = dict(direct.execute('SELECT id, "spendCents"::VARCHAR FROM growth.campaign_spend_daily').fetchall())
    assert {k: v["spendCents"] for k, v in rows.items()} == expected
    leads = client.get(f"{URL}/lead_intake", params={"limit": 20}).json()["rows"]
    assert leads[0]["formData"] is None and leads[0]["firstName"] is None  # nulls are JSON null
    assert leads[1]["formData"] == {"discipline": "piano", "n": 1, "tags": ["a", "b"]}
    assert all(ISO_MS.match(r["createdAt"]) for r in leads)
    supp = client.get(f"{URL}/acquisition_suppression", params={"limit": 100}).json()
    assert supp["row_count"] == SUPPRESSED
    assert supp["rows"][3]["archived_at"] == "2026-03-02T09:00:00.021Z"  # BASE + 33 h + 21 ms
    walked, pages = walk(client, "acquisition_suppression", limit=7)
    assert walked == supp["rows"] and pages == -(-SUPPRESSED // 7)


def test_cursor_tampering_is_rejected(client: TestClient) -> None:
    first = client.get(f"{URL}/lead_intake", params={"limit": 10}).json()
    cursor = first["next_cursor"]
    body, tag = cursor.split(".")
    payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["k"] = ["fsm_0"]  # rewind the walk by editing the key
    forged = base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode() + "." + tag
    flipped = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]
    for bad in [forged, flipped, cursor[:-3], "garbage", "a.b", cursor + "x", "." + tag]:
        resp = client.get(f"{URL}/lead_intake", params={"cursor": bad})
        assert resp.status_code == 400, bad
        err = resp.json()["error"]
        assert err["parameter"] == "cursor"
    other = client.get(f"{URL}/acquisition_suppression", params={"cursor": cursor})
    assert other.status_code == 400 and "another table" in other.json()["error"]["message"]
    ok = client.get(f"{URL}/lead_intake", params={"cursor": cursor, "limit": 10}).json()
    assert ok["rows"][0]["id"] > first["rows"][-1]["id"]


def test_cursor_from_another_server_is_rejected(serve_root: Any, tokens_file: Any, client: TestClient) -> None:
    from canon.serve.app import create_app
    from canon.serve.settings import ServeSettings
    from tests.serve.conftest import NO_ENV_TOKENS

    other = create_app(
        ServeSettings(project=serve_root, tokens_file=tokens_file, tokens_env=NO_ENV_TOKENS, cursor_secret="t" * 32)
    )
    with TestClient(other) as c:
        c.headers.update(client.headers)
        foreign = c.get(f"{URL}/lead_intake", params={"limit": 3}).json()["next_cursor"]
    assert client.get(f"{URL}/lead_intake", params={"cursor": foreign}).status_code == 400


def test_unknown_domain_and_table(client: TestClient) -> None:
    resp = client.get("/api/warehouse/sales/lead_intake")
    assert resp.status_code == 404
    assert resp.json()["error"] == {
        "code": "unknown_domain",
        "message": "no warehouse domain `sales` is served",
        "parameter": "domain",
        "accepted": ["growth"],
    }
    resp = client.get(f"{URL}/touchpoint")
    assert resp.status_code == 404
    err = resp.json()["error"]
    assert (err["code"], err["parameter"]) == ("unknown_table", "table")
    assert err["accepted"] == ["acquisition_suppression", "campaign_spend_daily", "lead_intake"]
    assert client.get(f"{URL}/lead_intake;DROP TABLE x").status_code == 404


def test_page_queries_never_use_offset(client: TestClient, direct: Any) -> None:
    """The page SQL is a keyset seek: WHERE key > :k0 ORDER BY key LIMIT n+1, no OFFSET, values bound."""
    from canon.serve.warehouse.paging import Bounds, Shape, fetch_page, statement_sql

    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    table = ctx.domains["growth"].tables["lead_intake"]
    served = statement_sql(table, "duckdb", Shape(since=True, until=False, key=True), 101)
    assert "OFFSET" not in served.upper() and "LIMIT 101" in served
    assert "$since" in served and "$k0" in served  # the values are bound, never written into the SQL
    hostile = "fsm_x' OR '1'='1"  # as a bound value it is only a string to compare with
    page = fetch_page(ctx.pool.get(), table, Bounds(datetime(2026, 3, 1), None), (hostile,), 100)
    after = 'SELECT count(*) FROM growth.lead_intake WHERE id > ? AND "createdAt" >= ?'
    want = direct.execute(after, [hostile, datetime(2026, 3, 1)]).fetchone()[0]
    assert page.rows.num_rows == min(want, 100)  # spliced, `OR '1'='1'` would return a full page


def cursor_on_date_yml(warehouse: str) -> str:
    """The fixture's growth domain with campaign_spend_daily paged on its (non-unique) date."""
    serve_only = SERVE_YML.split("  sections:")[0]
    paged_on_date = "primary_key: id\n          cursor_column: date\n          date_column: date"
    assert "primary_key: id\n          date_column: date" in serve_only
    return f"name: cursor\n{warehouse}\n" + serve_only.replace(
        "primary_key: id\n          date_column: date", paged_on_date
    )


def test_walk_on_a_non_unique_cursor_column(serve_root: Any, tokens_file: Any, direct: Any, tmp_path: Any) -> None:
    """cursor_column `date` (4 rows a day) pages on (date, id): ties that straddle a page boundary
    are neither skipped nor served twice, whatever the page size."""
    root = tmp_path / "cursor-on-date"
    root.mkdir()
    db = serve_root / "warehouse.duckdb"
    (root / "canon.yml").write_text(cursor_on_date_yml(f"warehouse: {{engine: duckdb, path: '{db}'}}"))
    want = [r[0] for r in direct.execute("SELECT id FROM growth.campaign_spend_daily ORDER BY date, id").fetchall()]
    later = [
        r[0]
        for r in direct.execute(
            "SELECT id FROM growth.campaign_spend_daily WHERE date >= DATE '2026-03-09' ORDER BY date, id"
        ).fetchall()
    ]
    app = create_app(settings_for(root, tokens_file))
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {TOKENS['them_os']}"
        manifest = c.get(f"{URL}/manifest").json()
        spend = next(t for t in manifest["tables"] if t["table"] == "campaign_spend_daily")
        assert (spend["primary_key"], spend["cursor_column"]) == ("id", "date")
        for limit in (3, 4, 5, 400):
            rows, pages = walk(c, "campaign_spend_daily", limit=limit)
            assert [r["id"] for r in rows] == want, limit
            assert pages == -(-len(want) // limit)
        rows, _ = walk(c, "campaign_spend_daily", since="2026-03-09", limit=3)
        assert [r["id"] for r in rows] == later
