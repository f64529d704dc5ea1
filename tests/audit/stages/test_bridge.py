"""`bridge`: each step is a decision's Shapley value, and the steps add up to the gap.

Figures here are computed in Python from the shop's rows (shop.py), not by canon's SQL, and the
Shapley values by averaging over every order of the decisions (not canon's subset formula).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from itertools import permutations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from canon.audit import bridge as bridge_mod
from canon.audit.extract import Extraction
from canon.audit.result import BridgeStep
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


CANONICAL: Filters = {STATUS: frozenset({"paid"}), KIND: frozenset({"sale"}), REGION: None}
Player = tuple[ColumnRef, str]  # one admitted value added to, or removed from, one column


def players(filters: Filters) -> list[Player]:
    """Each value the definition admits beyond the canonical one, or leaves out of it."""
    out: list[Player] = []
    for c, values in DOMAINS.items():
        a = CANONICAL.get(c) or frozenset(values)
        b = filters.get(c) or frozenset(values)
        out += [(c, v) for v in sorted(a ^ b)]
    return out


def coalition_figure(filters: Filters, flipped: set[Player]) -> int:
    """The canonical filters with the `flipped` values of the definition applied, priced by hand."""
    state: Filters = {}
    for c, values in DOMAINS.items():
        admitted = set(CANONICAL.get(c) or values)
        admitted ^= {v for col, v in flipped if col == c}
        state[c] = None if admitted == set(values) else frozenset(admitted)
    return hand_figure(state)


def hand_shapley(filters: Filters) -> dict[Player, Fraction]:
    """Each player's average marginal figure over every order (n! orders, nothing shared with canon)."""
    ps = players(filters)
    orders = list(permutations(ps))
    total: dict[Player, Fraction] = dict.fromkeys(ps, Fraction(0))
    for order in orders:
        flipped: set[Player] = set()
        before = coalition_figure(filters, flipped)
        for p in order:
            flipped.add(p)
            after = coalition_figure(filters, flipped)
            total[p] += after - before
            before = after
    return {p: t / len(orders) for p, t in total.items()}


def step_player(step: BridgeStep) -> Player:
    column = ColumnRef.parse(step.decision.split(":", 1)[1])
    value = next(v for v in DOMAINS[column] if re.search(rf" {v}( \(.*\))?$", step.label))
    return column, value


@pytest.fixture(scope="module")
def priced(shop: Project) -> Iterator[AuditContext]:
    ctx = open_context(shop)
    canonical(ctx)
    assert ctx.canonical_cents == REVENUE_CENTS == hand_figure(CANONICAL)
    yield ctx


def test_gross_sales_priced_by_shapley_value(priced: AuditContext) -> None:
    # gross_sales admits paid and pending, every kind: 1432.59 in March (shop.py)
    filters: Filters = {STATUS: frozenset({"paid", "pending"})}
    ctx = bridged(priced, filters)
    b = ctx.bridges["m"]
    assert (b.start_cents, b.end_cents) == (REVENUE_CENTS, 143_259)
    exact = hand_shapley(filters)
    assert {step_player(s): s.impact_cents for s in b.steps} == {p: round(v) for p, v in exact.items()}
    # by hand from shop.py: O7 credit −20.00, O3 fee 40.25, O8 pending sale 300.00, O9 pending fee 12.34
    # (shared by "fee" and "pending": 6.17 each)
    assert exact == {
        (KIND, "credit"): -2_000,
        (KIND, "fee"): 4_025 + Fraction(1_234, 2),
        (STATUS, "pending"): 30_000 + Fraction(1_234, 2),
    }
    assert sum(s.impact_cents for s in b.steps) == 143_259 - REVENUE_CENTS


def test_a_definition_equal_to_the_contract_has_no_steps(priced: AuditContext) -> None:
    ctx = bridged(priced, dict(CANONICAL))
    assert ctx.bridges["m"].steps == []


