"""Rollups declared in contracts and applied by generic code: sums hold level by level, weighted
means recomputed here in Python, and revenue recognition recomputed from silver by hand."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canon.mart import read_grouping
from tests.mart.conftest import BuiltMart
from tests.mart.helpers import round_half_away, rows

PNL_SUMMED = [
    "recognized_revenue_cents",
    "cost_of_service_cents",
    "attributable_ad_spend_cents",
    "flagged_other_ad_spend_cents",
    "contribution_margin_cents",
]


def _strict_sum(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _geo(mart: BuiltMart) -> dict[str, dict[str, Any]]:
    return {r["org_market_id"]: r for r in rows(mart.silver, "SELECT * FROM spine.geography")}


def test_net_is_gross_less_contra_and_matches_silver(mart: BuiltMart) -> None:
    served = rows(mart.engine, "SELECT * FROM mart.revenue_recognition")
    by_hand = {
        (r["recognition_period"], r["org_market_id"]): r
        for r in rows(
            mart.silver,
            """SELECT r.recognition_period, p.org_market_id,
                      sum(recognized_amount_cents) FILTER (WHERE NOT is_contra) AS gross,
                      sum(recognized_amount_cents) FILTER (WHERE is_contra) AS contra,
                      count(*) AS n, count(*) FILTER (WHERE has_exception) AS exc
               FROM revenue.recognition r JOIN spine.person p USING (person_id) GROUP BY ALL""",
        )
    }
    assert len(served) == len(by_hand)
    for r in served:
        assert r["recognized_revenue_cents"] == r["gross_recognized_revenue_cents"] - r["contra_revenue_cents"]
        assert r["has_exception"] == (r["exception_recognition_count"] > 0)
        h = by_hand[(r["reporting_period"], r["org_market_id"])]
        assert r["gross_recognized_revenue_cents"] == (h["gross"] or 0)
        assert r["contra_revenue_cents"] == (h["contra"] or 0)
        assert (r["recognition_count"], r["exception_recognition_count"]) == (h["n"], h["exc"])


def test_pnl_levels_sum_up(mart: BuiltMart) -> None:
    geo = _geo(mart)
    pnl = rows(mart.engine, "SELECT * FROM mart.pnl_summary")
    at = {(r["geography_grain"], r["geography_key"], r["reporting_period"]): r for r in pnl}
    leaves: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    orgs: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in pnl:
        if r["geography_grain"] == "org_market":
            leaves[(geo[r["geography_key"]]["organization_id"], r["reporting_period"])].append(r)
        elif r["geography_grain"] == "organization":
            orgs[("pf_001", r["reporting_period"])].append(r)
    assert leaves and orgs
    for (org, period), children in leaves.items():
        parent = at[("organization", org, period)]
        for column in [*PNL_SUMMED, "operating_expense_cents", "net_income_cents"]:
            assert parent[column] == _strict_sum([c[column] for c in children]), (org, period, column)
    entries = {
        (r["p"], r["unallocated"]): int(r["cents"])
        for r in rows(
            mart.silver,
            "SELECT strftime(occurred_at, '%Y-%m') AS p, structurally_unallocated AS unallocated, "
            "sum(amount_cents) AS cents "
            "FROM finance.cash_balance_entries WHERE entry_type = 'OPEX' GROUP BY ALL",
        )
    }
    for (pf, period), children in orgs.items():
        parent = at[("portfolio", pf, period)]
        for column in PNL_SUMMED:
            assert parent[column] == _strict_sum([c[column] for c in children]), (period, column)
        unallocated = entries.get((period, True), 0)
        # the portfolio row = its organizations + what never flows down; and every OPEX cent is counted once
        assert parent["operating_expense_cents"] == sum(c["operating_expense_cents"] for c in children) + unallocated
        assert parent["operating_expense_cents"] == unallocated + entries.get((period, False), 0)
        assert parent["opex_kind"] == ("structurally_unallocated_held_at_portfolio" if unallocated else None)


def test_sum_rollups_read_back_by_level(mart: BuiltMart) -> None:
    contracts = mart.world.contracts()
    geo = _geo(mart)
    for name, columns in [
        ("revenue_recognition", ["recognized_revenue_cents", "gross_recognized_revenue_cents", "recognition_count"]),
        ("cash_position", ["cash_received_cents", "net_cash_cents", "reserved_credit_liability_cents"]),
        ("margin", ["direct_cost_cents", "gross_margin_cents"]),
    ]:
        leaf = read_grouping(mart.engine, name).to_pylist()
        org = read_grouping(mart.engine, name, level="organization", contracts=contracts).to_pylist()
        pf = read_grouping(mart.engine, name, level="portfolio", contracts=contracts).to_pylist()
        expect_org: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in leaf:
            expect_org[(geo[r["org_market_id"]]["organization_id"], r["reporting_period"])].append(r)
        got_org = {(r["organization_id"], r["reporting_period"]): r for r in org}
        assert set(got_org) == set(expect_org)
        for k, children in expect_org.items():
            for c in columns:
                assert got_org[k][c] == _strict_sum([x[c] for x in children]), (name, k, c)
        by_period: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in org:
            by_period[r["reporting_period"]].append(r)
        for r in pf:
            for c in columns:
                assert r[c] == _strict_sum([x[c] for x in by_period[r["reporting_period"]]]), (name, c)
        if name == "revenue_recognition":
            assert all(r["has_exception"] == (r["exception_recognition_count"] > 0) for r in org)


def _weighted(children: list[dict[str, Any]], value: str, weight: str) -> int | None:
    usable = [c for c in children if c[value] is not None and c[weight] > 0]
    den = sum(c[weight] for c in usable)
    return round_half_away(sum(c[value] * c[weight] for c in usable), den) if den > 0 else None


def test_weighted_means_recomputed_independently(mart: BuiltMart) -> None:
    contracts = mart.world.contracts()
    geo = _geo(mart)
    for name, by, value, weight, sums in [
        (
            "revenue_per_active_student",
            "week",
            "revenue_per_active_student_cents",
            "recognized_revenue_cents",
            ["recognized_revenue_cents", "active_student_count"],
        ),
        (
            "revenue_concentration",
            "reporting_period",
            "concentration_ratio_bps",
            "total_revenue_cents",
            ["top_n_revenue_cents", "total_revenue_cents"],
        ),
    ]:
        leaf = read_grouping(mart.engine, name).to_pylist()
        for level, key in [("organization", "organization_id"), ("portfolio", "portfolio_id")]:
            groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
            for r in leaf:
                groups[(geo[r["org_market_id"]][key], r[by])].append(r)
            got = {
                (r[key], r[by]): r
                for r in read_grouping(mart.engine, name, level=level, contracts=contracts).to_pylist()
            }
            assert set(got) == set(groups)
            for k, children in groups.items():
                for s in sums:
                    assert got[k][s] == _strict_sum([c[s] for c in children])
                expected = _weighted(children, value, weight)
                if name == "revenue_per_active_student" and (got[k]["active_student_count"] or 0) < 5:
                    expected = None  # the cohort floor applies at every level
                assert got[k][value] == expected, (name, level, k)
                if name == "revenue_concentration":
                    assert got[k]["_concentration_n"] == 10 and got[k]["_concentration_window_weeks"] == 52


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_filters_select_exactly_the_matching_rows(mart: BuiltMart, data: st.DataObject) -> None:
    everything = read_grouping(mart.engine, "margin").to_pylist()
    om = data.draw(st.sampled_from(sorted({r["org_market_id"] for r in everything})))
    periods = data.draw(
        st.lists(st.sampled_from(sorted({r["reporting_period"] for r in everything})), min_size=1, max_size=3)
    )
    got = read_grouping(mart.engine, "margin", filters={"org_market_id": om, "reporting_period": periods}).to_pylist()
    want = [r for r in everything if r["org_market_id"] == om and r["reporting_period"] in periods]
    assert sorted(got, key=lambda r: r["reporting_period"]) == sorted(want, key=lambda r: r["reporting_period"])
