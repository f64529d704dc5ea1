"""Which metric an output column is named for: whole tokens, the longest alias of the knowledge base."""

from __future__ import annotations

import pytest

from canon.audit.naming import NAMED, UNNAMED, OutputNames, metric_named, named_like_money, tokens


@pytest.mark.parametrize(
    ("output", "metric"),
    [
        ("mrr_cents", "mrr"),
        ("netMrr", "mrr"),
        ("new_mrr", "new_mrr"),  # the movement, not MRR: the longer alias wins
        ("total_arr", "arr"),
        ("gross_sales", "revenue"),
        ("invoiced_cents", "billings"),
        ("lifetime_net_cash_cents", "cash"),
        ("monthly_recurring_revenue", "mrr"),  # three tokens of MRR beat `revenue`
        ("amount", None),
        ("summary", None),  # `sum` is no word of `summary`: whole tokens only
    ],
)
def test_metric_named(output: str, metric: str | None) -> None:
    assert metric_named(output) == metric


def test_rank_counts_related_metrics_and_refuses_other_ones() -> None:
    revenue = OutputNames("revenue")
    assert revenue.rank("revenue_cents") == NAMED
    assert revenue.rank("invoiced_cents") == NAMED  # billings are counted by revenue
    assert revenue.rank("net_cash_cents") is None and revenue.other("net_cash_cents") == "cash"
    assert revenue.rank("line_amount_cents") == UNNAMED


def test_the_closest_name_comes_first() -> None:
    revenue, cash = OutputNames("revenue"), OutputNames("cash")
    assert sorted(["gross_revenue_cents", "revenue_cents"], key=revenue.closeness) == [
        "revenue_cents",
        "gross_revenue_cents",
    ]
    assert sorted(["gross_cash_cents", "net_cash_cents"], key=cash.closeness) == ["net_cash_cents", "gross_cash_cents"]


def test_integer_money_by_name() -> None:
    assert tokens("totalAmountCents") == ["total", "amount", "cents"]
    assert named_like_money("amount") and named_like_money("total_cents") and named_like_money("mrr")
    assert not named_like_money("quantity") and not named_like_money("amount_id") and not named_like_money("seats")
