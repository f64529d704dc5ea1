"""Shapley values as canon computes them: properties that hold for any game, checked on random ones.

A game here is a table of integer figures, one per subset of decisions flipped; the checks are the
axioms (efficiency, symmetry under relabelling, the null player, additivity) and an independent
average over every order of the players.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import permutations

from hypothesis import given, settings
from hypothesis import strategies as st

from canon.audit.bridge import allocate_cents, sample_orders, shapley_exact, shapley_sampled

MONEY = st.integers(min_value=-10_000_000, max_value=10_000_000)


@st.composite
def games(draw: st.DrawFn, max_players: int = 6) -> tuple[int, list[int]]:
    n = draw(st.integers(min_value=0, max_value=max_players))
    return n, draw(st.lists(MONEY, min_size=1 << n, max_size=1 << n))


def by_orders(n: int, figures: list[int]) -> list[Fraction]:
    """The definition itself: each player's marginal figure averaged over all n! orders."""
    total = [Fraction(0)] * n
    orders = list(permutations(range(n)))
    for order in orders:
        mask = 0
        for i in order:
            total[i] += figures[mask | 1 << i] - figures[mask]
            mask |= 1 << i
    return [t / len(orders) for t in total] if orders else []


def relabel(n: int, figures: list[int], perm: tuple[int, ...]) -> list[int]:
    """The same game with player i renamed perm[i]."""
    out = [0] * (1 << n)
    for mask in range(1 << n):
        moved = sum(1 << perm[i] for i in range(n) if mask >> i & 1)
        out[moved] = figures[mask]
    return out


@settings(max_examples=60, deadline=None)
@given(games())
def test_exact_values_are_the_average_over_every_order(game: tuple[int, list[int]]) -> None:
    n, figures = game
    assert shapley_exact(n, figures.__getitem__) == by_orders(n, figures)


@settings(max_examples=60, deadline=None)
@given(games(), st.data())
def test_steps_sum_to_the_gap_and_do_not_depend_on_the_order_listed(
    game: tuple[int, list[int]], data: st.DataObject
) -> None:
    n, figures = game
    gap = figures[(1 << n) - 1] - figures[0]
    keys = [f"decision {i}" for i in range(n)]
    cents = allocate_cents(shapley_exact(n, figures.__getitem__), gap, keys)
    assert sum(cents) == gap  # exact to the cent, rounding included
    perm = data.draw(st.permutations(range(n)))
    moved = allocate_cents(
        shapley_exact(n, relabel(n, figures, tuple(perm)).__getitem__), gap, [keys[perm.index(j)] for j in range(n)]
    )
    assert [moved[perm[i]] for i in range(n)] == cents  # listing the decisions in another order changes nothing


@settings(max_examples=40, deadline=None)
@given(games(max_players=5))
def test_rounding_moves_no_price_by_a_cent_or_more(game: tuple[int, list[int]]) -> None:
    n, figures = game
    exact = shapley_exact(n, figures.__getitem__)
    cents = allocate_cents(exact, figures[(1 << n) - 1] - figures[0], [str(i) for i in range(n)])
    assert all(abs(c - e) < 1 for c, e in zip(cents, exact, strict=True))


@settings(max_examples=40, deadline=None)
@given(st.lists(MONEY, min_size=1, max_size=6), MONEY)
def test_a_decision_that_changes_nothing_costs_nothing_and_additive_games_split_exactly(
    prices: list[int], base: int
) -> None:
    n = len(prices) + 1  # the last player is null
    figures = [base + sum(p for i, p in enumerate(prices) if mask >> i & 1) for mask in range(1 << n)]
    exact = shapley_exact(n, figures.__getitem__)
    assert exact == [*prices, 0]
    sampled, bounds = shapley_sampled(n, figures.__getitem__, sample_orders(n, 16))
    assert sampled == exact and bounds == [0] * n  # no interaction: every order gives the same price


@settings(max_examples=30, deadline=None)
@given(games(max_players=7))
def test_sampled_values_sum_exactly_to_the_gap(game: tuple[int, list[int]]) -> None:
    n, figures = game
    values, bounds = shapley_sampled(n, figures.__getitem__, sample_orders(n, 20))
    assert sum(values) == figures[(1 << n) - 1] - figures[0]
    assert all(b >= 0 for b in bounds)
