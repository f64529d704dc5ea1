"""Bridges: one price per decision point, whatever order the decisions are read in.

A bridge goes from one definition (the canonical one, for an audit's bridges) to another, and
prices each decision point on which they split by its **Shapley value**: the average, over every
order in which the decisions could be flipped, of what flipping that one changes. The prices are
therefore order-independent, and they sum exactly to the total difference (the telescoping sum
holds in every order, so it holds for the average): there is no "interaction" left over, and the
same decision costs the same in every report.

Up to `EXACT_LIMIT` decision points every one of the 2^k combinations is computed — all of them
handed to `prefetch` first, so the evaluator answers them with one scan per measure and date
basis (`compile_batch`). Above that, `SAMPLES` orders are drawn (a fixed seed over the decisions
sorted by name, so the result does not depend on how the decisions were listed) and each price
carries a stated 95 % error bound; the prices still sum exactly to the difference, since every
sampled order telescopes.

Prices are exact fractions of a cent; they are rounded to integer cents by the largest-remainder
method (ties broken by the decision's label), so the rounded steps still sum to the difference
to the cent. A decision that cannot be computed without another (a date in a table the measured
rows cannot reach) is priced together with it, as one decision point, and the label says so.

The sign: each step is what that decision of the *end* definition adds to the *start* one —
for an audit, definition − canonical.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from canon.audit import words
from canon.audit.domains import Domains
from canon.audit.result import Bridge, BridgeStep
from canon.compiler.joins import JoinGraph
from canon.contracts.decisions import DecisionVector, Dedup, FanOut, RowMatch, freeze_filters, freeze_rows
from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar, sorted_values, to_json_value
from canon.errors import QueryError

Evaluate = Callable[[DecisionVector], int]
Transform = Callable[[DecisionVector], DecisionVector]

EXACT_LIMIT = 12  # decision points priced over every combination (2^12 = 4,096 figures at most)
SAMPLES = 256  # orders drawn above that (half of them the reverse of the other half)
SEED = 13
GROUPED_BASES = 4  # above this many bases, cells are batched columns rather than a grouped scan each


@dataclass(frozen=True)
class Move:
    """One decision of the end definition, applied to any vector (moves commute)."""

    decision: str
    label: str
    from_value: Any
    to_value: Any
    apply: Transform
    value: Any = None  # the admitted value this move adds or removes (value moves only)
    admits: bool = False  # a value move that admits `value` (False: it leaves it out)
    column: ColumnRef | None = None  # the filtered column of a value move
    kind: str = ""  # "filter" or "slice" for a value move


def _values_json(values: Iterable[Scalar] | None) -> Any:
    return None if values is None else [to_json_value(v) for v in sorted_values(list(values))]


def moves_between(start: DecisionVector, target: DecisionVector, domains: Domains) -> list[Move]:
    """Every decision on which `target` differs from `start`, in the stated order (date basis,
    measure, row decisions, filters column by column, slices, other conditions). Each move
    changes only its own part of a vector, so any subset applies in any order."""
    moves: list[Move] = []
    if start.time_basis != target.time_basis:
        moves.append(
            Move(
                "time_basis",
                words.basis_move_words(start.time_basis, target.time_basis),
                start.time_basis.to_json(),
                target.time_basis.to_json(),
                lambda v: v.with_time_basis(target.time_basis),
            )
        )
    if start.measure != target.measure:
        moves.append(
            Move(
                "measure",
                words.measure_move_words(start.measure, target.measure),
                start.measure.to_json(),
                target.measure.to_json(),
                lambda v: v.with_measure(target.measure),
            )
        )
    moves.extend(_row_moves(start, target))
    for kind in ("filter", "slice"):
        a = start.filters if kind == "filter" else start.slices
        b = target.filters if kind == "filter" else target.slices
        for column in sorted(set(a) | set(b)):
            moves.extend(_value_moves(kind, column, a.get(column), b.get(column), domains))
    if start.predicates != target.predicates:
        moves.append(
            Move(
                "predicate",
                "conditions: "
                + (" AND ".join(target.predicates) or "none")
                + ", not "
                + (" AND ".join(start.predicates) or "none"),
                list(start.predicates),
                list(target.predicates),
                lambda v: replace(v, predicates=target.predicates),
            )
        )
    return moves


_RowItem = Dedup | FanOut | RowMatch
_ROW_FIELDS = (("dedup", "dedup"), ("fanout", "fanout"), ("match", "matches"))


def _row_table(item: _RowItem) -> str:
    return item.table if isinstance(item, Dedup) else item.other.table


def _row_text(item: _RowItem, measured: str) -> str:
    return item.describe(measured) if isinstance(item, FanOut) else item.describe()


def _set_row(attr: str, item: _RowItem, add: bool) -> Transform:
    def apply(v: DecisionVector) -> DecisionVector:
        items = set(getattr(v, attr))
        frozen: Any = freeze_rows(items | {item} if add else items - {item})
        if attr == "dedup":
            return replace(v, dedup=frozen)
        if attr == "fanout":
            return replace(v, fanout=frozen)
        return replace(v, matches=frozen)

    return apply


def _row_moves(start: DecisionVector, target: DecisionVector) -> list[Move]:
    """Each row decision the target lacks removed, then each it adds: one decision point each."""
    moves: list[Move] = []
    measured = start.measure.column.table
    for kind, attr in _ROW_FIELDS:
        have: tuple[_RowItem, ...] = getattr(start, attr)
        want: tuple[_RowItem, ...] = getattr(target, attr)
        for item, added in [*((i, False) for i in have if i not in want), *((i, True) for i in want if i not in have)]:
            was, becomes = (None, item.to_json()) if added else (item.to_json(), None)
            label = " ".join(("with" if added else "without", _row_text(item, measured)))  # prose, not SQL
            moves.append(Move(f"{kind}:{_row_table(item)}", label, was, becomes, _set_row(attr, item, added)))
    return moves


def _toggle(
    kind: str,
    column: ColumnRef,
    value: Scalar,
    add: bool,
    have: frozenset[Scalar] | None,
    want: frozenset[Scalar] | None,
    domain: frozenset[Scalar],
) -> Transform:
    """Add or remove one admitted value, whatever the column's other values are doing.

    A set equal to either end's is written as that end writes it (no filter stays no filter).
    """
    start_set = have if have is not None else domain
    goal_set = want if want is not None else domain

    def apply(v: DecisionVector) -> DecisionVector:
        items = dict(v.filter_items if kind == "filter" else v.slice_items)
        current = items.get(column)
        now = current if current is not None else domain
        nxt = now | {value} if add else now - {value}
        written = want if nxt == goal_set else have if nxt == start_set else nxt
        if written is None:
            items.pop(column, None)
        else:
            items[column] = written
        frozen = freeze_filters(items)
        return replace(v, filter_items=frozen) if kind == "filter" else replace(v, slice_items=frozen)

    return apply


def _value_moves(
    kind: str, column: ColumnRef, have: frozenset[Scalar] | None, want: frozenset[Scalar] | None, domains: Domains
) -> list[Move]:
    """One move per value the end definition admits or leaves out beyond the start's."""
    if have == want:
        return []
    domain = domains.domain(column).all
    current = have if have is not None else domain
    goal = want if want is not None else domain
    concepts = _concepts(column, domains)
    key = f"{kind}:{column}"
    moves = [
        Move(
            key,
            words.filter_move_words(column, value, concepts.get(value), include=False),
            _values_json(have),
            _values_json(want),
            _toggle(kind, column, value, False, have, want, domain),
            value,
            column=column,
            kind=kind,
        )
        for value in sorted_values(list(current - goal))
    ]
    moves += [
        Move(
            key,
            words.filter_move_words(column, value, concepts.get(value), include=True),
            _values_json(have),
            _values_json(want),
            _toggle(kind, column, value, True, have, want, domain),
            value,
            admits=True,
            column=column,
            kind=kind,
        )
        for value in sorted_values(list(goal - current))
    ]
    if not moves:  # the same values, written as a list on one side and as no filter on the other
        name = words.column_words(column)
        label = f"no filter on {name}" if want is None else f"a filter on {name} admitting every value it holds"

        def final(v: DecisionVector) -> DecisionVector:
            items = dict(v.filter_items if kind == "filter" else v.slice_items)
            items.pop(column, None) if want is None else items.__setitem__(column, want)
            frozen = freeze_filters(items)
            return replace(v, filter_items=frozen) if kind == "filter" else replace(v, slice_items=frozen)

        moves.append(Move(key, label, _values_json(have), _values_json(want), final))
    return moves


