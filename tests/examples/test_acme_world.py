"""The ACME seed data: exact counts, enum domains and the world rules, checked with SQL on the CSVs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from canon.examples import ExampleOptions, init_example
from tests.examples.conftest import MONTH_END, MONTH_START, seeds_connection


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> object:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None
    return row[0]


def test_row_counts_are_exact(acme_seeds: duckdb.DuckDBPyConnection) -> None:
    counts = {t: one(acme_seeds, "select count(*) from " + t) for t in ("raw_accounts", "raw_contracts")}
    counts |= {t: one(acme_seeds, "select count(*) from " + t) for t in ("raw_invoices", "raw_payments")}
    assert counts == {"raw_accounts": 85, "raw_contracts": 120, "raw_invoices": 480, "raw_payments": 460}


def test_csv_headers_are_the_walkthrough_columns(acme_dir: Path) -> None:
    headers = {p.stem: p.read_text().splitlines()[0] for p in (acme_dir / "seeds").glob("*.csv")}
    assert headers == {
        "raw_accounts": "account_id,name,segment,industry,sales_rep,created_at",
        "raw_contracts": "contract_id,account_id,start_date,end_date,annual_value,type,status",
        "raw_invoices": "invoice_id,account_id,contract_id,invoice_date,amount,type,status",
        "raw_payments": "payment_id,account_id,invoice_id,payment_date,amount,refunded",
    }


@pytest.mark.parametrize(
    ("table", "column", "values"),
    [
        ("raw_accounts", "segment", {"enterprise", "mid-market", "smb"}),
        ("raw_contracts", "type", {"recurring", "pilot", "one-time"}),
        ("raw_contracts", "status", {"active", "churned", "pending"}),
        ("raw_invoices", "type", {"subscription", "setup", "credit"}),
        ("raw_invoices", "status", {"paid", "pending", "void"}),
    ],
)
def test_enum_domains_are_exactly_the_walkthrough_values(
    acme_seeds: duckdb.DuckDBPyConnection, table: str, column: str, values: set[str]
) -> None:
    seen = {r[0] for r in acme_seeds.execute("select distinct " + column + " from " + table).fetchall()}
    assert seen == values


def test_keys_are_unique_and_foreign_keys_resolve(acme_seeds: duckdb.DuckDBPyConnection) -> None:
    for table, key in (
        ("raw_accounts", "account_id"),
        ("raw_contracts", "contract_id"),
        ("raw_invoices", "invoice_id"),
        ("raw_payments", "payment_id"),
    ):
        assert one(acme_seeds, "select count(*) - count(distinct " + key + ") from " + table) == 0
    orphans = """
        select
            (select count(*) from raw_contracts c anti join raw_accounts a using (account_id)),
            (select count(*) from raw_invoices i anti join raw_contracts c using (contract_id)),
            (select count(*) from raw_invoices i anti join raw_accounts a using (account_id)),
            (select count(*) from raw_payments p anti join raw_invoices i using (invoice_id)),
            (select count(*) from raw_payments p anti join raw_accounts a using (account_id))
    """
    assert acme_seeds.execute(orphans).fetchone() == (0, 0, 0, 0, 0)
    assert one(acme_seeds, "select min(account_id) from raw_accounts") == "ACC-0001"


def test_invoice_account_is_its_contracts_account(acme_seeds: duckdb.DuckDBPyConnection) -> None:
    mismatched = one(
        acme_seeds,
        "select count(*) from raw_invoices i join raw_contracts c using (contract_id) "
        "where i.account_id <> c.account_id",
    )
    assert mismatched == 0
    assert (
        one(
            acme_seeds,
            "select count(*) from raw_payments p join raw_invoices i using (invoice_id) "
            "where p.account_id <> i.account_id",
        )
        == 0
    )


def test_subscription_invoices_are_annual_over_12_once_a_month(acme_seeds: duckdb.DuckDBPyConnection) -> None:
    off = one(
        acme_seeds,
        """select count(*) from raw_invoices i join raw_contracts c using (contract_id)
           where i.type = 'subscription' and i.amount * 12 <> c.annual_value""",
    )
    assert off == 0
    only_recurring_or_pilot = one(
        acme_seeds,
        """select count(*) from raw_invoices i join raw_contracts c using (contract_id)
           where i.type = 'subscription' and c.type not in ('recurring', 'pilot')""",
    )
    assert only_recurring_or_pilot == 0
    # monthly: one installment per contract and month, and no gaps between the first and the last
    gaps = acme_seeds.execute(
        """select contract_id, count(*) as n,
                  count(distinct date_trunc('month', invoice_date)) as months,
                  date_diff('month', min(invoice_date), max(invoice_date)) + 1 as span
           from raw_invoices where type = 'subscription' group by contract_id
           having n <> months or months <> span"""
    ).fetchall()
    assert gaps == []


def test_subscription_invoices_fall_inside_the_contract(acme_seeds: duckdb.DuckDBPyConnection) -> None:
    outside = one(
        acme_seeds,
        """select count(*) from raw_invoices i join raw_contracts c using (contract_id)
           where i.type = 'subscription'
             and (i.invoice_date > c.end_date or date_trunc('month',
               i.invoice_date) < date_trunc('month', c.start_date))""",
    )
    assert outside == 0
    assert one(acme_seeds, "select count(*) from raw_contracts where start_date > end_date") == 0


def test_expansions_start_mid_month_and_bill_from_the_next_month(
    acme_seeds: duckdb.DuckDBPyConnection,
) -> None:
    rows = acme_seeds.execute(
        """
        with expansions as (
            select c.* from raw_contracts c
            where c.type = 'recurring' and c.status = 'active'
              and exists (select 1 from raw_contracts e
                where e.account_id = c.account_id and e.type = 'recurring'
                          and e.status = 'active' and e.start_date < c.start_date)
        )
        select x.contract_id, day(x.start_date) as start_day, x.start_date,
               (select min(invoice_date) from raw_invoices i
                 where i.contract_id = x.contract_id and i.type = 'subscription')
                   as first_invoice
        from expansions x
        """
    ).fetchall()
    assert len(rows) >= 10
    for contract_id, start_day, start, first_invoice in rows:
        assert 2 <= start_day <= 27, contract_id
        if first_invoice is not None:
            assert (first_invoice.year * 12 + first_invoice.month) - (start.year * 12 + start.month) == 1, contract_id
    in_current_month = [r for r in rows if r[1] and str(r[2]) >= MONTH_START and r[3] is None]
    assert len(in_current_month) >= 2


def test_setup_fees_bill_on_the_start_of_new_recurring_contracts(
    acme_seeds: duckdb.DuckDBPyConnection,
) -> None:
    rows = acme_seeds.execute(
        """select c.status, i.invoice_date = c.start_date as on_start, count(*)
           from raw_invoices i join raw_contracts c using (contract_id)
           where i.type = 'setup' and c.type = 'recurring' group by all"""
    ).fetchall()
    by = {(status, on_start): n for status, on_start, n in rows}
    assert by.get(("active", True), 0) >= 5
    assert by.get(("active", False), 0) == 0 and by.get(("churned", False), 0) == 0
    # pending deals (signed, not live) may carry their setup fee before they start
    assert by.get(("pending", False), 0) >= 1


def test_professional_services_are_one_time_contracts_billed_once_as_setup(
    acme_seeds: duckdb.DuckDBPyConnection,
) -> None:
    rows = acme_seeds.execute(
        """select c.contract_id, count(i.invoice_id), min(i.type), max(i.type),
          sum(i.amount) = c.annual_value,
                  min(i.invoice_date) = c.start_date
           from raw_contracts c left join raw_invoices i using (contract_id)
           where c.type = 'one-time' group by c.contract_id, c.annual_value, c.start_date"""
    ).fetchall()
    assert len(rows) >= 10
    assert all(r[1:] == (1, "setup", "setup", True, True) for r in rows)


def test_credits_are_negative_and_paid_and_nothing_else_is_negative(
    acme_seeds: duckdb.DuckDBPyConnection,
) -> None:
    assert acme_seeds.execute(
        "select bool_and(amount < 0), bool_and(status = 'paid'), count(*) from raw_invoices where type = 'credit'"
    ).fetchone() == (True, True, 8)
    assert one(acme_seeds, "select count(*) from raw_invoices where type <> 'credit' and amount <= 0") == 0


def test_every_paid_non_credit_invoice_has_exactly_one_payment_of_its_amount(
    acme_seeds: duckdb.DuckDBPyConnection,
) -> None:
    per_invoice = acme_seeds.execute(
        """select i.status, i.type, count(p.payment_id) as payments,
          bool_and(p.amount = i.amount) as same_amount,
                  bool_and(p.refunded) as all_refunded
           from raw_invoices i left join raw_payments p using (invoice_id)
           group by i.invoice_id, i.status, i.type"""
    ).fetchall()
    for status, type_, payments, same_amount, all_refunded in per_invoice:
        if status == "paid" and type_ != "credit":
            assert payments == 1 and same_amount
        elif status == "void":
            assert payments == 0 or (payments == 1 and all_refunded and same_amount)
        else:  # pending invoices and credits carry no payment
            assert payments == 0
    assert sum(1 for r in per_invoice if r[0] == "void" and r[2] == 1) >= 1


def test_payments_land_in_other_months_and_after_the_current_month(
    acme_seeds: duckdb.DuckDBPyConnection,
) -> None:
    late = one(
        acme_seeds,
        """select count(*) from raw_payments p join raw_invoices i using (invoice_id)
           where date_trunc('month', p.payment_date) > date_trunc('month', i.invoice_date)""",
    )
    after_current = one(acme_seeds, "select count(*) from raw_payments where payment_date > ?::date", [MONTH_END])
    assert late >= 20  # type: ignore[operator]
    assert after_current >= 5  # type: ignore[operator]
    assert one(acme_seeds, "select count(*) from raw_payments where refunded") >= 5  # type: ignore[operator]


def test_pilots_churn_and_pending_contracts(acme_seeds: duckdb.DuckDBPyConnection) -> None:
    pilots_paid = one(
        acme_seeds,
        """select count(distinct c.contract_id) from raw_contracts c join raw_invoices i using (contract_id)
           where c.type = 'pilot' and i.type = 'subscription' and i.status = 'paid'""",
    )
    assert pilots_paid == one(acme_seeds, "select count(*) from raw_contracts where type = 'pilot'")
    churned_at_month_end = one(
        acme_seeds,
        """select count(distinct c.contract_id) from raw_contracts c join raw_invoices i using (contract_id)
           where c.status = 'churned' and c.end_date = ?::date and i.status = 'paid'
             and i.invoice_date between ?::date and ?::date""",
        [MONTH_END, MONTH_START, MONTH_END],
    )
    assert churned_at_month_end >= 2  # type: ignore[operator]
    churned_last_invoice_after_end = one(
        acme_seeds,
        """select count(*) from raw_contracts c join raw_invoices i using (contract_id)
           where c.status = 'churned' and i.invoice_date > c.end_date""",
    )
    assert churned_last_invoice_after_end == 0
    pending = acme_seeds.execute(
        """select bool_and(c.start_date > ?::date), count(*),
                  sum((select count(*) from raw_invoices i
                    where i.contract_id = c.contract_id and i.type = 'subscription'))
           from raw_contracts c where c.status = 'pending'""",
        [MONTH_END],
    ).fetchone()
    assert pending is not None and pending[0] is True and pending[1] >= 3 and pending[2] == 0


def test_accounts_exist_before_their_first_contract(acme_seeds: duckdb.DuckDBPyConnection) -> None:
    assert (
        one(
            acme_seeds,
            "select count(*) from raw_contracts c join raw_accounts a using (account_id) "
            "where a.created_at > c.start_date",
        )
        == 0
    )


def test_invoices_span_exactly_18_months_ending_in_the_current_one(
    acme_seeds: duckdb.DuckDBPyConnection,
) -> None:
    first, last, months = acme_seeds.execute(
        "select min(invoice_date), max(invoice_date), count(distinct date_trunc('month', "
        "invoice_date)) from raw_invoices"
    ).fetchone() or (None, None, None)
    assert (str(first)[:7], str(last)[:7], months) == ("2025-05", "2026-10", 18)


def test_exceptions_recur_across_the_window(acme_seeds: duckdb.DuckDBPyConnection) -> None:
    """Every decision point shows up in several months, not only in the current one."""
    checks = {
        "credits": "select count(distinct date_trunc('month', invoice_date)) from raw_invoices where type = 'credit'",
        "pending": "select count(distinct date_trunc('month', invoice_date)) from raw_invoices "
        "where status = 'pending'",
        "void": "select count(distinct date_trunc('month', invoice_date)) from raw_invoices where status = 'void'",
        "setup": "select count(distinct date_trunc('month', invoice_date)) from raw_invoices where type = 'setup'",
        "pilots": "select count(distinct date_trunc('month', start_date)) from raw_contracts where type = 'pilot'",
        "refunds": "select count(distinct date_trunc('month', payment_date)) from raw_payments where refunded",
        "churn": "select count(distinct date_trunc('month', end_date)) from raw_contracts where status = 'churned'",
        "expansion": """select count(distinct date_trunc('month', c.start_date)) from raw_contracts c
                        where c.type = 'recurring' and c.status = 'active' and exists (
                            select 1 from raw_contracts e where e.account_id = c.account_id
                            and e.type = 'recurring' and e.start_date < c.start_date)""",
        "services": """select count(distinct date_trunc('month', i.invoice_date)) from raw_invoices i
                       join raw_contracts c using (contract_id) where c.type = 'one-time'""",
        "late payments": """select count(distinct date_trunc('month', i.invoice_date)) from raw_payments p
                            join raw_invoices i using (invoice_id)
                            where date_trunc('month', p.payment_date)
                                > date_trunc('month', i.invoice_date)""",
    }
    for name, sql in checks.items():
        assert one(acme_seeds, sql) >= 3, name  # type: ignore[operator]


def test_generation_is_byte_for_byte_deterministic(acme_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    init_example("acme", again, ExampleOptions())
    first = {
        p.relative_to(acme_dir): p.read_bytes() for p in acme_dir.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert first == second
    heads = [(d / ".git" / "refs" / "heads" / "main").read_text() for d in (acme_dir, again)]
    assert heads[0] == heads[1]  # same commits, same hashes


def test_current_period_moves_every_date_and_nothing_else(acme_dir: Path, tmp_path: Path) -> None:
    moved = tmp_path / "moved"
    init_example("acme", moved, ExampleOptions(current_period="2027-03"))  # five months later
    base, shifted = seeds_connection(acme_dir), seeds_connection(moved)
    sql = """select invoice_id, contract_id, amount, type, status,
      year(invoice_date) * 12 + month(invoice_date)
             from raw_invoices order by invoice_id"""
    a, b = base.execute(sql).fetchall(), shifted.execute(sql).fetchall()
    assert [r[:5] for r in a] == [r[:5] for r in b]
    assert {rb[5] - ra[5] for ra, rb in zip(a, b, strict=True)} == {5}
    # payment ids follow payment dates, which month lengths can reorder; compare by invoice
    payments = """select invoice_id, amount, refunded, year(payment_date) * 12 + month(payment_date)
                  from raw_payments order by 1"""
    pa, pb = base.execute(payments).fetchall(), shifted.execute(payments).fetchall()
    assert {rb[3] - ra[3] for ra, rb in zip(pa, pb, strict=True)} == {5}
    assert [r[:3] for r in pa] == [r[:3] for r in pb]
    assert 'current_period: "2027-03"' in (moved / "canon.yml").read_text()
    canonical = """select sum(i.amount) from raw_invoices i join raw_contracts c using (contract_id)
                   where i.type = 'subscription' and i.status = 'paid' and c.type = 'recurring'
                     and c.status = 'active' and i.invoice_date between ?::date and ?::date"""
    assert str(shifted.execute(canonical, ["2027-03-01", "2027-03-31"]).fetchone()[0]) == "1260000.00"  # type: ignore[index]
