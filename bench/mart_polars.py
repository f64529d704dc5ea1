"""The obvious alternative to `canon mart build`: pull the silver tables out as Arrow and compute
the same figures with polars. Used by bench_mart.py for the speed ratio, and as an independent
check of four groupings at benchmark scale (the results must match the mart exactly)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

NET = pl.when(pl.col("is_contra")).then(-pl.col("recognized_amount_cents")).otherwise(pl.col("recognized_amount_cents"))


def _read(con: Any, sql: str) -> pl.DataFrame:
    df = pl.from_arrow(con.sql(sql).to_arrow_table())
    assert isinstance(df, pl.DataFrame)
    return df


def _month_end(period: str) -> date:
    y, m = map(int, period.split("-"))
    return date(y + (m == 12), m % 12 + 1, 1)


def _round_half_away(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    q = (2 * num.abs() + den) // (2 * den)
    return pl.when(num >= 0).then(q).otherwise(-q)


def figures(con: Any) -> dict[str, pl.DataFrame]:
    person = _read(con, "SELECT person_id, org_market_id FROM spine.person")
    geo = _read(con, "SELECT * FROM spine.geography")
    rec = _read(
        con,
        "SELECT person_id, recognition_period, recognized_amount_cents, is_contra, has_exception, occurred_at "
        "FROM revenue.recognition",
    ).join(person, on="person_id", how="left")
    out: dict[str, pl.DataFrame] = {}

    out["revenue_recognition"] = (
        rec.group_by(["recognition_period", "org_market_id"])
        .agg(
            gross=pl.col("recognized_amount_cents").filter(~pl.col("is_contra")).sum(),
            contra=pl.col("recognized_amount_cents").filter(pl.col("is_contra")).sum(),
            n=pl.len(),
            exc=pl.col("has_exception").sum(),
            exc_rev=NET.filter(pl.col("has_exception")).sum(),
        )
        .with_columns(net=pl.col("gross") - pl.col("contra"))
        .join(geo, on="org_market_id", how="left")
    )

    periods = sorted(rec["recognition_period"].unique().to_list())
    calendar = pl.DataFrame({"reporting_period": periods, "period_end": [_month_end(p) for p in periods]})
    orders = _read(con, 'SELECT person_id, amount_paid_cents, paid_at, status FROM revenue."order"')
    received = (
        orders.filter((pl.col("status") == "paid") & pl.col("paid_at").is_not_null())
        .join(person, on="person_id")
        .group_by([pl.col("paid_at").dt.strftime("%Y-%m").alias("reporting_period"), "org_market_id"])
        .agg(received=pl.col("amount_paid_cents").sum())
    )
    refunds = _read(con, "SELECT person_id, amount_cents, refunded_at, status FROM revenue.refund_item")
    refunded = (
        refunds.filter(pl.col("status") == "succeeded")
        .join(person, on="person_id")
        .group_by([pl.col("refunded_at").dt.strftime("%Y-%m").alias("reporting_period"), "org_market_id"])
        .agg(refunded=pl.col("amount_cents").sum())
    )
    res = _read(con, "SELECT person_id, amount_cents, funded, reserved_at, closed_at FROM revenue.credit_reservation")
    reserved = (
        res.filter(pl.col("funded"))
        .join(person, on="person_id")
        .join(calendar, how="cross")
        .filter(
            (pl.col("reserved_at") < pl.col("period_end").cast(pl.Datetime("us")))
            & (pl.col("closed_at").is_null() | (pl.col("closed_at") >= pl.col("period_end").cast(pl.Datetime("us"))))
        )
        .group_by(["reporting_period", "org_market_id"])
        .agg(
            reserved=pl.when(pl.col("amount_cents").null_count() == 0).then(pl.col("amount_cents").sum()),
            n_res=pl.len(),
        )
    )
    ledger = _read(
        con,
        "SELECT person_id, type, amount_cents, occurred_at FROM revenue.credit_ledger "
        "WHERE type <> 'RESERVATION_LOCK_DEBIT'",
    )
    moves = (
        ledger.join(person, on="person_id")
        .group_by([pl.col("occurred_at").dt.strftime("%Y-%m").alias("reporting_period"), "org_market_id"])
        .agg(move=pl.col("amount_cents").sum())
    )
    grid = calendar.select("reporting_period").join(geo.select("org_market_id"), how="cross")
    cash = (
        grid.join(received, on=["reporting_period", "org_market_id"], how="left")
        .join(refunded, on=["reporting_period", "org_market_id"], how="left")
        .join(reserved, on=["reporting_period", "org_market_id"], how="left")
        .join(moves, on=["reporting_period", "org_market_id"], how="left")
        .sort(["org_market_id", "reporting_period"])
        .with_columns(
            pl.col("received").fill_null(0),
            pl.col("refunded").fill_null(0),
            unearned=pl.col("move").fill_null(0).cum_sum().over("org_market_id"),
        )
        .with_columns(
            net=pl.col("received") - pl.col("refunded"),
            reserved=pl.when(pl.col("n_res").is_null()).then(0).otherwise(pl.col("reserved")),
        )
    )
    out["cash_position"] = cash

    snapshots = _read(con, "SELECT org_market_id, snapshot_week, status FROM delivery.customer")
    active = snapshots.group_by(["org_market_id", pl.col("snapshot_week").dt.truncate("1w").alias("week_start")]).agg(
        n=(pl.col("status") == "active").sum()
    )
    weekly = rec.group_by(["org_market_id", pl.col("occurred_at").dt.truncate("1w").dt.date().alias("week_start")]).agg(
        revenue=NET.sum()
    )
    out["revenue_per_active_student"] = (
        weekly.join(active, on=["org_market_id", "week_start"], how="full", coalesce=True)
        .with_columns(revenue=pl.col("revenue").fill_null(0), week=pl.col("week_start").dt.strftime("%G-W%V"))
        .with_columns(per_student=pl.when(pl.col("n") >= 5).then(_round_half_away(pl.col("revenue"), pl.col("n"))))
    )

    daily = rec.group_by(["org_market_id", "person_id", pl.col("occurred_at").dt.date().alias("day")]).agg(
        revenue=NET.sum()
    )
    parts = []
    for period in periods:
        end = _month_end(period)
        window = daily.filter((pl.col("day") >= end - timedelta(days=364)) & (pl.col("day") < end))
        per_person = window.group_by(["org_market_id", "person_id"]).agg(pl.col("revenue").sum())
        ranked = per_person.sort(["org_market_id", "revenue", "person_id"], descending=[False, True, False])
        parts.append(
            ranked.group_by("org_market_id")
            .agg(top=pl.col("revenue").head(10).sum(), total=pl.col("revenue").sum())
            .with_columns(reporting_period=pl.lit(period))
        )
    conc = pl.concat(parts).filter(pl.col("total") > 0)
    out["revenue_concentration"] = conc.with_columns(bps=_round_half_away(pl.col("top") * 10_000, pl.col("total")))
    return out


def check_against_mart(con: Any, got: dict[str, pl.DataFrame]) -> list[str]:
    """Compare the polars figures with the built mart; returns the mismatches (empty when equal)."""
    problems: list[str] = []

    def compare(name: str, mine: pl.DataFrame, sql: str, keys: list[str]) -> None:
        theirs = _read(con, sql)
        a = mine.select(theirs.columns).sort(keys)
        b = theirs.sort(keys)
        if a.shape != b.shape or not a.equals(b):
            problems.append(f"{name}: polars and the mart differ ({a.shape} vs {b.shape})")

    rr = got["revenue_recognition"].rename(
        {
            "recognition_period": "reporting_period",
            "gross": "g",
            "contra": "c",
            "n": "k",
            "exc": "e",
            "exc_rev": "x",
            "net": "t",
        }
    )
    compare(
        "revenue_recognition",
        rr,
        "SELECT reporting_period, org_market_id, gross_recognized_revenue_cents AS g, contra_revenue_cents AS c, "
        "recognition_count AS k, exception_recognition_count AS e, exception_revenue_cents AS x, "
        "recognized_revenue_cents AS t FROM mart.revenue_recognition",
        ["reporting_period", "org_market_id"],
    )
    cash = got["cash_position"].rename({"received": "a", "refunded": "b", "net": "c", "reserved": "d", "unearned": "e"})
    compare(
        "cash_position",
        cash,
        "SELECT reporting_period, org_market_id, cash_received_cents AS a, cash_refunded_cents AS b, "
        "net_cash_cents AS c, reserved_credit_liability_cents AS d, unearned_credit_balance_cents AS e "
        "FROM mart.cash_position",
        ["reporting_period", "org_market_id"],
    )
    weekly = got["revenue_per_active_student"].rename({"revenue": "r", "n": "k", "per_student": "v"})
    compare(
        "revenue_per_active_student",
        weekly,
        "SELECT org_market_id, week, recognized_revenue_cents AS r, active_student_count AS k, "
        "revenue_per_active_student_cents AS v FROM mart.revenue_per_active_student",
        ["org_market_id", "week"],
    )
    conc = got["revenue_concentration"].rename({"top": "a", "total": "b", "bps": "c"})
    compare(
        "revenue_concentration",
        conc,
        "SELECT org_market_id, reporting_period, top_n_revenue_cents AS a, total_revenue_cents AS b, "
        "concentration_ratio_bps AS c FROM mart.revenue_concentration",
        ["org_market_id", "reporting_period"],
    )
    return problems