def _concepts(column: ColumnRef, domains: Domains) -> dict[Scalar, str]:
    """What each of the column's values means, when the knowledge base can tell."""
    from canon.kb.model import knowledge_base

    cls = knowledge_base().classify(list(domains.domain(column).all))
    return dict(cls.concepts) if cls else {}


# ---------------------------------------------------------------- decision points


@dataclass(frozen=True)
class Point:
    """A decision point: one move, or moves that only compute together (priced as one)."""

    moves: tuple[Move, ...]
    label: str

    @property
    def decision(self) -> str:
        return "+".join(dict.fromkeys(m.decision for m in self.moves))

    def apply(self, v: DecisionVector) -> DecisionVector:
        for m in self.moves:
            v = m.apply(v)
        return v


def _merged(a: Point, b: Point, start: DecisionVector, target: DecisionVector) -> Point:
    moves = (*a.moves, *b.moves)
    kinds = {m.decision for m in moves}
    if kinds == {"time_basis", "measure"}:
        label = words.basis_and_measure_words(start.measure, start.time_basis, target.measure, target.time_basis)
    else:
        label = f"{a.label}, with {b.label}"
    return Point(moves, label)


def _vector(start: DecisionVector, points: Sequence[Point], mask: int) -> DecisionVector:
    v = start
    for i, p in enumerate(points):
        if mask >> i & 1:
            v = p.apply(v)
    return v


