"""Static mode (no warehouse read): row decisions written in the SQL are still read — the
deduplication window and the exclusion list — while a fan-out, which only the data can show
(is the join key repeated on the other side?), is never guessed."""

from __future__ import annotations

from pathlib import Path

from canon.project import load_project
from tests.audit.rows.ledger import MODELS


def test_static_row_decisions(tmp_path: Path) -> None:
    (tmp_path / "canon.yml").write_text(
        'name: st\nwarehouse: {engine: duckdb, path: nowhere.duckdb}\ncurrent_period: "2026-03"\n'
    )
    sql = tmp_path / "sql"
    sql.mkdir()
    # every_version_paid names the versions' columns that latest_qualify reads through `select *`
    # (static mode knows a raw table's columns from the SQL alone)
    names = ("every_version_paid", "latest_qualify", "cash_not_excluded", "billed_lines_per_attempt", "customer_cash")
    for name in names:
        (sql / f"{name}.sql").write_text(MODELS[name])
    project = load_project(tmp_path)
    try:
        # no contract: the revenue-named models are one audit, the cash-named ones another
        results = [
            project.audit(metric, sql_dir=sql, dialect="duckdb", static=True, with_history=False)
            for metric in ("revenue", "cash")
        ]
    finally:
        project.close()
    assert not (tmp_path / "nowhere.duckdb").exists()
    by = {d.model: d.vector for result in results for d in result.definitions}
    assert [d.describe() for d in by["latest_qualify"].dedup] == [
        "latest version only: one row of raw_invoice_versions per invoice_id by updated_at desc, version desc"
    ]
    assert [str(m.other) for m in by["cash_not_excluded"].matches] == ["raw_excluded.customer_id"]
    assert [str(m.other) for m in by["customer_cash"].matches] == ["raw_customers.customer_id"]  # written: LEFT side
    assert by["billed_lines_per_attempt"].fanout == ()
    assert by["every_version_paid"].dedup == ()


def test_an_exists_through_a_staging_model_excludes_the_subquery_table(tmp_path: Path) -> None:
    """`NOT EXISTS (select 1 from stg_test t where t.account_id = i.account_id)`: the excluded rows
    are those with a match in the test-account table the staging model reads (Snowflake case)."""
    (tmp_path / "canon.yml").write_text(
        'name: st\nwarehouse: {engine: duckdb, path: nowhere.duckdb}\ncurrent_period: "2026-03"\n'
    )
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "stg_test.sql").write_text("SELECT ACCOUNT_ID FROM TEST_ACCOUNTS")
    (sql / "revenue_no_tests.sql").write_text(
        "SELECT DATE_TRUNC('MONTH', I.INVOICED_ON) AS M, SUM(I.AMOUNT) AS REVENUE\n"
        "FROM RAW_INVOICES I\n"
        "WHERE NOT EXISTS (SELECT 1 FROM STG_TEST T WHERE T.ACCOUNT_ID = I.ACCOUNT_ID)\n"
        "GROUP BY 1"
    )
    project = load_project(tmp_path)
    try:
        result = project.audit("revenue", sql_dir=sql, dialect="snowflake", static=True, with_history=False)
    finally:
        project.close()
    (d,) = result.definitions
    (match,) = d.vector.matches
    assert not match.present
    assert match.other.table.lower() == "test_accounts" and match.own.table.lower() == "raw_invoices"
