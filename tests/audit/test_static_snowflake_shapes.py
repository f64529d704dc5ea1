"""Two Snowflake spellings read in static mode (no warehouse): a lateral column alias and the
`<> ALL (subquery)` sqlglot reads `NOT IN (subquery)` as.

The staging model defines `invoice_ts_pt` and uses it in the same SELECT (a lateral alias): the
period is the raw `invoice_ts` converted, never a raw column named `invoice_ts_pt`. The mart
excludes test accounts with `NOT IN (select …)`: an anti-join on the seed, as `NOT EXISTS` is.
"""

from __future__ import annotations

from pathlib import Path

from canon.project import load_project

STAGING = """\
SELECT
    invoice_id,
    account_id,
    invoice_ts,
    CONVERT_TIMEZONE('UTC', 'America/Los_Angeles', invoice_ts) AS invoice_ts_pt,
    DATE_TRUNC('month', invoice_ts_pt)::DATE AS invoice_month,
    amount::NUMBER(12, 2) AS amount,
    status
FROM raw_invoices
"""
MART = """\
SELECT invoice_month, SUM(amount) AS revenue
FROM stg_invoices AS i
WHERE status = 'paid'
  AND account_id NOT IN (SELECT account_id FROM test_accounts)
GROUP BY invoice_month
"""


def test_lateral_alias_and_not_in_are_read_from_snowflake_sql(tmp_path: Path) -> None:
    (tmp_path / "canon.yml").write_text(
        'name: sf\nwarehouse: {engine: duckdb, path: nowhere.duckdb}\ncurrent_period: "2026-10"\n'
    )
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "stg_invoices.sql").write_text(STAGING)
    (sql / "fct_revenue.sql").write_text(MART)
    project = load_project(tmp_path)
    try:
        result = project.audit("revenue", sql_dir=sql, dialect="snowflake", static=True, with_history=False)
    finally:
        project.close()
    (d,) = result.definitions
    basis = d.vector.time_basis
    assert [str(c).lower() for c in basis.columns] == ["raw_invoices.invoice_ts"]
    assert basis.time_zone == "America/Los_Angeles"
    (match,) = d.vector.matches
    assert not match.present and match.other.table.lower() == "test_accounts"