def _merge_until_computable(
    start: DecisionVector, target: DecisionVector, points: list[Point], compiles: Callable[[DecisionVector], bool]
) -> list[Point]:
    """Merge decision points until every combination the pricing needs compiles.

    With few points every combination is checked and the smallest failing one merged; above
    `EXACT_LIMIT`, each point flipped alone from either end is. A date basis that fails alone is
    merged with the measure (what is summed and when change together).
    """
    while True:
        n = len(points)
        full = (1 << n) - 1
        if n <= EXACT_LIMIT:
            masks: Iterable[int] = range(1 << n)
        else:
            masks = dict.fromkeys(m for i in range(n) for m in (0, full, 1 << i, full ^ (1 << i)))
        failing = sorted(
            (m for m in masks if not compiles(_vector(start, points, m))), key=lambda m: (m.bit_count(), m)
        )
        if not failing:
            return points
        mask = failing[0]
        if mask in (0, full):
            end = "start" if mask == 0 else "end"
            raise QueryError(f"bridge cannot be computed: its {end} definition does not compile")
        members = [i for i in range(n) if mask >> i & 1]
        if len(members) == n - 1 and n > EXACT_LIMIT:  # flipping all but one fails: that one is the culprit
            members = [i for i in range(n) if not mask >> i & 1]
        if len(members) == 1:
            i = members[0]
            partner = next(
                (j for j, p in enumerate(points) if j != i and {p.decision, points[i].decision} == _BASIS_PAIR),
                i + 1 if i + 1 < n else i - 1,
            )
            members = sorted({i, partner})
        first, rest = members[0], members[1:]
        merged = points[first]
        for j in rest:
            merged = _merged(merged, points[j], start, target)
        points = [merged if i == first else p for i, p in enumerate(points) if i not in rest]


_BASIS_PAIR = {"time_basis", "measure"}


# ---------------------------------------------------------------- Shapley values


