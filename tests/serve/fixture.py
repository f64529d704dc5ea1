"""A small project to serve: the tiny metrics warehouse plus a growth domain and a finance mart.

Everything is written by hand here with the shapes the lessons example produces (schema
`growth` with camelCase and snake_case tables, schema `mart` with the manifests' columns and
contracts carrying `mart: {section, grouping, key}`), so the serve tests depend on conventions, not on the
generator. Figures the tests assert are recomputed in the tests with their own SQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from tests.compiler.fixture import write_project

TOKENS = {
    "them_os": "them-os-token-0123456789abcdef",
    "forecast": "forecast-token-fedcba9876543210",
}
LEADS = 5_503  # above the 5000 page cap, not a multiple of any page size used in tests
SPEND = 401
SUPPRESSED = 61
BASE = datetime(2026, 3, 1, 0, 0, 0)
BIG_SPEND = 9_007_199_254_740_993  # 2**53 + 1: loses precision as a JSON (JS) number
ORG_MARKETS = [
    ("org_piano", "piano", "mkt_berlin", "berlin", "piano-berlin", "pf_main"),
    ("org_piano", "piano", "mkt_paris", "paris", "piano-paris", "pf_main"),
    ("org_swim", "swim", "mkt_berlin", "berlin", "swim-berlin", "pf_main"),
]
PERIODS = ["2026-03", "2026-04", "2026-05"]
WEEKS = ["2026-W13", "2026-W14", "2026-W18", "2026-W19"]
AS_OF = datetime(2026, 5, 19, 6, 30, 0, 123000)

SERVE_YML = """\
serve:
  rate_limit: {rate: 1000, burst: 1000}
  domains:
    growth:
      schema: growth
      description: Growth-domain raw data.
      tables:
        lead_intake:
          description: One row per form submission.
          primary_key: id
          date_column: createdAt
          columns:
            id: {description: "fsm_<UUIDv7>"}
            formData: {type: json, description: The submitted form.}
        campaign_spend_daily:
          description: One row per (campaign, date, source).
          primary_key: id
          date_column: date
          columns:
            spendCents: {type: bigint_string}
        acquisition_suppression:
          description: One row per archived person.
          primary_key: person_id
          date_column: archived_at
  sections:
    ledger:
      schema: mart
      groupings:
        recognition: {table: revenue_recognition, period_column: reporting_period}
