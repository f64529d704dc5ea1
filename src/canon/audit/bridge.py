"""Bridges: from one definition to another, one decision at a time, in a stated order.

Every step's impact is the difference between two compiled figures, so the steps telescope:
they sum exactly to the total difference. Each step also carries its *isolated* impact (that
decision flipped alone, from the starting definition); the gap between the sum of isolated
impacts and the total is the interaction effect, reported rather than spread over steps.

Order: date basis, then what is measured, then the row decisions (each deduplication, fan-out
and required or excluded match removed or added, one step each), then filters column by column
(each excluded value its own step, then each included value), then slices and general predicates. When a step
cannot be computed yet (a date in a table the measured rows cannot reach without double
counting), the next decision goes first and the order says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from canon.audit.domains import Domains
from canon.audit.result import Bridge, BridgeStep
from canon.compiler.joins import JoinGraph
from canon.contracts.decisions import DecisionVector, Dedup, FanOut, RowMatch, freeze_filters, freeze_rows
from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar, format_value, sorted_values, to_json_value
from canon.errors import QueryError

Evaluate = Callable[[DecisionVector], int]


@dataclass(frozen=True)
class Move:
    decision: str
    label: str
    from_value: Any
    to_value: Any
    apply: Callable[[DecisionVector], DecisionVector]
    alone: Callable[[DecisionVector], DecisionVector] | None = None  # this decision only, from the start
    value: Any = None  # the admitted value this move adds or removes (value moves only)

    def isolated(self, start: DecisionVector) -> DecisionVector:
        return (self.alone or self.apply)(start)


def _values_json(values: Iterable[Scalar] | None) -> Any:
    return None if values is None else [to_json_value(v) for v in sorted_values(list(values))]


def _set_filter(
    kind: str, column: ColumnRef, values: frozenset[Scalar] | None
) -> Callable[[DecisionVector], DecisionVector]:
    def apply(v: DecisionVector) -> DecisionVector:
        items = dict(v.filter_items if kind == "filter" else v.slice_items)
        if values is None:
            items.pop(column, None)
        else:
            items[column] = values
        frozen = freeze_filters(items)
        return replace(v, filter_items=frozen) if kind == "filter" else replace(v, slice_items=frozen)

    return apply


def moves_between(start: DecisionVector, target: DecisionVector, domains: Domains) -> list[Move]:
    moves: list[Move] = []
    if start.time_basis != target.time_basis:
        moves.append(
            Move(
                "time_basis",
                f"date basis: {start.time_basis.describe()} → {target.time_basis.describe()}",
                start.time_basis.to_json(),
                target.time_basis.to_json(),
                lambda v: v.with_time_basis(target.time_basis),
            )
        )
    if start.measure != target.measure:
        moves.append(
            Move(
                "measure",
                f"measure: {start.measure.describe()} → {target.measure.describe()}",
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
                + (" AND ".join(start.predicates) or "none")
                + " → "
                + (" AND ".join(target.predicates) or "none"),
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


def _set_row(attr: str, item: _RowItem, add: bool) -> Callable[[DecisionVector], DecisionVector]:
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
    """Each row decision the target lacks removed, then each it adds: one step per decision."""
    moves: list[Move] = []
    measured = start.measure.column.table
    for kind, attr in _ROW_FIELDS:
        have: tuple[_RowItem, ...] = getattr(start, attr)
        want: tuple[_RowItem, ...] = getattr(target, attr)
        for item in [i for i in have if i not in want]:
            label = f"remove {_row_text(item, measured)}"
            moves.append(Move(f"{kind}:{_row_table(item)}", label, item.to_json(), None, _set_row(attr, item, False)))
        for item in [i for i in want if i not in have]:
            label = f"add {_row_text(item, measured)}"
            moves.append(Move(f"{kind}:{_row_table(item)}", label, None, item.to_json(), _set_row(attr, item, True)))
    return moves


def _value_moves(
    kind: str, column: ColumnRef, have: frozenset[Scalar] | None, want: frozenset[Scalar] | None, domains: Domains
) -> list[Move]:
    if have == want:
        return []
    domain = domains.domain(column).all
    current = have if have is not None else domain
    goal = want if want is not None else domain
    moves: list[Move] = []
    key = f"{kind}:{column}"
    state = current
    for value in sorted_values(list(current - goal)):
        nxt = state - {value}
        moves.append(
            Move(
                key,
                f"exclude {_named(value, column, domains)} from {column}",
                _values_json(state),
                _values_json(nxt),
                _set_filter(kind, column, nxt),
                _set_filter(kind, column, current - {value}),
                value,
            )
        )
        state = nxt
    for value in sorted_values(list(goal - current)):
        nxt = state | {value}
        moves.append(
            Move(
                key,
                f"include {_named(value, column, domains)} in {column}",
                _values_json(state),
                _values_json(nxt),
                _set_filter(kind, column, nxt),
                _set_filter(kind, column, current | {value}),
                value,
            )
        )
        state = nxt
    if want is None or (have is None and not moves):
        last = moves[-1] if moves else None
        final = _set_filter(kind, column, want)
        if last is None:
            moves.append(Move(key, f"drop the {kind} on {column}", _values_json(have), None, final))
        else:
            alone = _set_filter(kind, column, want) if len(moves) == 1 else last.alone
            moves[-1] = replace(last, to_value=_values_json(want), apply=final, alone=alone)
    return moves


def _named(value: Scalar, column: ColumnRef, domains: Domains) -> str:
    """`'pilot' (trial)`: the value with what it means, when the knowledge base can tell."""
    from canon.kb.model import knowledge_base

    cls = knowledge_base().classify(list(domains.domain(column).all))
    concept = cls.concepts.get(value) if cls else None
    text = format_value(value)
    return (
        f"{text} ({concept.replace('_', ' ')})" if concept and concept.replace("_", " ") != str(value).lower() else text
    )


def build_bridge(
    start: DecisionVector,
    target: DecisionVector,
    evaluate: Evaluate,
    domains: Domains,
    start_label: str,
    end_label: str,
    start_cents: int | None = None,
    end_cents: int | None = None,
    separable: Callable[[DecisionVector, Move], bool] | None = None,
    compiles: Callable[[DecisionVector], bool] | None = None,
    prefetch: Callable[[list[DecisionVector]], None] | None = None,
) -> Bridge:
    """Waterfall from `start` to `target`; an initial 'residual' step covers what was not reproduced.

    The order is planned first (only whether each intermediate definition compiles matters),
    then every figure the bridge needs is fetched at once (`prefetch`: one scan per measure),
    then the steps are assembled from those figures.
    """
    can = compiles or _compiles_by_evaluating(evaluate)
    plan = _plan(start, target, moves_between(start, target, domains), can)
    alone = {
        id(move): move.isolated(start)
        for move, _ in plan
        if (separable is None or separable(start, move)) and can(move.isolated(start))
    }
    if prefetch is not None:
        prefetch([start, *[v for _, v in plan], *alone.values()])
    reproduced = evaluate(start)
    steps: list[BridgeStep] = []
    if start_cents is not None and start_cents != reproduced:
        steps.append(
            BridgeStep(
                "residual",
                "not explained by the extracted decisions (see unmapped)",
                None,
                None,
                reproduced - start_cents,
                None,
                reproduced,
            )
        )
    value = reproduced
    for move, vector in plan:
        after = evaluate(vector)
        isolated = evaluate(alone[id(move)]) - reproduced if id(move) in alone else None
        steps.append(
            BridgeStep(move.decision, move.label, move.from_value, move.to_value, after - value, isolated, after)
        )
        value = after
    if end_cents is not None and end_cents != value:
        steps.append(
            BridgeStep(
                "residual", "target not reproduced by its decisions", None, None, end_cents - value, None, end_cents
            )
        )
        value = end_cents
    return Bridge(
        start_label=start_label,
        end_label=end_label,
        start_cents=start_cents if start_cents is not None else reproduced,
        end_cents=value,
        steps=steps,
        order=" → ".join(dict.fromkeys(_order_name(m.decision) for m, _ in plan)),
    )


def _plan(
    start: DecisionVector, target: DecisionVector, moves: list[Move], compiles: Callable[[DecisionVector], bool]
) -> list[tuple[Move, DecisionVector]]:
    """The moves in the stated order, each with the definition it leads to; reordered or merged
    only where an intermediate definition cannot be computed."""
    current = start
    pending = list(moves)
    out: list[tuple[Move, DecisionVector]] = []
    while pending:
        basis_first = pending[0].decision == "time_basis" and len(pending) > 1 and pending[1].decision == "measure"
        # the new date is not reachable from the old rows: what is measured and when change together
        if basis_first and not compiles(pending[0].apply(current)):
            a, b = pending[0], pending[1]
            pending[:2] = [
                Move(
                    "time_basis+measure",
                    f"basis: {start.measure.describe()} {start.time_basis.describe()} → "
                    f"{target.measure.describe()} {target.time_basis.describe()}",
                    [a.from_value, b.from_value],
                    [a.to_value, b.to_value],
                    _compose(a.apply, b.apply),
                )
            ]
        for i, move in enumerate(pending):
            candidate = move.apply(current)
            if compiles(candidate):
                out.append((move, candidate))
                current = candidate
                pending.pop(i)
                break
        else:  # nothing computes on its own: take the next two together
            if len(pending) == 1:
                raise QueryError(f"bridge step cannot be computed: {pending[0].label}")
            a, b = pending[0], pending[1]
            pending[:2] = [
                Move(
                    f"{a.decision}+{b.decision}",
                    f"{a.label}; {b.label}",
                    [a.from_value, b.from_value],
                    [a.to_value, b.to_value],
                    _compose(a.apply, b.apply),
                )
            ]
    return out


def _compiles_by_evaluating(evaluate: Evaluate) -> Callable[[DecisionVector], bool]:
    def compiles(vector: DecisionVector) -> bool:
        try:
            evaluate(vector)
        except QueryError:
            return False
        return True

    return compiles


def _order_name(decision: str) -> str:
    names = {"time_basis": "date basis", "measure": "measure", "time_basis+measure": "basis (what and when)"}
    kind, _, table = decision.partition(":")
    rows = {"dedup": "deduplication of", "fanout": "fan-out through", "match": "match in"}
    if kind in rows:
        return f"{rows[kind]} {table}"
    return names.get(decision, decision.split(":", 1)[-1])


def _compose(
    first: Callable[[DecisionVector], DecisionVector], second: Callable[[DecisionVector], DecisionVector]
) -> Callable[[DecisionVector], DecisionVector]:
    return lambda v: second(first(v))


def reads_rows_of(graph: JoinGraph) -> Callable[[DecisionVector, Move], bool]:
    """A filter flipped alone means something only on tables the definition reaches many-to-one."""

    def separable(start: DecisionVector, move: Move) -> bool:
        if not move.decision.startswith(("filter:", "slice:")):
            return True
        table = ColumnRef.parse(move.decision.split(":", 1)[1]).table
        return table in graph.ancestors(start.measure.column.table)

    return separable