def shapley_exact(n: int, value: Callable[[int], int]) -> list[Fraction]:
    """Exact Shapley values of a game on `n` players; `value(mask)` is the figure with those flipped.

    φ_i = Σ over coalitions S without i of |S|!(n−|S|−1)!/n! · (v(S ∪ {i}) − v(S)).
    """
    if n == 0:
        return []
    fact = [math.factorial(k) for k in range(n + 1)]
    weight = [Fraction(fact[s] * fact[n - s - 1], fact[n]) for s in range(n)]
    values = [value(m) for m in range(1 << n)]
    out = []
    for i in range(n):
        bit = 1 << i
        total = Fraction(0)
        for mask in range(1 << n):
            if not mask & bit:
                total += weight[mask.bit_count()] * (values[mask | bit] - values[mask])
        out.append(total)
    return out


def sample_orders(n: int, samples: int = SAMPLES, seed: int = SEED) -> list[list[int]]:
    """`samples` orders of `n` players, each drawn one followed by its reverse (antithetic pairs)."""
    rng = random.Random(seed)
    orders: list[list[int]] = []
    while len(orders) < samples:
        order = list(range(n))
        rng.shuffle(order)
        orders += [order, order[::-1]]
    return orders[:samples]


def shapley_sampled(
    n: int, value: Callable[[int], int], orders: Sequence[Sequence[int]]
) -> tuple[list[Fraction], list[int]]:
    """Shapley values estimated over `orders`, with a 95 % error bound per player in cents.

    Every order telescopes from v(∅) to v(all), so the estimates sum exactly to the difference.
    The bound is 1.96 standard errors of the mean marginal contribution (normal approximation).
    """
    sums = [Fraction(0)] * n
    squares = [0] * n
    for order in orders:
        mask = 0
        before = value(0)
        for i in order:
            mask |= 1 << i
            after = value(mask)
            sums[i] += after - before
            squares[i] += (after - before) ** 2
            before = after
    m = len(orders)
    means = [s / m for s in sums]
    bounds = []
    for i in range(n):
        variance = max(Fraction(0), (Fraction(squares[i]) - m * means[i] ** 2) / max(1, m - 1))
        bounds.append(math.ceil(1.96 * math.sqrt(variance / m)))
    return means, bounds


def allocate_cents(shares: Sequence[Fraction], total: int, keys: Sequence[str]) -> list[int]:
    """Exact shares rounded to integer cents that sum to `total` (largest remainder method).

    Each share is floored; the cents left go one each to the largest fractional parts, ties to the
    smallest key, so the result depends on the shares and their keys, never on their order.
    """
    floors = [math.floor(s) for s in shares]
    left = total - sum(floors)
    if not shares:
        return []
    ranked = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), keys[i], i))
    if left < 0 or left > len(shares):  # shares that do not sum to total (not a Shapley split)
        raise ValueError(f"shares sum to {sum(shares)}, not {total}")
    for i in ranked[:left]:
        floors[i] += 1
    return floors


# ---------------------------------------------------------------- the bridge