@st.composite
def filter_sets(draw: st.DrawFn) -> Filters:
    return {
        c: draw(st.one_of(st.none(), st.frozensets(st.sampled_from(values), min_size=1)))
        for c, values in DOMAINS.items()
    }


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=filter_sets())
def test_steps_are_shapley_values_and_add_up_to_the_gap(priced: AuditContext, filters: Filters) -> None:
    ctx = bridged(priced, filters)
    b = ctx.bridges["m"]
    end = hand_figure(filters)
    assert b.start_cents == REVENUE_CENTS and b.end_cents == end and b.exact
    assert sum(s.impact_cents for s in b.steps) == end - REVENUE_CENTS
    assert all(s.decision != "residual" for s in b.steps)  # both ends are reproduced exactly
    exact = hand_shapley(filters)
    # every value of a column admitted explicitly is no filter to the hand figures: priced at 0
    written = [s for s in b.steps if "filter on" in s.label]
    assert all(s.impact_cents == 0 for s in written)
    assert len(b.steps) - len(written) == len(exact)
    for s in (s for s in b.steps if s not in written):
        assert abs(s.impact_cents - exact[step_player(s)]) < 1, s.label  # rounded, never more than a cent off
    running = REVENUE_CENTS
    for s in b.steps:
        running += s.impact_cents
        assert s.value_after_cents == running
    assert running == end


def test_above_the_exact_limit_prices_are_sampled_with_a_bound(
    priced: AuditContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    filters: Filters = {STATUS: frozenset({"paid", "pending"}), REGION: frozenset({"emea"})}
    monkeypatch.setattr(bridge_mod, "EXACT_LIMIT", 2)
    ctx = bridged(priced, filters)
    b = ctx.bridges["m"]
    assert not b.exact and "sampled" in b.order and f"±{b.error_cents} cents" in b.order
    assert sum(s.impact_cents for s in b.steps) == hand_figure(filters) - REVENUE_CENTS  # still exact in sum
    exact = hand_shapley(filters)
    for s in b.steps:
        assert s.error_cents is not None and s.error_cents <= b.error_cents
        # the stated 95 % bound (plus a cent of rounding) covers the exact price here
        assert abs(s.impact_cents - exact[step_player(s)]) <= s.error_cents + 1, s.label


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


def test_cells_give_the_same_prices_as_every_combination_computed(priced: AuditContext) -> None:
    # 5 decision points, all per-row filters (orders and their customers): priced from value cells
    filters: Filters = {STATUS: frozenset({"paid", "pending", "refunded"}), REGION: frozenset({"emea", "amer"})}
    start, target = vector(dict(CANONICAL)), vector(filters)
    evaluator = priced.priced()
    graph = priced.project.join_graph()
    common = {"compiles": evaluator.compiles, "prefetch": evaluator.many}
    seen: list[bool] = []
    real = bridge_mod._cell_figures

    def spy(*args: object) -> object:
        out = real(*args)  # type: ignore[arg-type]
        seen.append(out is not None)
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bridge_mod, "_cell_figures", spy)
        by_cells = bridge_mod.build_bridge(
            start,
            target,
            evaluator,
            priced.domains,
            "canonical",
            "m",
            per_row=bridge_mod.rows_of(graph),
            by_values=evaluator.by_values,
            **common,  # type: ignore[arg-type]
        )
    assert seen == [True]  # the cells were used, and agreed with the direct checks
    direct = bridge_mod.build_bridge(start, target, evaluator, priced.domains, "canonical", "m", **common)  # type: ignore[arg-type]
    assert [(s.label, s.impact_cents) for s in by_cells.steps] == [(s.label, s.impact_cents) for s in direct.steps]
    exact = hand_shapley(filters)
    assert len(by_cells.steps) == len(exact) >= 4
    for s in by_cells.steps:
        assert abs(s.impact_cents - exact[step_player(s)]) < 1, s.label
