"""Outputs that add up amounts of several row sets: items less the order's discount, sales less refunds.

raw_orders (order, status, ordered_on):   O1 completed 2026-03-02 · O2 completed 2026-03-15
                                          O3 cancelled 2026-03-20 · O4 completed 2026-04-01
raw_items (item, order, price, qty):      O1: 10.00×2 + 5.00×1 = 25.00 · O2: 40.00×1 = 40.00
                                          O3: 7.00×1 = 7.00 · O4: 30.00×1 = 30.00
raw_discounts (order, discount_amount):   O1 3.00 · O3 1.00 · O4 2.00 (one per order at most)
raw_refunds (refund, order, refunded_on, amount): R1 O1 2026-03-25 4.00 · R2 O2 2026-04-03 6.00

March by hand:
  net revenue of completed orders: (25 − 3) + (40 − 0)              = 62.00 → 6200 cents
  every order, any status (row-level model): 62 + (7 − 1)           = 68.00 → 6800 cents
  completed orders' net less refunds paid in March (R1 only): 62 − 4 = 58.00 → 5800 cents
  (R2 belongs to April, by its own date, although its order is from March)
  average item amount per completed order: (25 + 40) / 2 orders      = 32.50 → 3250 cents
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from canon.audit.result import AuditResult
from canon.contracts.decisions import DecisionVector
from canon.project import load_project

ORDERS = [
    ("O1", "completed", "2026-03-02"),
    ("O2", "completed", "2026-03-15"),
    ("O3", "cancelled", "2026-03-20"),
    ("O4", "completed", "2026-04-01"),
]
ITEMS = [
    ("I1", "O1", "10.00", 2),
    ("I2", "O1", "5.00", 1),
    ("I3", "O2", "40.00", 1),
    ("I4", "O3", "7.00", 1),
    ("I5", "O4", "30.00", 1),
]
DISCOUNTS = [("O1", "3.00"), ("O3", "1.00"), ("O4", "2.00")]
REFUNDS = [("R1", "O1", "2026-03-25", "4.00"), ("R2", "O2", "2026-04-03", "6.00")]
NET_CENTS, EVERY_ORDER_CENTS, AFTER_REFUNDS_CENTS, AVG_PER_ORDER_CENTS = 6200, 6800, 5800, 3250

ORDER_TOTALS = """
order_totals as (
    select order_id, sum(price * qty) as items_total from raw_items group by 1
),
per_order as (
    select o.order_id, o.status, date_trunc('month', o.ordered_on) as order_month,
           t.items_total - coalesce(d.discount_amount, 0) as order_revenue
    from raw_orders as o
    left join order_totals as t on t.order_id = o.order_id
    left join raw_discounts as d on d.order_id = o.order_id
)"""
MODELS = {
    # CTEs per order, LEFT-joined, subtracted per order, summed per month
    "net_revenue_monthly": f"with {ORDER_TOTALS.strip()}\n"
    "select order_month, sum(order_revenue) as revenue from per_order where status = 'completed' group by 1",
    # the same way written as two monthly relations FULL-joined on the month (a port): one definition
    "net_revenue_port": "with gross as (select date_trunc('month', o.ordered_on) as m, sum(i.price * i.qty) as g\n"
    "  from raw_items as i join raw_orders as o on o.order_id = i.order_id where o.status = 'completed' group by 1),\n"
    "disc as (select date_trunc('month', o.ordered_on) as m, sum(d.discount_amount) as x\n"
    "  from raw_discounts as d join raw_orders as o on o.order_id = d.order_id where o.status = 'completed'"
    " group by 1)\n"
    "select coalesce(gross.m, disc.m) as m, coalesce(gross.g, 0) - coalesce(disc.x, 0) as revenue\n"
    "from gross full outer join disc on gross.m = disc.m",
    # a legacy query: a correlated scalar subquery per order, the status tested inside the SUM
    "net_revenue_legacy": "select sub.m, sum(case when sub.status = 'completed' then sub.gross - sub.discount"
    " else 0 end) as revenue\n"
    "from (select date_trunc('month', o.ordered_on) as m, o.status,\n"
    "  (select sum(i.price * i.qty) from raw_items as i where i.order_id = o.order_id) as gross,\n"
    "  coalesce(d.discount_amount, 0) as discount\n"
    "  from raw_orders as o left join raw_discounts as d on d.order_id = o.order_id) as sub\n"
    "group by 1",
    # an average of per-order sums: the month's item amount over its number of orders
    "avg_revenue_per_order": "with per_order as (select date_trunc('month', o.ordered_on) as m, i.order_id,\n"
    "  sum(i.price * i.qty) as order_revenue from raw_items as i join raw_orders as o on o.order_id = i.order_id\n"
    "  where o.status = 'completed' group by 1, 2)\n"
    "select m, avg(order_revenue) as avg_revenue from per_order group by 1",
    # one row per order, no SUM over orders: the audit sums it over the period
    "order_revenue_rows": f"with {ORDER_TOTALS.strip()}\n"
    "select order_id, order_month, order_revenue as revenue from per_order",
    # two monthly relations FULL-joined on the month, each placed by its own date
    "revenue_after_refunds": f"with {ORDER_TOTALS.strip()},\n"
    "sales as (select order_month as month, sum(order_revenue) as revenue from per_order\n"
    "          where status = 'completed' group by 1),\n"
    "refunds as (select date_trunc('month', refunded_on) as month, sum(amount) as refunded\n"
    "            from raw_refunds group by 1)\n"
    "select coalesce(sales.month, refunds.month) as revenue_month,\n"
    "       coalesce(sales.revenue, 0) as revenue,\n"
    "       coalesce(refunds.refunded, 0) as refunds,\n"
    "       coalesce(sales.revenue, 0) - coalesce(refunds.refunded, 0) as revenue_after_refunds\n"
    "from sales full outer join refunds on sales.month = refunds.month",
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("composite")
    (root / "canon.yml").write_text(
        'name: c\nwarehouse: {engine: duckdb, path: w.duckdb, schema: main}\ncurrent_period: "2026-03"\n'
    )
    with duckdb.connect(str(root / "w.duckdb")) as con:
        con.execute("create table raw_orders (order_id varchar primary key, status varchar, ordered_on date)")
        con.executemany("insert into raw_orders values (?, ?, ?)", ORDERS)
        con.execute("create table raw_items (item_id varchar, order_id varchar, price decimal(10,2), qty integer)")
        con.executemany("insert into raw_items values (?, ?, ?, ?)", ITEMS)
        con.execute("create table raw_discounts (order_id varchar, discount_amount decimal(10,2))")
        con.executemany("insert into raw_discounts values (?, ?)", DISCOUNTS)
        con.execute(
            "create table raw_refunds (refund_id varchar, order_id varchar, refunded_on date, amount decimal(10,2))"
        )
        con.executemany("insert into raw_refunds values (?, ?, ?, ?)", REFUNDS)
    sql = root / "sql"
    sql.mkdir()
    for name, text in MODELS.items():
        (sql / f"{name}.sql").write_text(text)
    return root


@pytest.fixture(scope="module")
def result(root: Path) -> AuditResult:
    project = load_project(root)
    try:
        return project.audit("revenue", sql_dir=root / "sql", with_history=False, store=False)
    finally:
        project.close()


def test_items_less_the_order_discount_is_two_row_sets_each_counted_once(result: AuditResult) -> None:
    d = next(d for d in result.definitions if d.model == "net_revenue_monthly")
    vector = d.vector
    assert vector.is_composite
    assert [(t.measure.column.table, t.measure.scale) for t in vector.terms] == [
        ("raw_items", 1),
        ("raw_discounts", -1),
    ]
    for term in vector.terms:  # the order's status and date decide both row sets
        assert [str(c) for c in term.time_basis.columns] == ["raw_orders.ordered_on"]
        assert {str(c): set(v) for c, v in term.filters.items()} == {"raw_orders.status": {"completed"}}
    assert (d.value_cents, d.reproduced_cents) == (NET_CENTS, NET_CENTS)
    assert d.not_comparable is None
    measure = vector.to_json()["measure"]
    assert measure["column"] == "raw_items.price * raw_items.qty - raw_discounts.discount_amount"


def test_a_row_level_model_of_a_net_per_order_is_summed_by_the_audit(result: AuditResult) -> None:
    d = next(d for d in result.definitions if d.model == "order_revenue_rows")
    assert d.vector.is_composite and not d.vector.filters  # every status
    assert (d.value_cents, d.reproduced_cents) == (EVERY_ORDER_CENTS, EVERY_ORDER_CENTS)


def test_full_joined_months_place_each_term_by_its_own_date(result: AuditResult) -> None:
    d = next(d for d in result.definitions if d.model == "revenue_after_refunds")
    assert d.measure_output == "revenue_after_refunds"  # the output the model is named after, not its parts
    bases = {t.measure.column.table: [str(c) for c in t.time_basis.columns] for t in d.vector.terms}
    assert bases == {
        "raw_items": ["raw_orders.ordered_on"],
        "raw_discounts": ["raw_orders.ordered_on"],
        "raw_refunds": ["raw_refunds.refunded_on"],
    }
    refunds = next(t for t in d.vector.terms if t.measure.column.table == "raw_refunds")
    assert not refunds.filters  # the sales side's status filter is not the refunds'
    assert refunds.measure.scale == -1
    assert (d.value_cents, d.reproduced_cents) == (AFTER_REFUNDS_CENTS, AFTER_REFUNDS_CENTS)
    body = d.vector.to_json()
    assert body["time_basis"] == [] and body["time_basis_detail"] == {"several": True}
    assert len(body["terms"]) == 3


def test_the_same_terms_written_another_way_are_one_definition(result: AuditResult) -> None:
    by = {d.model: d for d in result.definitions}
    assert by["net_revenue_monthly"].vector.same_definition(by["net_revenue_port"].vector)
    assert not by["net_revenue_monthly"].vector.same_definition(by["order_revenue_rows"].vector)
    assert not by["net_revenue_monthly"].vector.same_definition(by["revenue_after_refunds"].vector)
    group = next(g for g in result.distinct_definitions() if any(d.model == "net_revenue_monthly" for d in g))
    assert {d.model for d in group} == {"net_revenue_monthly", "net_revenue_port", "net_revenue_legacy"}
    legacy = by["net_revenue_legacy"]
    assert (legacy.value_cents, legacy.reproduced_cents) == (NET_CENTS, NET_CENTS)


def test_an_average_of_per_order_sums_is_the_sum_over_the_number_of_orders(result: AuditResult) -> None:
    d = next(d for d in result.definitions if d.model == "avg_revenue_per_order")
    measure = d.vector.measure
    assert (measure.aggregation, str(measure.per), str(measure.column)) == (
        "avg",
        "raw_items.order_id",
        "raw_items.price",
    )
    assert (d.value_cents, d.reproduced_cents) == (AVG_PER_ORDER_CENTS, AVG_PER_ORDER_CENTS)
    # another statistic of the same amounts: one definition with the sum of those amounts, never a gap
    total = DecisionVector.build(replace(measure, aggregation="sum", per=None), d.vector.time_basis, d.vector.filters)
    assert d.vector.same_definition(total)


def test_no_waterfall_is_drawn_to_a_sum_of_row_sets_or_an_average(result: AuditResult) -> None:
    """Their figures are priced; a bridge of one decision at a time would move only a first term."""
    from canon.audit.bridge import build_bridge
    from canon.errors import QueryError

    by = {d.model: d for d in result.definitions}
    plain = by["net_revenue_monthly"].vector.terms[0]
    for model in ("net_revenue_monthly", "avg_revenue_per_order"):
        with pytest.raises(QueryError) as err:
            build_bridge(plain, by[model].vector, lambda v: 0, None, "canonical", model)  # type: ignore[arg-type]
        assert "no waterfall is drawn" in str(err.value)