def build_bridge(
    start: DecisionVector,
    target: DecisionVector,
    evaluate: Evaluate,
    domains: Domains,
    start_label: str,
    end_label: str,
    start_cents: int | None = None,
    end_cents: int | None = None,
    compiles: Callable[[DecisionVector], bool] | None = None,
    prefetch: Callable[[list[DecisionVector]], None] | None = None,
    per_row: PerRow | None = None,
    by_values: ByValues | None = None,
) -> Bridge:
    """Waterfall from `start` to `target`, one step per decision point, priced by Shapley value.

    `per_row(vector, column)` says whether a filter on `column` is a condition on each measured
    row of `vector` (a table the rows reach many-to-one): such filters' combinations are then
    priced from the figures of their value cells (see `_cell_figures`) instead of one figure per
    combination; any cell sum that disagrees with a direct figure falls back to the direct way.

    The steps sum exactly to `end − start`. When a figure given for an end differs from what its
    decisions compute, a "not reproduced" step says so (see the definition's unmapped lines).
    """
    for label, vector in ((start_label, start), (end_label, target)):
        if vector.is_composite or vector.measure.per is not None:
            what = "a sum of several row sets" if vector.is_composite else "an average per group of its amounts"
            raise QueryError(f"`{label}` is {what}: its figure is priced, no waterfall is drawn to it yet")
    can = _by_shape(compiles or _compiles_by_evaluating(evaluate))
    points = [Point((m,), m.label) for m in moves_between(start, target, domains)]
    points = _merge_until_computable(start, target, points, can)
    n = len(points)
    exact = n <= EXACT_LIMIT
    masks: list[int] = list(range(1 << n)) if exact else []
    orders: list[list[int]] = []
    if not exact:
        # order-independent: the orders are drawn over the points sorted by what they are
        canonical = sorted(range(n), key=lambda i: (points[i].decision, points[i].label))
        orders = [[canonical[j] for j in order] for order in sample_orders(n)]
        seen: dict[int, None] = {0: None}
        for order in orders:
            mask = 0
            for i in order:
                mask |= 1 << i
                seen[mask] = None
        masks = list(seen)
    figures: dict[int, int] = {}
    cells = _cell_figures(start, points, masks, evaluate, domains, can, prefetch, per_row, by_values)
    if cells is not None:
        figures = cells
        vectors: dict[int, DecisionVector] = {}
    else:
        vectors = {mask: _vector(start, points, mask) for mask in masks}
        if prefetch is not None:
            prefetch(list(dict.fromkeys(vectors.values())))

    def value(mask: int) -> int:
        if mask not in figures:
            figures[mask] = evaluate(vectors[mask] if mask in vectors else _vector(start, points, mask))
        return figures[mask]

    if exact:
        shares, bounds = shapley_exact(n, value), [0] * n
    else:
        shares, bounds = shapley_sampled(n, value, orders)
    full = (1 << n) - 1
    reproduced_start, reproduced_end = value(0), value(full)
    cents = allocate_cents(shares, reproduced_end - reproduced_start, [p.label for p in points])
    steps: list[BridgeStep] = []
    running = start_cents if start_cents is not None else reproduced_start
    if start_cents is not None and start_cents != reproduced_start:
        running = reproduced_start
        steps.append(
            BridgeStep(
                "residual",
                f"{start_label}: not reproduced by its decisions (see Not mapped)",
                None,
                None,
                reproduced_start - start_cents,
                running,
            )
        )
    for point, impact, bound in zip(points, cents, bounds, strict=True):
        running += impact
        steps.append(
            BridgeStep(
                point.decision,
                point.label,
                point.moves[0].from_value if len(point.moves) == 1 else [m.from_value for m in point.moves],
                point.moves[0].to_value if len(point.moves) == 1 else [m.to_value for m in point.moves],
                impact,
                running,
                None if exact else bound,
            )
        )
    end = end_cents if end_cents is not None else reproduced_end
    if end != running:
        steps.append(
            BridgeStep(
                "residual",
                f"{end_label}: not reproduced by its decisions (see Not mapped)",
                None,
                None,
                end - running,
                end,
            )
        )
    method = (
        f"Shapley value over {n} decision point{'s' if n != 1 else ''}, exact: all {1 << n} combinations computed"
        if exact
        else f"Shapley value over {n} decision points, sampled: {len(orders)} orders, each price within "
        f"±{max(bounds, default=0)} cents at 95 % confidence"
    )
    return Bridge(
        start_label=start_label,
        end_label=end_label,
        start_cents=start_cents if start_cents is not None else reproduced_start,
        end_cents=end,
        steps=steps,
        order=method,
        exact=exact,
        error_cents=0 if exact else max(bounds, default=0),
    )


PerRow = Callable[[DecisionVector, ColumnRef], bool]
ByValues = Callable[[DecisionVector, Sequence[ColumnRef]], dict[tuple[Any, ...], int]]


