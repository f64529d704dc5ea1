"""`extract`: model SQL text → decision vector. Each expected vector is read off the SQL by hand,
with admitted values taken from the shop's real domains (status: paid, pending, refunded;
kind: sale, fee, credit; region: emea, amer, apac)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from canon.audit.runner import AuditContext, AuditOptions, Discovered, canonical, extract
from canon.audit.sources import ModelSet, ModelSource
from canon.project import Project
from tests.audit.stages.conftest import MARCH
from tests.audit.stages.shop import DDL

MONTH = "date_trunc('month', ordered_on)"


def context_for(project: Project, sql: str, name: str = "m") -> AuditContext:
    """A context whose only model is `sql`, discovered by the extractor (not by the discover stage)."""
    models = ModelSet({name: ModelSource(name, sql, f"models/{name}.sql", (name,))}, {t: (t,) for t in DDL})
    ctx = AuditContext.open(project, AuditOptions("revenue", MARCH, models, with_history=False))
    tree, lineage = ctx.extractor.prepare(models.models[name])
    candidates, _ = ctx.extractor.candidates(lineage)
    ctx.candidates[name] = Discovered(models.models[name], tree, lineage, candidates)
    return ctx


def decisions(ctx: AuditContext, name: str = "m") -> tuple[str, Fraction, list[str], dict[str, set[object]]]:
    v = ctx.extractions[name].vector
    return (
        str(v.measure.column),
        v.measure.scale,
        v.time_basis.to_json(),
        {str(c): set(values) for c, values in v.filters.items()},
    )


ORDERED_ON = ["raw_orders.ordered_on"]
CASES = [
    pytest.param(
        f"select {MONTH} as m, sum(amount) as revenue from raw_orders where status <> 'refunded' group by 1",
        ("raw_orders.amount", Fraction(1), ORDERED_ON, {"raw_orders.status": {"paid", "pending"}}),
        id="inequality-admits-the-rest-of-the-domain",
    ),
    pytest.param(
        f"select {MONTH} as m, sum(amount) as revenue from raw_orders"
        " where not lower(trim(status)) = 'paid' group by 1",
        ("raw_orders.amount", Fraction(1), ORDERED_ON, {"raw_orders.status": {"pending", "refunded"}}),
        id="functions-over-the-column-are-evaluated-on-the-domain",
    ),
    pytest.param(
        f"select {MONTH} as m, sum(amount) * 12 as arr from raw_orders"
        " where status = 'paid' and kind in ('sale', 'credit') group by 1",
        (
            "raw_orders.amount",
            Fraction(12),
            ORDERED_ON,
            {"raw_orders.status": {"paid"}, "raw_orders.kind": {"sale", "credit"}},
        ),
        id="scale-times-12",
    ),
    pytest.param(
        f"select {MONTH} as m, sum(amount) / 12 as monthly from raw_orders where status = 'paid' group by 1",
        ("raw_orders.amount", Fraction(1, 12), ORDERED_ON, {"raw_orders.status": {"paid"}}),
        id="scale-over-12",
    ),
    pytest.param(
        f"select {MONTH} as m, sum(case when kind = 'sale' then amount end) as revenue from raw_orders group by 1",
        ("raw_orders.amount", Fraction(1), ORDERED_ON, {"raw_orders.kind": {"sale"}}),
        id="case-inside-the-aggregate-is-a-filter",
    ),
    pytest.param(
        f"select {MONTH} as m, sum(amount) filter (where kind <> 'credit') as revenue from raw_orders group by 1",
        ("raw_orders.amount", Fraction(1), ORDERED_ON, {"raw_orders.kind": {"sale", "fee"}}),
        id="filter-clause-is-a-filter",
    ),
    pytest.param(
        f"select {MONTH} as m, sum(amount) as revenue from raw_orders"
        " where status = 'paid' or status = 'pending' group by 1",
        ("raw_orders.amount", Fraction(1), ORDERED_ON, {"raw_orders.status": {"paid", "pending"}}),
        id="disjunction-on-one-column",
    ),
    pytest.param(
        "select date_trunc('month', o.ordered_on) as m, sum(o.amount) as revenue from raw_orders o"
        " join raw_customers c on c.customer_id = o.customer_id where c.region in ('emea', 'apac') group by 1",
        ("raw_orders.amount", Fraction(1), ORDERED_ON, {"raw_customers.region": {"emea", "apac"}}),
        id="filter-on-a-joined-table",
    ),
    pytest.param(
        f"select {MONTH} as m, sum(amount) as revenue from raw_orders where status is not null group by 1",
        ("raw_orders.amount", Fraction(1), ORDERED_ON, {}),
        id="condition-true-for-every-row-decides-nothing",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), CASES)
def test_sql_to_decision_vector(
    shop: Project, sql: str, expected: tuple[str, Fraction, list[str], dict[str, set[object]]]
) -> None:
    ctx = context_for(shop, sql)
    extract(ctx)
    assert ctx.skipped == {}
    assert decisions(ctx) == expected


def test_of_several_money_outputs_the_one_closest_to_the_canonical_figure_is_kept(shop: Project) -> None:
    # gross: every March order, 1683.09; net: paid sales, 1100.00 = the contract's figure
    sql = (
        f"select {MONTH} as m, sum(amount) as gross,"
        " sum(case when status = 'paid' and kind = 'sale' then amount end) as net from raw_orders group by 1"
    )
    ctx = context_for(shop, sql)
    canonical(ctx)
    extract(ctx)
    e = ctx.extractions["m"]
    assert e.measure_output == "net"
    assert decisions(ctx)[3] == {"raw_orders.status": {"paid"}, "raw_orders.kind": {"sale"}}


def test_without_a_canonical_figure_the_first_money_output_is_kept(shop: Project) -> None:
    sql = f"select {MONTH} as m, sum(amount) as gross, sum(amount) * 12 as arr from raw_orders group by 1"
    ctx = context_for(shop, sql)
    extract(ctx)  # canonical has not run: nothing to be close to
    assert ctx.extractions["m"].measure_output == "gross"


def test_a_substituted_expression_keeps_its_parentheses() -> None:
    # `v * 100` where v = `amount + fee` is `(amount + fee) * 100`, not `amount + fee * 100`.
    import duckdb
    from sqlglot import parse_one

    from canon.audit.inline import qualified
    from canon.audit.lineage import Lineage

    sql = "with a as (select amount + fee as v from raw_t) select sum(v * 100) as total from a"
    schema = {"raw_t": {"amount": "INT", "fee": "INT"}}
    lineage = Lineage(qualified(parse_one(sql, read="duckdb"), schema, "duckdb"))
    resolved = lineage.output(lineage.root, "total")
    con = duckdb.connect()
    con.execute("create table raw_t as select 2 as amount, 3 as fee")
    got = con.execute(f"select {resolved.sql('duckdb')} from raw_t").fetchone()
    assert got is not None and got[0] == (2 + 3) * 100
