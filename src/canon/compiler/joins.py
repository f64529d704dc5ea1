"""The join graph: which tables a measure row can reach, and how, without fanning out.

Edges are many-to-one (`child.fk → parent.key`). From the measure's table, following edges
child→parent is a plain LEFT JOIN: each measure row still counts once. Reaching a table only
against an edge (parent→child, one-to-many) would duplicate measure rows, so conditions on
such tables become an EXISTS semi-join instead. Paths are chosen to need the fewest
one-to-many steps, then the fewest joins.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from canon.contracts.model import JoinEdge
from canon.errors import QueryError


@dataclass(frozen=True)
class Step:
    """One traversal of an edge: `forward` is child→parent (safe), else parent→child."""

    edge: JoinEdge
    forward: bool

    @property
    def source(self) -> str:
        return self.edge.child.table if self.forward else self.edge.parent.table

    @property
    def target(self) -> str:
        return self.edge.parent.table if self.forward else self.edge.child.table


@dataclass
class SemiJoinGroup:
    """Tables reached through one first one-to-many step, tested together in one EXISTS."""

    anchor: str  # table (in the outer query) the first backward step leaves from
    first: Step
    paths: dict[str, tuple[Step, ...]] = field(default_factory=dict)  # table → steps after `first`


@dataclass
class JoinPlan:
    root: str
    outer: dict[str, tuple[Step, ...]]  # table → forward-only path from root
    semi: list[SemiJoinGroup]

    def semi_group_of(self, table: str) -> SemiJoinGroup | None:
        for group in self.semi:
            if table == group.first.target or table in group.paths:
                return group
        return None


class JoinGraph:
    def __init__(self, edges: Iterable[JoinEdge]) -> None:
        self.edges: tuple[JoinEdge, ...] = tuple(dict.fromkeys(e for e in edges if e.child.table != e.parent.table))
        self._adjacent: dict[str, list[Step]] = {}
        for e in self.edges:
            self._adjacent.setdefault(e.child.table, []).append(Step(e, True))
            self._adjacent.setdefault(e.parent.table, []).append(Step(e, False))

    def merged(self, extra: Iterable[JoinEdge]) -> JoinGraph:
        """This graph plus `extra` edges; itself when they add nothing (the usual case, once per compile)."""
        known = set(self.edges)
        new = [e for e in extra if e not in known and e.child.table != e.parent.table]
        return JoinGraph([*self.edges, *new]) if new else self

    def ancestors(self, root: str) -> set[str]:
        """Tables reachable from `root` through many-to-one steps only (joins that never fan out)."""
        seen = {root}
        frontier = [root]
        while frontier:
            table = frontier.pop()
            for step in self._adjacent.get(table, []):
                if step.forward and step.target not in seen:
                    seen.add(step.target)
                    frontier.append(step.target)
        return seen

    def shortest_path(self, root: str, target: str) -> tuple[Step, ...] | None:
        """Fewest one-to-many steps first, then fewest steps; ties broken by edge text (stable)."""
        if root == target:
            return ()
        heap: list[tuple[int, int, str, str, tuple[Step, ...]]] = [(0, 0, "", root, ())]
        best: dict[str, tuple[int, int]] = {}
        while heap:
            back, length, key, table, path = heapq.heappop(heap)
            if table == target:
                return path
            if best.get(table, (1 << 30, 1 << 30)) <= (back, length):
                continue
            best[table] = (back, length)
            for step in self._adjacent.get(table, []):
                if any(s.target == step.target for s in path) or step.target == root:
                    continue
                heapq.heappush(
                    heap,
                    (
                        back + (0 if step.forward else 1),
                        length + 1,
                        key + str(step.edge),
                        step.target,
                        (*path, step),
                    ),
                )
        return None

    def plan(
        self,
        root: str,
        tables: Iterable[str],
        pinned: Mapping[str, tuple[JoinEdge, ...]] | None = None,
        outer_only: Iterable[str] = (),
    ) -> JoinPlan:
        """Plan how to reach `tables` from `root`; `outer_only` tables must not fan out (dimensions)."""
        pinned = pinned or {}
        must_be_outer = set(outer_only)
        outer: dict[str, tuple[Step, ...]] = {}
        semi: dict[tuple[str, JoinEdge], SemiJoinGroup] = {}
        for table in sorted(set(tables) - {root}):
            path = self._pinned_path(root, pinned[table]) if table in pinned else self.shortest_path(root, table)
            if path is None:
                raise QueryError(
                    f"no join path from `{root}` to `{table}`",
                    fix="declare the relationship in canon.yml `relationships:` "
                    "(from: child.fk, to: parent.key) or in the contract's `joins:`",
                )
            cut = next((i for i, s in enumerate(path) if not s.forward), None)
            if cut is None:
                for i in range(1, len(path) + 1):
                    outer.setdefault(path[i - 1].target, path[:i])
                continue
            if table in must_be_outer:
                raise QueryError(
                    f"dimension table `{table}` is reached from `{root}` only through a one-to-many join "
                    f"({path[cut].edge}), which would count each `{root}` row several times",
                    fix="break the metric down by a column reachable through many-to-one joins",
                )
            for i in range(1, cut + 1):
                outer.setdefault(path[i - 1].target, path[:i])
            first = path[cut]
            group = semi.setdefault((first.source, first.edge), SemiJoinGroup(first.source, first))
            if table != first.target:
                group.paths[table] = path[cut + 1 :]
        return JoinPlan(root=root, outer=outer, semi=list(semi.values()))

    def _pinned_path(self, root: str, edges: tuple[JoinEdge, ...]) -> tuple[Step, ...]:
        steps: list[Step] = []
        current = root
        for e in edges:
            if e.child.table == current:
                steps.append(Step(e, True))
                current = e.parent.table
            elif e.parent.table == current:
                steps.append(Step(e, False))
                current = e.child.table
            else:
                raise QueryError(f"join path edge {e} does not continue from `{current}`")
        return tuple(steps)
