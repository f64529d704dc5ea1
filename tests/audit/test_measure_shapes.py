"""Measures real SQL writes, audited with no contract (names and types say what is money).

raw_subs (sub, interval, unit_amount, quantity, started_on):
  S1 month  10.00 × 3   2026-03-04   → 30.00 a month
  S2 year  120.00 × 2   2026-03-10   → 240.00 a year = 20.00 a month
  S3 month  50.00 × 1   2026-04-02   (April)
raw_pay (pay, paid_on, amount in integer cents, refunded, kind, payer):
  P1 2026-03-01  10000  false  charge  A (US)
  P2 2026-03-05   2500  true   charge  B (FR)
  P3 2026-03-09   4000  false  credit  B (FR)
  P4 2026-03-20   1234  false  charge  A (US)
  P5 2026-04-01   9999  false  charge  A (US)  (April)
raw_payers: A US, B FR (no relationship declared anywhere: the LEFT JOIN in the SQL says it)

March by hand:
  MRR (unit_amount × quantity normalized by interval): 30.00 + 20.00           = 50.00  → 5000 cents
  cash net of refunds: 10000 + 4000 + 1234                                     = 15234 cents
  cash signed by kind (credit negative, refunds in): 10000 + 2500 - 4000 + 1234 = 9734 cents
  US payers' cash (all rows): 10000 + 1234                                      = 11234 cents
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from canon.audit.result import AuditResult
from canon.project import load_project

SUBS = [
    ("S1", "month", "10.00", 3, "2026-03-04"),
    ("S2", "year", "120.00", 2, "2026-03-10"),
    ("S3", "month", "50.00", 1, "2026-04-02"),
]
PAY = [
    ("P1", "2026-03-01", 10000, False, "charge", "A"),
    ("P2", "2026-03-05", 2500, True, "charge", "B"),
    ("P3", "2026-03-09", 4000, False, "credit", "B"),
    ("P4", "2026-03-20", 1234, False, "charge", "A"),
    ("P5", "2026-04-01", 9999, False, "charge", "A"),
]
MRR_CENTS, NET_CASH_CENTS, SIGNED_CENTS, US_CENTS = 5000, 15234, 9734, 11234

MONTHLY_VALUE = (
    "case billing_interval when 'month' then unit_amount * quantity when 'year' then unit_amount * quantity / 12 end"
)
MODELS = {
    "mrr_products": f"select date_trunc('month', started_on) as m, sum({MONTHLY_VALUE}) as mrr\n"
    "from raw_subs group by 1",
    "cash_net": "select date_trunc('month', paid_on) as m,\n"
    "  sum(amount) - sum(case when refunded then amount else 0 end) as net_cash_cents\n"
    "from raw_pay group by 1",
    "cash_usd": "select date_trunc('month', paid_on) as m,\n"
    "  sum(case when not refunded then amount end) / 100.0 as net_cash_usd\nfrom raw_pay group by 1",
    "cash_row_diff": "select date_trunc('month', paid_on) as m,\n"
    "  sum(amount - case when refunded then amount else 0 end) as net_cash\nfrom raw_pay group by 1",
    "cash_signed": "select date_trunc('month', paid_on) as m,\n"
    "  sum(case when kind = 'credit' then -amount else amount end) as cash\nfrom raw_pay group by 1",
    "cash_rows": "select date_trunc('month', paid_on) as pay_month, pay_id, amount as cash_cents\n"
    "from raw_pay where not refunded",
    "cash_staging": "select pay_id, paid_on, amount as cash from raw_pay",
    "us_cash": "select date_trunc('month', p.paid_on) as m, sum(p.amount) as us_cash_cents\n"
    "from raw_pay as p left join raw_payers as c on p.payer_id = c.payer_id\n"
    "where c.country = 'US' group by 1",
    "cash_lifetime": "select payer_id, sum(amount) as lifetime_cash_cents from raw_pay where not refunded group by 1",
    "revenue_named": "select date_trunc('month', paid_on) as m, sum(amount) as revenue_cents from raw_pay group by 1",
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("measures")
    (root / "canon.yml").write_text(
        'name: m\nwarehouse: {engine: duckdb, path: w.duckdb, schema: main}\ncurrent_period: "2026-03"\n'
    )
    with duckdb.connect(str(root / "w.duckdb")) as con:
        con.execute(
            "create table raw_subs (sub_id varchar, billing_interval varchar, unit_amount decimal(12,2),"
            " quantity integer, started_on date)"
        )
        con.executemany("insert into raw_subs values (?, ?, ?, ?, ?)", SUBS)
        con.execute(
            "create table raw_pay (pay_id varchar, paid_on date, amount bigint, refunded boolean, kind varchar,"
            " payer_id varchar)"
        )
        con.executemany("insert into raw_pay values (?, ?, ?, ?, ?, ?)", PAY)
        con.execute("create table raw_payers as select * from (values ('A', 'US'), ('B', 'FR')) t(payer_id, country)")
    sql = root / "sql"
    sql.mkdir()
    for name, text in MODELS.items():
        (sql / f"{name}.sql").write_text(text)
    return root


def audit(root: Path, metric: str) -> AuditResult:
    project = load_project(root)
    try:
        return project.audit(metric, sql_dir=root / "sql", with_history=False, store=False)
    finally:
        project.close()


def test_a_product_normalized_by_interval_is_one_measure_with_its_scale_column(root: Path) -> None:
    result = audit(root, "mrr")
    (d,) = result.definitions
    assert d.model == "mrr_products"
    measure = d.vector.measure
    assert measure.amount == "raw_subs.unit_amount * raw_subs.quantity"
    assert str(measure.scale_by) == "raw_subs.billing_interval"
    assert (d.value_cents, d.reproduced_cents) == (MRR_CENTS, MRR_CENTS)
    assert d.not_comparable is None


def test_sum_minus_conditional_sum_is_a_filter_and_cents_over_100_are_dollars(root: Path) -> None:
    result = audit(root, "cash")
    by = {d.model: d for d in result.definitions}
    assert set(by) == {"cash_net", "cash_usd", "cash_row_diff", "cash_signed", "cash_rows", "us_cash", "cash_lifetime"}
    for name in ("cash_net", "cash_usd", "cash_row_diff", "cash_rows"):
        d = by[name]
        assert d.vector.measure.expression is None, name
        assert {str(c): set(v) for c, v in d.vector.filters.items()} == {"raw_pay.refunded": {False}}, name
        assert (d.value_cents, d.reproduced_cents) == (NET_CASH_CENTS, NET_CASH_CENTS), name
    # the cents model and the dollars model are one definition (the ÷ 100 is a unit, not a scale)
    assert by["cash_net"].vector.same_definition(by["cash_usd"].vector)
    assert by["cash_usd"].vector.measure.unit == "minor"


def test_a_sign_by_type_is_kept_as_an_expression_and_reproduces(root: Path) -> None:
    d = next(d for d in audit(root, "cash").definitions if d.model == "cash_signed")
    assert d.vector.measure.expression is not None
    assert d.vector.measure.amount == "raw_pay.amount"
    assert str(d.vector.measure.scale_by) == "raw_pay.kind"
    assert (d.value_cents, d.reproduced_cents) == (SIGNED_CENTS, SIGNED_CENTS)


def test_row_level_models_need_a_period_column_and_other_metrics_are_named(root: Path) -> None:
    result = audit(root, "cash")
    skipped = dict(result.skipped)
    rows = next(d for d in result.definitions if d.model == "cash_rows")
    assert rows.measure_output == "cash_cents"
    assert "no period column" in skipped["cash_staging"]
    assert "measures revenue" in skipped["revenue_named"]


def test_a_left_join_in_the_sql_is_a_join_edge_when_no_relationship_is_declared(root: Path) -> None:
    d = next(d for d in audit(root, "cash").definitions if d.model == "us_cash")
    assert {str(c): set(v) for c, v in d.vector.filters.items()} == {"raw_payers.country": {"US"}}
    assert (d.value_cents, d.reproduced_cents) == (US_CENTS, US_CENTS)


def test_propose_with_no_contract_drafts_one_whose_figure_is_the_hand_figure(root: Path, tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(root, tmp_path / "p"))
    (copy / "sql" / "cash_signed.sql").unlink()  # keep one definition family: net of refunds
    project = load_project(copy)
    try:
        proposal = project.propose("cash", sql_dir=copy / "sql")
    finally:
        project.close()
    assert proposal.value_cents == NET_CASH_CENTS
    draft = copy / "metrics" / "cash.yml"
    text = draft.read_text()
    assert "status: proposed" in text and "unassigned" in text
    reopened = load_project(copy)
    try:
        contract = reopened.metrics["cash"]
        assert {str(c): set(v) for c, v in contract.decisions.filters.items()} == {"raw_pay.refunded": {False}}
        row = reopened.query(["cash"], period_from="2026-03", period_to="2026-03").to_pylist()
    finally:
        reopened.close()
    assert [r["cash_cents"] for r in row] == [NET_CASH_CENTS]


def test_a_total_with_no_period_is_a_lifetime_definition_of_the_same_way(root: Path) -> None:
    result = audit(root, "cash")
    life = next(d for d in result.definitions if d.model == "cash_lifetime")
    assert life.vector.time_basis.kind == "lifetime" and not life.priced
    assert life.to_json()["value_cents"] is None  # no figure for the period, never a wrong one
    # the same decisions at another grain: grouped with the monthly net-of-refunds models
    group = next(g for g in result.distinct_definitions() if any(d.model == "cash_lifetime" for d in g))
    assert {d.model for d in group} == {"cash_net", "cash_usd", "cash_row_diff", "cash_rows", "cash_lifetime"}
