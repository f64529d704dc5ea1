"""The evaluator outlives the audit (propose reuses it), so a figure computed through a model's
own joins must not answer for the same vector on the project's graph."""

from __future__ import annotations

import pytest

from canon.audit.figures import Evaluator
from canon.compiler.joins import JoinGraph
from canon.contracts.decisions import DecisionVector, Measure, TimeBasis
from canon.contracts.model import JoinEdge
from canon.contracts.refs import ColumnRef
from canon.errors import QueryError
from canon.project import Project
from tests.audit.stages.conftest import MARCH

ORDERS_TO_CUSTOMERS = JoinEdge(ColumnRef("raw_orders", "customer_id"), ColumnRef("raw_customers", "customer_id"))
EMEA = DecisionVector.build(
    Measure(ColumnRef("raw_orders", "amount")),
    TimeBasis((ColumnRef("raw_orders", "ordered_on"),)),
    filters={ColumnRef("raw_customers", "region"): ["emea"]},
)
EMEA_MARCH_CENTS = 34_284  # C1's March orders, any kind or status: O1 100 + O2 250.50 + O7 -20 + O9 12.34


def test_figures_are_cached_per_join_set(shop: Project) -> None:
    # a graph without the orders → customers join: only a model that joins them can price EMEA
    evaluator = Evaluator(shop.engine, JoinGraph([]), shop.relations(shop.engine), MARCH)
    assert evaluator(EMEA, [ORDERS_TO_CUSTOMERS]) == EMEA_MARCH_CENTS
    assert evaluator.compiles(EMEA, [ORDERS_TO_CUSTOMERS])
    assert not evaluator.compiles(EMEA)
    with pytest.raises(QueryError):
        evaluator(EMEA)
    assert EMEA not in evaluator.cache


def test_joins_the_graph_already_has_share_its_cache(shop: Project) -> None:
    evaluator = Evaluator(shop.engine, shop.join_graph(), shop.relations(shop.engine), MARCH)
    evaluator.many([EMEA], [ORDERS_TO_CUSTOMERS])  # a join the project declares adds nothing
    assert evaluator.cache == {EMEA: EMEA_MARCH_CENTS}
    assert evaluator(EMEA) == EMEA_MARCH_CENTS
