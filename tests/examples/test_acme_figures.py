"""The headline figures, proven on the warehouse built by real dbt with SQL written here."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from canon.dbt import DbtRun
from tests.examples.conftest import MONTH_END, MONTH_START

pytestmark = [pytest.mark.slow, pytest.mark.dbt, pytest.mark.xdist_group("acme_dbt")]

MONTH = [MONTH_START, MONTH_END]

CANONICAL = """
    select sum(i.amount)
    from main.raw_invoices as i
    join main.raw_contracts as c on c.contract_id = i.contract_id
    where i.type = 'subscription' and i.status = 'paid'
      and c.type = 'recurring' and c.status = 'active'
      and i.invoice_date between ?::date and ?::date
"""


def money(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> Decimal:
    row = con.execute(sql, params if params is not None else MONTH).fetchone()
    assert row is not None and row[0] is not None, sql
    return Decimal(str(row[0]))


def test_dbt_build_passes_every_seed_model_and_test(acme_built: tuple[Path, DbtRun]) -> None:
    root, run = acme_built
    assert run.success and run.failed() == ()
    kinds = {r.resource_type for r in run.results}
    assert {"seed", "model", "test"} <= kinds
    assert sum(r.resource_type == "test" for r in run.results) >= 40
    assert {r.name for r in run.results if r.resource_type == "model"} == {
        "stg_accounts", "stg_contracts", "stg_invoices", "stg_payments",
        "fct_revenue_monthly", "fct_arr_by_account", "fct_marketing_revenue",
    }  # fmt: skip
    # what dbt leaves behind (warehouse, target/, logs/dbt.log) is ignored by the project's git
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True)
    assert status.stdout == "" and (root / "warehouse.duckdb").is_file()


def test_canonical_mrr_is_exactly_1_26m(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert money(warehouse, CANONICAL) == Decimal("1260000.00")


def test_seed_types_are_the_declared_ones(warehouse: duckdb.DuckDBPyConnection) -> None:
    types = dict(
        warehouse.execute(
            """select table_name || '.' || column_name, data_type from information_schema.columns
               where table_name like 'raw_%'"""
        ).fetchall()
    )
    assert types["raw_invoices.amount"] == "DECIMAL(12,2)"
    assert types["raw_contracts.annual_value"] == "DECIMAL(12,2)"
    assert types["raw_invoices.invoice_date"] == "DATE"
    assert types["raw_payments.refunded"] == "BOOLEAN"


def test_finance_model_is_about_1_2m_and_is_all_non_void_invoices(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    model = money(
        warehouse,
        "select sum(revenue) from main.fct_revenue_monthly where revenue_month = ?::date",
        [MONTH_START],
    )
    assert Decimal("1150000") <= model <= Decimal("1250000")
    by_hand = money(
        warehouse,
        "select sum(amount) from main.raw_invoices where status <> 'void' and invoice_date between ?::date and ?::date",
    )
    assert model == by_hand


def test_sales_model_is_about_1_4m_and_is_active_non_pilot_contracts(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    model = money(warehouse, "select sum(mrr) from main.fct_arr_by_account where arr_month = ?::date", [MONTH_START])
    assert Decimal("1350000") <= model <= Decimal("1450000")
    arr = money(warehouse, "select sum(arr) from main.fct_arr_by_account where arr_month = ?::date", [MONTH_START])
    by_hand = money(
        warehouse,
        """select sum(annual_value) from main.raw_contracts
           where status = 'active' and type <> 'pilot' and start_date <= ?::date and end_date >= ?::date""",
        [MONTH_END, MONTH_START],
    )
    assert arr == by_hand
    assert abs(model - by_hand / 12) < Decimal("0.05")


def test_marketing_model_is_about_1_1m_and_is_cash_net_of_refunds(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    model = money(
        warehouse,
        "select sum(revenue) from main.fct_marketing_revenue where payment_month = ?::date",
        [MONTH_START],
    )
    assert Decimal("1050000") <= model <= Decimal("1150000")
    by_hand = money(
        warehouse,
        "select sum(amount) from main.raw_payments where not refunded and payment_date between ?::date and ?::date",
    )
    assert model == by_hand


DECISION_POINTS = {
    # each: dollars that one decision moves in the current month
    "pilots (paid pilot invoices Finance counts)": """
        select sum(i.amount) from main.raw_invoices i join main.raw_contracts c using (contract_id)
        where c.type = 'pilot' and i.status = 'paid' and i.invoice_date between ?::date and ?::date""",
    "pilots (active pilots Sales would count)": """
        select sum(annual_value) / 12 from main.raw_contracts
        where type = 'pilot' and status = 'active' and start_date <= ?::date and end_date >= ?::date""",
    "setup fees of recurring contracts": """
        select sum(i.amount) from main.raw_invoices i join main.raw_contracts c using (contract_id)
        where i.type = 'setup' and c.type = 'recurring' and i.invoice_date between ?::date and ?::date""",
    "credits": """
        select -sum(amount) from main.raw_invoices
          where type = 'credit' and invoice_date between ?::date and ?::date""",
    "pending invoices": """
        select sum(amount) from main.raw_invoices
          where status = 'pending' and invoice_date between ?::date and ?::date""",
    "void invoices": """
        select sum(amount) from main.raw_invoices
          where status = 'void' and invoice_date between ?::date and ?::date""",
    "churned contracts": """
        select sum(i.amount) from main.raw_invoices i join main.raw_contracts c using (contract_id)
        where c.status = 'churned' and i.status = 'paid' and i.invoice_date between ?::date and ?::date""",
    "mid-month upgrades (expansion) not invoiced yet": """
        select sum(c.annual_value) / 12 from main.raw_contracts c
        where c.type = 'recurring' and c.status = 'active' and c.start_date > ?::date
          and c.start_date <= ?::date
          and not exists (select 1 from main.raw_invoices i where i.contract_id = c.contract_id)""",
    "refunds": """
        select sum(amount) from main.raw_payments
          where refunded and payment_date between ?::date and ?::date""",
    "professional-services payments": """
        select sum(p.amount) from main.raw_payments p
        join main.raw_invoices i using (invoice_id) join main.raw_contracts c on c.contract_id = i.contract_id
        where c.type = 'one-time' and not p.refunded and p.payment_date between ?::date and ?::date""",
    "payments received this month for earlier invoices": """
        select sum(p.amount) from main.raw_payments p join main.raw_invoices i using (invoice_id)
        where i.invoice_date < ?::date and p.payment_date between ?::date and ?::date""",
    "this month's invoices paid next month": """
        select sum(p.amount) from main.raw_payments p join main.raw_invoices i using (invoice_id)
        where i.invoice_date between ?::date and ?::date and p.payment_date > ?::date""",
}
PARAMS = {
    "pilots (active pilots Sales would count)": [MONTH_END, MONTH_START],
    "mid-month upgrades (expansion) not invoiced yet": [MONTH_START, MONTH_END],
    "payments received this month for earlier invoices": [MONTH_START, MONTH_START, MONTH_END],
    "this month's invoices paid next month": [MONTH_START, MONTH_END, MONTH_END],
}


@pytest.mark.parametrize("point", sorted(DECISION_POINTS))
def test_every_decision_point_moves_real_money_this_month(warehouse: duckdb.DuckDBPyConnection, point: str) -> None:
    assert money(warehouse, DECISION_POINTS[point], PARAMS.get(point, MONTH)) >= Decimal("10000")


def test_the_three_gaps_are_explained_by_the_decision_points(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Finance − canonical = everything non-void that canonical leaves out, invoice by invoice."""
    finance = money(
        warehouse,
        "select sum(amount) from main.raw_invoices where status <> 'void' and invoice_date between ?::date and ?::date",
    )
    left_out = money(
        warehouse,
        """select sum(i.amount) from main.raw_invoices i join main.raw_contracts c using (contract_id)
           where i.status <> 'void' and i.invoice_date between ?::date and ?::date
             and not (i.type = 'subscription' and i.status = 'paid' and c.type = 'recurring'
               and c.status = 'active')""",
    )
    assert finance - money(warehouse, CANONICAL) == left_out
    assert left_out < 0  # the credits outweigh everything Finance adds


def test_the_company_grows_over_the_window(warehouse: duckdb.DuckDBPyConnection) -> None:
    monthly = warehouse.execute(
        """select date_trunc('month', i.invoice_date) as m, sum(i.amount)
           from main.raw_invoices i join main.raw_contracts c using (contract_id)
           where i.type = 'subscription' and i.status = 'paid' and c.type = 'recurring'
             and c.status = 'active'
           group by 1 order by 1"""
    ).fetchall()
    values = [Decimal(str(v)) for _, v in monthly]
    assert len(values) == 18
    quarters = [sum(values[i : i + 3]) for i in range(0, 18, 3)]
    assert quarters == sorted(quarters) and len(set(quarters)) == 6
    assert values[-1] >= 5 * values[0]