"""

GEO = [
    ("organization_id", "VARCHAR"),
    ("organization_slug", "VARCHAR"),
    ("market_id", "VARCHAR"),
    ("market_slug", "VARCHAR"),
    ("org_market_id", "VARCHAR"),
]
MONTH = [("reporting_period", "VARCHAR"), ("reporting_period_grain", "VARCHAR")]
AS_OF_COL = [("as_of", "TIMESTAMP")]

# grouping → (dotted path, columns, nullable columns)
MART: dict[str, tuple[str, list[tuple[str, str]], set[str]]] = {
    "revenue_recognition": (
        "revenue_recognition",
        [
            *MONTH,
            *GEO,
            ("recognized_revenue_cents", "BIGINT"),
            ("gross_recognized_revenue_cents", "BIGINT"),
            ("contra_revenue_cents", "BIGINT"),
            ("recognition_count", "BIGINT"),
            ("has_exception", "BOOLEAN"),
            *AS_OF_COL,
        ],
        set(),
    ),
    "reconciliation": (
        "reconciliation",
        [
            *MONTH,
            *GEO,
            ("figure_name", "VARCHAR"),
            ("reported_amount_cents", "BIGINT"),
            ("source_amount_cents", "BIGINT"),
            ("variance_cents", "BIGINT"),
            ("tolerance_cents", "BIGINT"),
            ("reconciliation_status", "VARCHAR"),
            ("variance_reason", "VARCHAR"),
            *AS_OF_COL,
        ],
        {"reported_amount_cents", "source_amount_cents", "variance_cents", "variance_reason"},
    ),
    "cash_position": (
        "cash_position",
        [*MONTH, *GEO, ("cash_received_cents", "BIGINT"), ("net_cash_cents", "BIGINT"), *AS_OF_COL],
        set(),
    ),
    "margin": (
        "margin",
        [
            *MONTH,
            *GEO,
            ("recognized_revenue_cents", "BIGINT"),
            ("direct_cost_cents", "BIGINT"),
            ("gross_margin_cents", "BIGINT"),
            ("null_reason", "VARCHAR"),
            *AS_OF_COL,
        ],
        {"direct_cost_cents", "gross_margin_cents", "null_reason"},
    ),
    "pnl_summary": (
        "pnl.pnl_summary",
        [
            ("geography_key", "VARCHAR"),
            ("geography_grain", "VARCHAR"),
            ("reporting_period", "VARCHAR"),
            ("recognized_revenue_cents", "BIGINT"),
            ("contribution_margin_cents", "BIGINT"),
            ("operating_expense_cents", "BIGINT"),
            ("net_income_cents", "BIGINT"),
            *AS_OF_COL,
        ],
        {"operating_expense_cents", "net_income_cents"},
    ),
    "revenue_per_active_student": (
        "unit_economics.revenue_per_active_student",
        [
            ("org_market_id", "VARCHAR"),
            ("week", "VARCHAR"),
            ("recognized_revenue_cents", "BIGINT"),
            ("active_student_count", "BIGINT"),
            ("revenue_per_active_student_cents", "BIGINT"),
            ("null_reason", "VARCHAR"),
            *AS_OF_COL,
        ],
        {"active_student_count", "revenue_per_active_student_cents", "null_reason"},
    ),
    "revenue_concentration": (
        "unit_economics.revenue_concentration",
        [
            ("org_market_id", "VARCHAR"),
            ("reporting_period", "VARCHAR"),
            ("top_n_revenue_cents", "BIGINT"),
            ("total_revenue_cents", "BIGINT"),
            ("concentration_ratio_bps", "BIGINT"),
            *AS_OF_COL,
        ],
        set(),
    ),
}
LEVELS = ["org_market", "organization", "portfolio"]


def _revenue(period: str, om_index: int) -> int:
    return 1_000_000 + PERIODS.index(period) * 250_001 + om_index * 77_777


def _mart_rows(name: str) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    if name == "pnl_summary":
        for p in PERIODS:
            revs = [_revenue(p, i) for i in range(len(ORG_MARKETS))]
            for i, om in enumerate(ORG_MARKETS):
                rows.append((om[4], "org_market", p, revs[i], revs[i] - 300_000, None, None, AS_OF))
            for org in sorted({om[0] for om in ORG_MARKETS}):
                r = sum(revs[i] for i, om in enumerate(ORG_MARKETS) if om[0] == org)
                rows.append((org, "organization", p, r, r - 300_000, None, None, AS_OF))
            rows.append(("pf_main", "portfolio", p, sum(revs), sum(revs) - 900_000, 50_000, sum(revs) - 950_000, AS_OF))
        return rows
    if name == "revenue_per_active_student":
        for w in WEEKS:
            for i, om in enumerate(ORG_MARKETS):
                students = 3 + i * 4  # 3 is under the cohort floor of 5
                rev = 40_000 + i * 1_000
                per = None if students < 5 else rev // students
                rows.append((om[4], w, rev, students, per, "null:insufficient_data" if per is None else None, AS_OF))
        return rows
    if name == "revenue_concentration":
        for p in PERIODS:
            for i, om in enumerate(ORG_MARKETS):
                total = _revenue(p, i)
                top = total // 3
                rows.append((om[4], p, top, total, round(top * 10_000 / total), AS_OF))
        return rows
    for p in PERIODS:
        for i, om in enumerate(ORG_MARKETS):
            geo = (p, "month", *om[:5])
            rev = _revenue(p, i)
            if name == "revenue_recognition":
                rows.append((*geo, rev, rev + 1_500, 1_500, 40 + i, i == 1, AS_OF))
            elif name == "reconciliation":
                rows.append((*geo, "recognized_revenue", rev, rev, 0, 0, "reconciled", None, AS_OF))
                rows.append(
                    (*geo, "margin_cost", None, None, None, 0, "not_reconcilable_missing_source", "no cost", AS_OF)
                )
            elif name == "cash_position":
                rows.append((*geo, rev + 9_999, rev + 5_000, AS_OF))
            elif name == "margin":
                cost = None if i == 2 else rev // 2
                rows.append(
                    (
                        *geo,
                        rev,
                        cost,
                        None if cost is None else rev - cost,
                        "null:upstream_unavailable" if cost is None else None,
                        AS_OF,
                    )
                )
    return rows


_SERVED_TYPE = {"VARCHAR": "string", "BIGINT": "integer", "BOOLEAN": "boolean", "TIMESTAMP": "timestamp"}


def _contract(name: str) -> str:
    path, columns, nullable = MART[name]
    served = []
    for col, typ in columns:
        kind = _SERVED_TYPE[typ]
        extra = ""
        if col == "geography_grain":
            kind, extra = "string_enum", f", enum: [{', '.join(LEVELS)}]"
        null = ", nullable: true" if col in nullable else ""
        served.append(f"  - {{name: {col}, type: {kind}{null}{extra}}}")
    period = "week" if name == "revenue_per_active_student" else "reporting_period"
    grain_time = "week" if name == "revenue_per_active_student" else "month"
    keys = "[geography_grain, geography_key]" if name == "pnl_summary" else "[org_market_id]"
    rollup = (
        "rollup: {rule: sum, hierarchy: [org_market, organization, portfolio], "
        "keys: {org_market: org_market_id, organization: organization_id, portfolio: portfolio_id}, "
        "level_column: geography_grain, key_column: geography_key}\n"
        if name == "pnl_summary"
        else ""
    )
    return (
        f"name: {name}\n"
        f"description: Finance mart grouping {name}, materialized by the mart build.\n"
        "owner: finance\nstatus: authoritative\n"
        f"served_by: mart.{name}\n"
        f"mart: {{section: finance, grouping: {path}, key: org_market_id}}\n"
        f"grain: {{time: {grain_time}, period_column: {period}, keys: {keys}}}\n"
        f"{rollup}"
        "served_columns:\n" + "\n".join(served) + "\n"
        "composition: {type: sql, sql: 'SELECT 1 AS x', sources: [mart.source]}\n"
    )


def lead_rows() -> list[tuple[Any, ...]]:
    """Ids sort by insertion; createdAt is scrambled against id, so date filters hit scattered ids."""
    rows = []
    for i in range(LEADS):
        created = BASE + timedelta(minutes=37 * ((i * 7919) % LEADS), milliseconds=(i * 131) % 1000)
        ident = f"fsm_0196{i:08x}-7{i % 4096:03x}-8{(i * 2654435761) % 16**15:015x}"
        first = None if i % 13 == 0 else f"Name{i}"
        form = None if i % 17 == 0 else orjson.dumps({"discipline": "piano", "n": i, "tags": ["a", "b"]}).decode()
        rows.append((ident, first, created, form))
    return rows


def spend_rows() -> list[tuple[Any, ...]]:
    rows = []
    for i in range(SPEND):
        cents = BIG_SPEND if i % 50 == 7 else (None if i == 11 else 1_000 + i * 37)
        day = (BASE + timedelta(days=i // 4)).date()
        rows.append((f"csd_{i:06d}", f"cmp_{i % 6:02d}", day, "meta_ads" if i % 2 else "google_ads", cents))
    return rows


def suppression_rows() -> list[tuple[Any, ...]]:
    return [
        (f"per_{i:05d}", BASE + timedelta(hours=11 * i, milliseconds=i * 7), ["person_archived", "gdpr_erasure"][i % 2])
        for i in range(SUPPRESSED)
    ]


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Bulk insert through Arrow (row-by-row executemany is far too slow for thousands of rows)."""
    data = pa.table({f"c{i}": list(col) for i, col in enumerate(zip(*rows, strict=True))})
    con.register("incoming", data)
    con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
    con.unregister("incoming")


