"""The warehouse API over a real PostgreSQL warehouse (where the growth contract reads from).

The same growth rows are loaded into PostgreSQL with native types (jsonb, timestamp(3),
timestamptz, date, bigint); walking every table through the API must give exactly the JSON
the DuckDB-backed API gives (itself checked against direct SQL in test_warehouse.py), and the
page query must be a keyset seek the planner answers from the primary-key index.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from canon.serve.app import create_app
from tests.serve.conftest import settings_for
from tests.serve.fixture import SERVE_YML, TOKENS, lead_rows, spend_rows, suppression_rows
from tests.serve.test_warehouse import walk
from tests.support.postgres import fresh_database

DDL = [
    "CREATE SCHEMA growth",
    'CREATE TABLE growth.lead_intake (id text PRIMARY KEY, "firstName" text, "createdAt" timestamp(3) NOT NULL, '
    '"formData" jsonb)',
    'CREATE TABLE growth.campaign_spend_daily (id text PRIMARY KEY, "campaignId" text, date date, source text, '
    '"spendCents" bigint)',
    "CREATE TABLE growth.acquisition_suppression (person_id text PRIMARY KEY, archived_at timestamptz(3), reason text)",
]


@pytest.fixture(scope="module")
def pg_root(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import psycopg

    dsn = fresh_database(pg_server, "serve_growth")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in DDL:
            conn.execute(statement.encode())
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO growth.lead_intake VALUES (%s, %s, %s, %s)", lead_rows())
            cur.executemany("INSERT INTO growth.campaign_spend_daily VALUES (%s, %s, %s, %s, %s)", spend_rows())
            cur.executemany(
                "INSERT INTO growth.acquisition_suppression VALUES (%s, %s, %s)",
                [(p, t.replace(tzinfo=UTC), r) for p, t, r in suppression_rows()],
            )
        conn.execute("ANALYZE")
    root = tmp_path_factory.mktemp("serve-pg")
    serve_only = SERVE_YML.split("  sections:")[0]  # the mart lives in DuckDB only
    (root / "canon.yml").write_text(f"name: pg\nwarehouse: {{engine: postgres, dsn: '{dsn}'}}\n{serve_only}")
    return root


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_serves_what_duckdb_serves(pg_root: Path, tokens_file: Path, client: TestClient) -> None:
    app = create_app(settings_for(pg_root, tokens_file))
    with TestClient(app) as pg:
        pg.headers["Authorization"] = f"Bearer {TOKENS['forecast']}"
        manifest = pg.get("/api/warehouse/growth/manifest").json()
        types = {t["table"]: {c["name"]: c["type"] for c in t["columns"]} for t in manifest["tables"]}
        assert types["lead_intake"] == {
            "id": "string",
            "firstName": "string",
            "createdAt": "datetime",
            "formData": "json",
        }
        assert types["campaign_spend_daily"]["spendCents"] == "bigint_string"
        for table, params in [
            ("lead_intake", {"limit": 1000}),
            ("lead_intake", {"since": "2026-03-10T02:00:00+02:00", "until": "2026-04-01", "limit": 333}),
            ("campaign_spend_daily", {"since": "2026-03-05", "until": "2026-03-30T12:00:00Z", "limit": 50}),
            ("acquisition_suppression", {"limit": 7}),
        ]:
            got, _ = walk(pg, table, **params)
            want, _ = walk(client, table, **params)
            key = "person_id" if table == "acquisition_suppression" else "id"
            assert sorted(got, key=lambda r: r[key]) == sorted(want, key=lambda r: r[key]), (table, params)
            assert len({r[key] for r in got}) == len(got)  # no row served twice across pages


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_page_is_an_index_seek(pg_root: Path, tokens_file: Path) -> None:
    from canon.serve.warehouse.paging import Shape, statement_sql

    app = create_app(settings_for(pg_root, tokens_file))
    with TestClient(app):
        ctx: Any = app.state.ctx
        engine = ctx.pool.get()
        table = ctx.domains["growth"].tables["lead_intake"]
        sql = statement_sql(table, "postgres", Shape(since=False, until=False, key=True), 100)  # what runs
        explained = engine.conn.execute(("EXPLAIN " + sql).encode(), {"k0": "fsm_019600000800"}).fetchall()
        plan = "\n".join(str(r[0]) for r in explained)
        assert "Index Scan" in plan and "lead_intake_pkey" in plan, plan
        assert "Sort" not in plan.split("->")[0]
        sql_since = statement_sql(table, "postgres", Shape(since=True, until=False, key=False), 100)
        assert "OFFSET" not in sql_since.upper()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_walk_on_a_non_unique_cursor_column(pg_root: Path, tokens_file: Path, tmp_path: Path) -> None:
    """The (date, id) keyset with bound parameters on PostgreSQL: every row once, in order."""
    import psycopg

    from tests.serve.test_warehouse import cursor_on_date_yml

    dsn = pg_root.joinpath("canon.yml").read_text().split("dsn: '", 1)[1].split("'", 1)[0]
    root = tmp_path / "cursor-on-date-pg"
    root.mkdir()
    (root / "canon.yml").write_text(cursor_on_date_yml(f"warehouse: {{engine: postgres, dsn: '{dsn}'}}"))
    with psycopg.connect(dsn) as conn:
        want = [r[0] for r in conn.execute(b"SELECT id FROM growth.campaign_spend_daily ORDER BY date, id")]
    app = create_app(settings_for(root, tokens_file))
    with TestClient(app) as pg:
        pg.headers["Authorization"] = f"Bearer {TOKENS['forecast']}"
        for limit in (3, 5000):
            rows, _ = walk(pg, "campaign_spend_daily", limit=limit)
            assert [r["id"] for r in rows] == want, limit
