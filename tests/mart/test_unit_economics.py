"""Unit economics recomputed in polars from silver: weekly revenue per active student with its
cohort floor, and top-10 revenue concentration over a trailing 52-week window."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from tests.mart.conftest import BuiltMart
from tests.mart.helpers import round_half_away, rows


def _silver(mart: BuiltMart, sql: str) -> pl.DataFrame:
    df = pl.from_arrow(mart.silver.execute(sql))
    assert isinstance(df, pl.DataFrame)
    return df


def _recognitions(mart: BuiltMart) -> pl.DataFrame:
    return _silver(
        mart,
        "SELECT p.org_market_id, r.person_id, r.occurred_at, r.recognition_period, "
        "CASE WHEN r.is_contra THEN -r.recognized_amount_cents ELSE r.recognized_amount_cents END AS net "
        "FROM revenue.recognition r JOIN spine.person p USING (person_id)",
    )


def test_cohort_floor_and_value(mart: BuiltMart) -> None:
    for r in rows(mart.engine, "SELECT * FROM mart.revenue_per_active_student"):
        n = r["active_student_count"]
        if n is None or n < 5:
            assert r["revenue_per_active_student_cents"] is None
            assert r["null_reason"] == "null:insufficient_data"
        else:
            assert r["null_reason"] is None
            assert r["revenue_per_active_student_cents"] == round_half_away(r["recognized_revenue_cents"], n)
    floored = rows(
        mart.engine, "SELECT count(*) AS n FROM mart.revenue_per_active_student WHERE null_reason IS NOT NULL"
    )
    assert floored[0]["n"] > 0


def test_weekly_numerator_and_denominator_from_silver(mart: BuiltMart) -> None:
    rec = (
        _recognitions(mart)
        .with_columns(week=pl.col("occurred_at").dt.strftime("%G-W%V"))
        .group_by(["org_market_id", "week"])
        .agg(pl.col("net").sum())
    )
    active = (
        _silver(mart, "SELECT org_market_id, snapshot_week, status FROM delivery.customer")
        .with_columns(week=pl.col("snapshot_week").dt.strftime("%G-W%V"))
        .group_by(["org_market_id", "week"])
        .agg((pl.col("status") == "active").sum().alias("n"))
    )
    revenue = {(r["org_market_id"], r["week"]): r["net"] for r in rec.iter_rows(named=True)}
    counts = {(r["org_market_id"], r["week"]): r["n"] for r in active.iter_rows(named=True)}
    served = rows(mart.engine, "SELECT * FROM mart.revenue_per_active_student")
    assert {(r["org_market_id"], r["week"]) for r in served} == set(revenue) | set(counts)
    for r in served:
        k = (r["org_market_id"], r["week"])
        assert r["recognized_revenue_cents"] == revenue.get(k, 0)
        assert r["active_student_count"] == counts.get(k)


def test_top10_concentration_recomputed_in_polars(mart: BuiltMart) -> None:
    rec = _recognitions(mart).with_columns(day=pl.col("occurred_at").dt.date())
    served = rows(mart.engine, "SELECT * FROM mart.revenue_concentration")
    periods = sorted(set(rec["recognition_period"].to_list()))
    expected: dict[tuple[str, str], tuple[int, int, int]] = {}
    for period in periods:
        year, month = map(int, period.split("-"))
        end = pl.date(year + (month == 12), month % 12 + 1, 1)
        end_value = pl.select(end).item()
        start_value = end_value - timedelta(days=52 * 7)
        window = rec.filter((pl.col("day") >= start_value) & (pl.col("day") < end_value))
        per_person = window.group_by(["org_market_id", "person_id"]).agg(pl.col("net").sum())
        for (om,), people in per_person.group_by(["org_market_id"]):
            ranked = people.sort(["net", "person_id"], descending=[True, False])
            total = int(ranked["net"].sum())
            if total <= 0:
                continue
            top = int(ranked["net"].head(10).sum())
            expected[(str(om), period)] = (top, total, round_half_away(top * 10_000, total))
    got = {(r["org_market_id"], r["reporting_period"]): r for r in served}
    assert set(got) == set(expected)
    for k, (top, total, bps) in expected.items():
        r = got[k]
        assert (r["top_n_revenue_cents"], r["total_revenue_cents"], r["concentration_ratio_bps"]) == (
            top,
            total,
            bps,
        ), k
        assert (r["_concentration_n"], r["_concentration_window_weeks"]) == (10, 52)
