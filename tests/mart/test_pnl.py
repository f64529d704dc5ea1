"""P&L OPEX cascade: an independent Python model agrees cent for cent, allocation conserves every
cent (also on hypothesis-generated worlds), and the OPEX feed may be absent."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canon.contracts.model import Metric
from canon.engines import connect
from canon.engines.duckdb import DuckDBEngine
from canon.mart import build_mart
from tests.mart.conftest import AS_OF, BuiltMart
from tests.mart.helpers import rows
from tests.mart.opex_model import leaf_opex


def test_org_market_opex_matches_python_model(mart: BuiltMart) -> None:
    geo = {r["org_market_id"]: r["organization_id"] for r in rows(mart.silver, "SELECT * FROM spine.geography")}
    revenue: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows(
        mart.silver,
        "SELECT r.recognition_period AS p, pe.org_market_id AS om, "
        "sum(CASE WHEN is_contra THEN -recognized_amount_cents ELSE recognized_amount_cents END) AS net "
        "FROM revenue.recognition r JOIN spine.person pe USING (person_id) GROUP BY ALL",
    ):
        revenue[r["p"]][r["om"]] = int(r["net"])
    native: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for r in rows(
        mart.silver,
        "SELECT strftime(occurred_at, '%Y-%m') AS p, geography_grain AS g, geography_key AS k, "
        "sum(amount_cents) AS cents FROM finance.cash_balance_entries "
        "WHERE entry_type = 'OPEX' AND NOT structurally_unallocated GROUP BY ALL",
    ):
        native[r["p"]][(r["g"], r["k"])] += int(r["cents"])
    served = rows(mart.engine, "SELECT * FROM mart.pnl_summary WHERE geography_grain = 'org_market'")
    checked = 0
    for r in served:
        leaf, _, _ = leaf_opex(revenue[r["reporting_period"]], geo, native[r["reporting_period"]])
        assert r["operating_expense_cents"] == leaf.get(r["geography_key"], 0), (
            r["reporting_period"],
            r["geography_key"],
        )
        assert r["opex_allocation_rule_applied"] == "native_grain_plus_revenue_share_for_cross_grain"
        assert r["opex_kind"] in ("native_grain", "cross_grain_revenue_share_allocated")
        checked += 1
    assert checked > 500


def test_ad_spend_slice(mart: BuiltMart) -> None:
    by_hand = {
        (r["p"], r["om"]): (int(r["paid"]), int(r["other"]))
        for r in rows(
            mart.silver,
            "SELECT strftime(week + 3, '%Y-%m') AS p, org_market_id AS om, "
            "sum(ad_spend_cents) FILTER (WHERE source_class IN ('paid_social', 'paid_search')) AS paid, "
            "coalesce(sum(ad_spend_cents) FILTER (WHERE source_class = 'other'), 0) AS other "
            "FROM revenue.ad_spend_reconciled GROUP BY ALL",
        )
    }
    for r in rows(mart.engine, "SELECT * FROM mart.pnl_summary WHERE geography_grain = 'org_market'"):
        paid, other = by_hand.get((r["reporting_period"], r["geography_key"]), (0, 0))
        assert (r["attributable_ad_spend_cents"], r["flagged_other_ad_spend_cents"]) == (paid, other)


# ---- hypothesis: random small worlds through the real contracts --------------------------------

_SILVER = [
    "CREATE SCHEMA spine",
    "CREATE SCHEMA revenue",
    "CREATE SCHEMA finance",
    "CREATE TABLE spine.person (person_id VARCHAR, org_market_id VARCHAR)",
    "CREATE TABLE spine.geography (org_market_id VARCHAR, organization_id VARCHAR, organization_slug VARCHAR, "
    "market_id VARCHAR, market_slug VARCHAR, portfolio_id VARCHAR, portfolio_slug VARCHAR)",
    "CREATE TABLE revenue.recognition (recognition_id VARCHAR, person_id VARCHAR, recognition_period VARCHAR, "
    "recognized_amount_cents BIGINT, is_contra BOOLEAN, has_exception BOOLEAN)",
    "CREATE TABLE revenue.ad_spend_reconciled "
    "(week DATE, org_market_id VARCHAR, source_class VARCHAR, ad_spend_cents BIGINT)",
    "CREATE TABLE finance.cash_balance_entries (cash_balance_entry_id VARCHAR, entry_type VARCHAR, "
    "geography_grain VARCHAR, geography_key VARCHAR, structurally_unallocated BOOLEAN, amount_cents BIGINT, "
    "occurred_at TIMESTAMP)",
]

amounts = st.integers(min_value=-20_000, max_value=5_000_000)
worlds = st.fixed_dictionaries(
    {
        "orgs": st.lists(
            st.lists(st.one_of(st.just(0), amounts), min_size=1, max_size=4),  # revenue of each org_market
            min_size=1,
            max_size=3,
        ),
        "org_pools": st.lists(st.one_of(st.none(), amounts), min_size=3, max_size=3),
        "market_pools": st.dictionaries(st.integers(0, 11), amounts, max_size=4),
        "pf_pool": st.one_of(st.none(), st.integers(-1_000, 50_000_000)),
        "unallocated": st.integers(0, 9_000_000),
    }
)


@pytest.mark.slow  # builds the mart on 12 generated worlds
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w=worlds)
def test_allocation_conserves_cents_on_random_worlds(finance_contracts: list[Metric], w: dict) -> None:  # type: ignore[type-arg]
    contracts = [c for c in finance_contracts if c.name in ("revenue_recognition", "margin", "pnl_summary")]
    eng = connect("duckdb")
    assert isinstance(eng, DuckDBEngine)
    for statement in _SILVER:
        eng.conn.execute(statement)
    org_of: dict[str, str] = {}
    revenue: dict[str, int] = {}
    for o, oms in enumerate(w["orgs"]):
        for m, amount in enumerate(oms):
            om = f"om{o}{m}"
            org_of[om] = f"org{o}"
            revenue[om] = amount
            eng.conn.execute(
                "INSERT INTO spine.geography VALUES (?, ?, ?, ?, ?, 'pf', 'pf')",
                [om, f"org{o}", f"org{o}", f"m{m}", f"m{m}"],
            )
            eng.conn.execute("INSERT INTO spine.person VALUES (?, ?)", [f"p{om}", om])
            eng.conn.execute(
                "INSERT INTO revenue.recognition VALUES (?, ?, '2025-03', ?, ?, false)",
                [f"r{om}", f"p{om}", abs(amount), amount < 0],
            )
    native: dict[tuple[str, str], int] = defaultdict(int)

    def entry(grain: str, key: str, amount: int, unallocated: bool = False) -> None:
        eng.conn.execute(
            "INSERT INTO finance.cash_balance_entries VALUES ('e', 'OPEX', ?, ?, ?, ?, TIMESTAMP '2025-03-10 12:00')",
            [grain, key, unallocated, amount],
        )
        if not unallocated:
            native[(grain, key)] += amount

    for o, pool in enumerate(w["org_pools"][: len(w["orgs"])]):
        if pool is not None:
            entry("organization", f"org{o}", pool)
    leaves = sorted(org_of)
    for i, amount in w["market_pools"].items():
        entry("org_market", leaves[i % len(leaves)], amount)
    if w["pf_pool"] is not None:
        entry("portfolio", "pf", w["pf_pool"])
    entry("portfolio", "pf", w["unallocated"], unallocated=True)

    build_mart(eng, contracts, as_of=AS_OF)
    pnl = {(r["geography_grain"], r["geography_key"]): r for r in rows(eng, "SELECT * FROM mart.pnl_summary")}
    leaf, held_org, held_pf = leaf_opex(revenue, org_of, native)
    for om in org_of:
        row = pnl.get(("org_market", om))
        assert (row["operating_expense_cents"] if row else 0) == leaf.get(om, 0)
    for org in set(org_of.values()):
        row = pnl.get(("organization", org))
        members = [
            pnl[("org_market", om)]["operating_expense_cents"]
            for om in org_of
            if org_of[om] == org and ("org_market", om) in pnl
        ]
        assert (row["operating_expense_cents"] if row else 0) == sum(members) + held_org.get(org, 0)
    total = sum(native.values()) + w["unallocated"]
    assert pnl[("portfolio", "pf")]["operating_expense_cents"] == total  # every cent, exactly once
    assert held_pf == (total - w["unallocated"] - sum(leaf.values()) - sum(held_org.values()))
    assert pnl[("portfolio", "pf")]["cost_of_service_cents"] is None  # no lesson facts in this world
    assert pnl[("portfolio", "pf")]["null_reason"] == "null:upstream_unavailable"
    eng.close()


def test_allocation_model_sanity() -> None:
    from tests.mart.opex_model import allocate

    assert allocate(100, {"a": 1, "b": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}
    assert allocate(-100, {"a": 1, "b": 1, "c": 1}) == {"a": -34, "b": -33, "c": -33}
    assert allocate(5, {"a": 0, "b": -3}) is None
    assert allocate(10, {"a": 2, "b": 0}) == {"a": 10, "b": 0}
    assert sum((allocate(1_000_003, {"x": 7, "y": 11, "z": 13}) or {}).values()) == 1_000_003
