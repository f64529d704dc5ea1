"""The BI query log: usage counted by parsing each query with sqlglot, as the audit will."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

MODELS = ("fct_revenue_monthly", "fct_arr_by_account", "fct_marketing_revenue")
END_OF_CURRENT_MONTH = datetime(2026, 11, 1)


@cache
def tables_queried(sql: str) -> frozenset[str]:
    """Lower-cased names of the real tables a query reads (CTE names excluded)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return frozenset({t.name.lower() for t in tree.find_all(exp.Table)} - ctes)


@pytest.fixture(scope="module")
def log(acme_dir: Path) -> list[dict[str, str]]:
    with (acme_dir / "logs" / "query_log.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def usage(log: list[dict[str, str]]) -> Counter[tuple[str, str, str]]:
    """(month, model, team) → number of queries reading the model."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for row in log:
        for model in tables_queried(row["query"]) & set(MODELS):
            counts[(row["timestamp"][:7], model, row["team"])] += 1
    return counts


def test_columns_and_iso_utc_timestamps_in_order(log: list[dict[str, str]]) -> None:
    assert list(log[0]) == ["timestamp", "user", "team", "query"]
    stamps = [row["timestamp"] for row in log]
    assert all(s.endswith("Z") for s in stamps)
    parsed = [datetime.fromisoformat(s.removesuffix("Z")) for s in stamps]
    assert parsed == sorted(parsed)
    assert max(parsed) < END_OF_CURRENT_MONTH


def test_finance_queries_its_model_847_times_in_each_of_the_last_six_months(
    usage: Counter[tuple[str, str, str]], log: list[dict[str, str]]
) -> None:
    for month in ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"):
        assert usage[(month, "fct_revenue_monthly", "finance")] == 847, month
    users = {r["user"] for r in log if r["team"] == "finance"}
    assert len(users) >= 3


def test_sales_queries_its_model_23_times_a_month(usage: Counter[tuple[str, str, str]]) -> None:
    months = sorted({m for (m, model, _) in usage if model == "fct_arr_by_account"})
    assert len(months) == 12
    assert all(usage[(m, "fct_arr_by_account", "sales")] == 23 for m in months)


def test_marketing_stopped_querying_its_model_more_than_90_days_ago(log: list[dict[str, str]]) -> None:
    stamps = [
        datetime.fromisoformat(r["timestamp"].removesuffix("Z"))
        for r in log
        if "fct_marketing_revenue" in tables_queried(r["query"])
    ]
    assert len(stamps) >= 50  # it was used, once
    assert max(stamps) < END_OF_CURRENT_MONTH - timedelta(days=90)


def test_no_query_reads_two_team_models(log: list[dict[str, str]]) -> None:
    assert all(len(tables_queried(r["query"]) & set(MODELS)) <= 1 for r in log)


def test_grep_overcounts_so_usage_needs_a_parser(log: list[dict[str, str]]) -> None:
    for model in MODELS:
        grepped = sum(model in r["query"].lower() for r in log)
        parsed = sum(model in tables_queried(r["query"]) for r in log)
        assert grepped > parsed, model


def test_query_texts_vary(log: list[dict[str, str]]) -> None:
    finance = [r["query"] for r in log if "fct_revenue_monthly" in tables_queried(r["query"])]
    shapes = {q.split("\n")[0][:30] for q in finance}
    assert len(shapes) >= 8
    texts = "\n".join(finance)
    assert '"main"."fct_revenue_monthly"' in texts and "warehouse.main.fct_revenue_monthly" in texts
    assert "FCT_REVENUE_MONTHLY" in texts and "with " in texts and "--" in texts