def rows_of(graph: JoinGraph) -> PerRow:
    """A filter is a condition on each measured row when its table is the measure's or one the
    measured rows reach many-to-one (each row has one value there)."""

    def per_row(vector: DecisionVector, column: ColumnRef) -> bool:
        table = vector.measure.column.table
        return column.table == table or column.table in graph.ancestors(table)

    return per_row


def _cell_figures(
    start: DecisionVector,
    points: Sequence[Point],
    masks: Sequence[int],
    evaluate: Evaluate,
    domains: Domains,
    compiles: Callable[[DecisionVector], bool],
    prefetch: Callable[[list[DecisionVector]], None] | None,
    per_row: PerRow | None,
    by_values: ByValues | None = None,
) -> dict[int, int] | None:
    """Every combination's figure from far fewer figures, or None when that cannot be done safely.

    A filter on a per-row column splits the measured rows by that column's value, so a
    combination's figure is the sum of the figures of the value cells it admits. Each column
    toggled by the bridge contributes one cell per toggled value plus one for the values no point
    touches (admitted or not the same way in every combination); the other decision points
    (date basis, measure, row decisions, filters that are semi-joins) form the bases, each priced
    cell by cell. The empty and the full combinations, each point alone and each point left out
    are also computed directly, and any disagreement (rows with no value there, a capped domain)
    gives None: the caller then computes every combination directly.
    """
    if per_row is None or len(points) < 4:
        return None
    n = len(points)
    base_points = list(range(n))
    toggles: dict[tuple[str, ColumnRef], list[int]] = {}
    for i, p in enumerate(points):
        m = p.moves[0]
        if len(p.moves) == 1 and m.column is not None and m.kind:
            toggles.setdefault((m.kind, m.column), []).append(i)
    for key in list(toggles):
        if domains.domain(key[1]).capped or domains.domain(key[1]).unknown:
            del toggles[key]
    for key in list(toggles):
        rest = [i for i in base_points if i not in {j for ids in toggles.values() for j in ids}]
        bases = [_vector(start, [points[i] for i in rest], m) for m in range(1 << len(rest))]
        if not all(per_row(b, key[1]) for b in bases):
            del toggles[key]
    cell_points = {j for ids in toggles.values() for j in ids}
    rest = [i for i in range(n) if i not in cell_points]
    base_masks = [sum(1 << rest[k] for k in range(len(rest)) if m >> k & 1) for m in range(1 << len(rest))]
    columns = list(toggles)
    cells: list[list[frozenset[Scalar]]] = []
    # per column: for each toggled value's cell, (its point, whether the start admits it); the
    # last cell (values no point touches, as the start admits them) is admitted in every combination
    flips: list[list[tuple[int, bool]]] = []
    for kind, column in columns:
        domain = domains.domain(column).all
        items = dict(start.filter_items if kind == "filter" else start.slice_items)
        admitted = items.get(column)
        admitted = domain if admitted is None else admitted
        by_value = {points[i].moves[0].value: i for i in toggles[(kind, column)]}
        values = sorted_values(list(by_value))
        other = frozenset((domain - set(values)) & admitted)
        cells.append([frozenset({v}) for v in values] + ([other] if other else []))
        flips.append([(by_value[v], v in admitted) for v in values])
    combos = list(_product([len(c) for c in cells]))
    if len(base_masks) > GROUPED_BASES:  # a scan per basis would cost more than the batched combinations
        by_values = None
    if not columns or (by_values is None and len(base_masks) * len(combos) * 2 >= len(masks)):
        return None

    def cell_vector(base: int, combo: tuple[int, ...]) -> DecisionVector:
        v = _vector(start, points, base)
        filters, slices = dict(v.filter_items), dict(v.slice_items)
        for (kind, column), options, k in zip(columns, cells, combo, strict=True):
            (filters if kind == "filter" else slices)[column] = options[k]
        return replace(v, filter_items=freeze_filters(filters), slice_items=freeze_filters(slices))

    full = (1 << n) - 1
    checks = list(dict.fromkeys([0, full, *(1 << i for i in range(n)), *(full ^ (1 << i) for i in range(n))]))
    direct = {check: _vector(start, points, check) for check in checks}
    if by_values is not None:  # one grouped scan per basis: the cells' figures are its groups
        cell_figure = _grouped_cells(start, points, base_masks, combos, columns, cells, compiles, by_values)
        if cell_figure is None:
            return None
        if prefetch is not None:
            prefetch(list(dict.fromkeys(direct.values())))
    else:
        grid = {(b, c): cell_vector(b, c) for b in base_masks for c in combos}
        if not all(compiles(grid[(b, combos[0])]) for b in base_masks):
            return None
        if prefetch is not None:
            prefetch(list(dict.fromkeys([*grid.values(), *direct.values()])))
        cell_figure = {key: evaluate(v) for key, v in grid.items()}
    base_of = sum(1 << i for i in rest)

    def figure(mask: int) -> int:
        admitted = [
            [k for k, (point, was) in enumerate(flips[c]) if was != bool(mask >> point & 1)]
            + ([len(flips[c])] if len(cells[c]) > len(flips[c]) else [])
            for c in range(len(columns))
        ]
        base = mask & base_of
        return sum(cell_figure[(base, combo)] for combo in _product_of(admitted))

    for check, vector in direct.items():
        if figure(check) != evaluate(vector):
            return None
    return {mask: figure(mask) for mask in masks}