def write_serve_project(root: Path, audit: dict[str, Any] | None = None) -> Path:
    """The tiny project + growth schema + finance mart + contracts + serve config (+ an audit)."""
    write_project(root)
    with (root / "canon.yml").open("a") as fh:
        fh.write(SERVE_YML)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA growth")
    con.execute(
        'CREATE TABLE growth.lead_intake (id VARCHAR NOT NULL, "firstName" VARCHAR, "createdAt" TIMESTAMP(3) NOT NULL, '
        '"formData" JSON)'
    )
    _insert(con, "growth.lead_intake", lead_rows())
    con.execute(
        'CREATE TABLE growth.campaign_spend_daily (id VARCHAR, "campaignId" VARCHAR, date DATE, source VARCHAR, '
        '"spendCents" BIGINT)'
    )
    _insert(con, "growth.campaign_spend_daily", spend_rows())
    con.execute(
        "CREATE TABLE growth.acquisition_suppression (person_id VARCHAR, archived_at TIMESTAMP(3), reason VARCHAR)"
    )
    _insert(con, "growth.acquisition_suppression", suppression_rows())
    con.execute("CREATE SCHEMA mart")
    for name, (_, columns, _) in MART.items():
        ddl = ", ".join(f'"{c}" {t}' for c, t in columns)
        con.execute(f"CREATE TABLE mart.{name} ({ddl})")
        _insert(con, f"mart.{name}", _mart_rows(name))
    con.close()
    folder = root / "metrics" / "finance"
    folder.mkdir(parents=True, exist_ok=True)
    for name in MART:
        (folder / f"{name}.yml").write_text(_contract(name))
    if audit is not None:
        target = root / ".canon" / "audit" / f"{audit['metric']}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(orjson.dumps(audit))
    return root


def write_tokens(path: Path, tokens: dict[str, str]) -> Path:
    path.write_text("# consumers of the test API\n" + "".join(f"{c}={t}\n" for c, t in tokens.items()))
    return path
