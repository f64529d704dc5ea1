"""The ledger's hand figures hold: each model's own SQL and a hand query over the raw tables, run
by DuckDB alone (no canon code), give the cents written in ledger.py's docstring."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.audit.rows.ledger import MODEL_CENTS, MODELS

MARCH = "m >= date '2026-03-01' and m < date '2026-04-01'"
HAND = {  # what each figure is, restated over the raw tables only
    "latest_then_paid": "select sum(total) from raw_invoice_versions v where status = 'paid'"
    " and issued_on >= '2026-03-01' and issued_on < '2026-04-01'"
    " and not exists (select 1 from raw_invoice_versions w where w.invoice_id = v.invoice_id"
    "   and (w.updated_at, w.version) > (v.updated_at, v.version))",
    "billed_lines_per_attempt": "select sum(l.amount * (select count(*) from raw_attempts a"
    "   where a.invoice_id = l.invoice_id)) from raw_invoice_lines l"
    " join raw_invoices i using (invoice_id)"
    " where i.status = 'paid' and i.issued_on between '2026-03-01' and '2026-03-31'",
    "north_america_cash": "select sum(a.amount) from raw_attempts a join raw_customers c using (customer_id)"
    " where a.outcome = 'succeeded' and c.country in ('US', 'CA')"
    " and a.attempted_on between '2026-03-01' and '2026-03-31'",
    "customer_cash": "select sum(amount) from raw_attempts where outcome = 'succeeded'"
    " and customer_id in (select customer_id from raw_customers)"
    " and attempted_on between '2026-03-01' and '2026-03-31'",
    "cash_not_excluded": "select sum(amount) from raw_attempts where outcome = 'succeeded'"
    " and customer_id not in ('C3', 'C4') and attempted_on between '2026-03-01' and '2026-03-31'",
}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    from tests.audit.rows.ledger import write_ledger

    root: Path = write_ledger(tmp_path_factory.mktemp("ledger_raw"))
    return duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)


@pytest.mark.parametrize("name", sorted(MODEL_CENTS))
def test_each_model_sums_to_its_hand_figure(con: duckdb.DuckDBPyConnection, name: str) -> None:
    sql = MODELS[name].replace("stg_attempts", f"({MODELS['stg_attempts']})")  # the model it reads, inlined
    period = next(k for k in ("m", "cash_month") if f" as {k}" in sql)
    value = next(a for a in ("revenue", "cash") if f" as {a}" in sql)
    got = con.execute(
        f"select cast(round(100 * sum({value})) as bigint) from ({sql}) t where {MARCH.replace('m ', period + ' ')}"
    ).fetchone()
    assert got is not None and got[0] == MODEL_CENTS[name]


@pytest.mark.parametrize("name", sorted(HAND))
def test_hand_queries_agree(con: duckdb.DuckDBPyConnection, name: str) -> None:
    got = con.execute(f"select cast(round(100 * ({HAND[name]})) as bigint)").fetchone()
    assert got is not None and got[0] == MODEL_CENTS[name]