def _grouped_cells(
    start: DecisionVector,
    points: Sequence[Point],
    base_masks: Sequence[int],
    combos: Sequence[tuple[int, ...]],
    columns: Sequence[tuple[str, ColumnRef]],
    cells: Sequence[Sequence[frozenset[Scalar]]],
    compiles: Callable[[DecisionVector], bool],
    by_values: ByValues,
) -> dict[tuple[int, tuple[int, ...]], int] | None:
    """Each basis's figure grouped by the toggled columns' values, added up cell by cell."""
    out: dict[tuple[int, tuple[int, ...]], int] = {}
    where = [{v: k for k, option in enumerate(options) for v in option} for options in cells]
    for b in base_masks:
        v = _vector(start, points, b)
        filters, slices = dict(v.filter_items), dict(v.slice_items)
        for (kind, column), options in zip(columns, cells, strict=True):
            (filters if kind == "filter" else slices)[column] = frozenset().union(*options)
        union = replace(v, filter_items=freeze_filters(filters), slice_items=freeze_filters(slices))
        if not compiles(union):
            return None
        sums = dict.fromkeys(combos, 0)
        for values, cents in by_values(union, [c for _, c in columns]).items():
            try:
                combo = tuple(where[i][value] for i, value in enumerate(values))
            except KeyError:  # a value no cell holds (read back in another type): not safe to add up
                return None
            sums[combo] += cents
        out.update({(b, combo): cents for combo, cents in sums.items()})
    return out


def _product(sizes: Sequence[int]) -> Iterable[tuple[int, ...]]:
    return _product_of([list(range(k)) for k in sizes])


def _product_of(options: Sequence[Sequence[int]]) -> Iterable[tuple[int, ...]]:
    from itertools import product

    return product(*options)


def shape(v: DecisionVector) -> tuple[object, ...]:
    """What decides whether a vector compiles: which rows are read and joined, never which values
    a filter admits (those become an IN list). 2^k combinations have only a few shapes."""
    return (
        v.measure,
        v.time_basis,
        v.dedup,
        v.fanout,
        v.matches,
        v.predicates,
        tuple(c for c, _ in v.filter_items),
        tuple(c for c, _ in v.slice_items),
    )


def _by_shape(compiles: Callable[[DecisionVector], bool]) -> Callable[[DecisionVector], bool]:
    known: dict[tuple[object, ...], bool] = {}

    def check(v: DecisionVector) -> bool:
        key = shape(v)
        if key not in known:
            known[key] = compiles(v)
        return known[key]

    return check


def _compiles_by_evaluating(evaluate: Evaluate) -> Callable[[DecisionVector], bool]:
    def compiles(vector: DecisionVector) -> bool:
        try:
            evaluate(vector)
        except QueryError:
            return False
        return True

    return compiles
