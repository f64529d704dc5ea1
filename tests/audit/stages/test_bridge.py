"""`bridge`: every step of a waterfall is a figure of its own, and the steps add up to the gap.

Figures here are computed in Python from the shop's rows (shop.py), not by canon's SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from canon.audit.extract import Extraction
from canon.audit.runner import AuditContext, bridge, canonical
from canon.audit.sources import ModelSource
from canon.contracts.decisions import DecisionVector, Measure, TimeBasis
from canon.contracts.refs import ColumnRef
from canon.project import Project
from tests.audit.factories import definition
from tests.audit.stages.conftest import open_context
from tests.audit.stages.shop import CUSTOMERS, ORDERS, REVENUE_CENTS

STATUS, KIND, REGION = (
    ColumnRef("raw_orders", "status"),
    ColumnRef("raw_orders", "kind"),
    ColumnRef("raw_customers", "region"),
)
DOMAINS = {STATUS: ["paid", "pending", "refunded"], KIND: ["sale", "fee", "credit"], REGION: ["emea", "amer", "apac"]}
Filters = dict[ColumnRef, frozenset[str] | None]


def hand_figure(filters: Filters) -> int:
    """March orders admitted by `filters`, summed in cents, from the rows as listed in shop.py."""
    region = dict(CUSTOMERS)
    total = Decimal(0)
    for _, customer, day, amount, kind, status in ORDERS:
        row = {STATUS: status, KIND: kind, REGION: region[customer]}
        if day.startswith("2026-03") and all(v is None or row[c] in v for c, v in filters.items()):
            total += Decimal(amount)
    return int(total * 100)


def vector(filters: Filters) -> DecisionVector:
    return DecisionVector.build(
        Measure(ColumnRef("raw_orders", "amount")),
        TimeBasis((ColumnRef("raw_orders", "ordered_on"),)),
        filters={c: sorted(v) for c, v in filters.items() if v is not None},
    )


def bridged(ctx: AuditContext, filters: Filters) -> AuditContext:
    """Run the bridge stage for one definition with `filters`, priced by hand."""
    start = vector(filters)
    ctx.definitions = [definition("m", value_cents=hand_figure(filters), vector=start)]
    ctx.extractions = {
        "m": Extraction(ModelSource("m", "", "m.sql", ("m",)), "revenue", start, [], [], {}, [], [], exp.select("1"))
    }
    ctx.bridges, ctx.bridge_failures = {}, {}
    bridge(ctx)
    return ctx


@pytest.fixture(scope="module")
def priced(shop: Project) -> Iterator[AuditContext]:
    ctx = open_context(shop)
    canonical(ctx)
    assert ctx.canonical_cents == REVENUE_CENTS == hand_figure({STATUS: frozenset({"paid"}), KIND: frozenset({"sale"})})
    yield ctx


def test_gross_sales_to_the_contract_step_by_step(priced: AuditContext) -> None:
    # gross_sales admits paid and pending, every kind: 1432.59 in March
    ctx = bridged(priced, {STATUS: frozenset({"paid", "pending"})})
    steps = [(s.decision, s.impact_cents, s.isolated_cents, s.value_after_cents) for s in ctx.bridges["m"].steps]
    assert steps == [
        ("filter:raw_orders.kind", +2_000, +2_000, 145_259),  # exclude credit: O7 -20.00
        ("filter:raw_orders.kind", -5_259, -5_259, 140_000),  # exclude fee: O3 40.25 + O9 12.34
        ("filter:raw_orders.status", -30_000, -31_234, 110_000),  # exclude pending: O8 300.00 (O9 gone)
    ]
    assert ctx.bridges["m"].interaction_cents == -30_000 - -31_234


def test_a_definition_equal_to_the_contract_has_no_steps(priced: AuditContext) -> None:
    ctx = bridged(priced, {STATUS: frozenset({"paid"}), KIND: frozenset({"sale"})})
    assert ctx.bridges["m"].steps == []


@st.composite
def filter_sets(draw: st.DrawFn) -> Filters:
    return {
        c: draw(st.one_of(st.none(), st.frozensets(st.sampled_from(values), min_size=1)))
        for c, values in DOMAINS.items()
    }


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=filter_sets())
def test_steps_are_figures_and_add_up_to_the_gap(priced: AuditContext, filters: Filters) -> None:
    ctx = bridged(priced, filters)
    b = ctx.bridges["m"]
    start = hand_figure(filters)
    assert b.start_cents == start and b.end_cents == REVENUE_CENTS
    assert sum(s.impact_cents for s in b.steps) == REVENUE_CENTS - start
    assert all(s.decision != "residual" for s in b.steps)  # both ends are reproduced exactly
    state = dict(filters)
    value = start
    for s in b.steps:
        column = ColumnRef.parse(s.decision.removeprefix("filter:"))
        state[column] = None if s.to_value is None else frozenset(s.to_value)
        assert s.value_after_cents == hand_figure(state) == value + s.impact_cents, s.label
        value = s.value_after_cents
    assert value == REVENUE_CENTS


def test_compare_bridges_two_definitions(shop: Project) -> None:
    ctx = open_context(shop, compare=("a", "b"))
    a = {STATUS: frozenset({"paid"})}
    b = {STATUS: frozenset({"paid"}), REGION: frozenset({"emea"})}
    ctx.definitions = [
        definition("a", value_cents=hand_figure(a), vector=vector(a)),
        definition("b", value_cents=hand_figure(b), vector=vector(b)),
    ]
    empty = Extraction(ModelSource("x", "", "x.sql", ("x",)), "revenue", vector(a), [], [], {}, [], [], exp.select("1"))
    ctx.extractions = {"a": empty, "b": empty}
    bridge(ctx)
    assert ctx.bridges == {}  # the canonical stage has not run: only the pair is bridged
    pair = ctx.pair_bridge
    assert pair is not None and (pair.start_cents, pair.end_cents) == (hand_figure(a), hand_figure(b))
    assert sum(s.impact_cents for s in pair.steps) == hand_figure(b) - hand_figure(a)
