"""How often each measured row is counted: the joins on the way from the measure to the output.

Filters say which rows count; joins say how many times. Following the measured column from the
model's output down to its raw table, each scope on the way joins the rows carrying it to other
relations. From the measured relation, a join through a key that is unique on the other side
keeps each row once; through a key that is not (`lines JOIN attempts ON invoice_id`), each row
is counted once per match — a fan-out. An inner join (or being the LEFT-joined side yourself:
`customers LEFT JOIN cash`) also drops the rows with no match — a required match; a LEFT join
from the measured rows keeps them with NULLs — an optional table, whose filters may still drop
those rows in WHERE.

Uniqueness is decided by the data and the SQL together: a raw column by a query
(`is_unique`), a grouped relation by its GROUP BY key, a deduplication window by its partition,
a pass-through relation by what it passes through (and whether it multiplied it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from canon.audit import budget
from canon.audit.lineage import Lineage, Unresolvable, conjuncts, is_raw, origin_of
from canon.contracts.refs import ColumnRef

Origin = list[tuple[str, int]]


@dataclass
class JoinStep:
    """One join met on the way from the measured rows: its raw key columns and what it does to them."""

    own: ColumnRef  # the key on the measured rows' side
    other: ColumnRef  # the key of the joined relation
    fragment: str
    origin: Origin
    unique: bool  # at most one match per measured row
    required: bool  # rows with no match are dropped (inner join, or the measured side LEFT-joined)
    explicit: bool = False  # required because the measured side is the LEFT-joined one (a written semi-join)
    derived: bool = False  # the joined relation is aggregated: its rows are not raw rows


@dataclass
class RowJoins:
    steps: list[JoinStep] = field(default_factory=list)
    problems: list[tuple[str, str, Origin]] = field(default_factory=list)  # (fragment, reason, origin)
    # relations LEFT-joined many-to-one to the measured rows: what restricts *their* rows (a WHERE
    # inside them) decides which rows match, not which measured rows count
    optional_scopes: list[Scope] = field(default_factory=list)
    path_scopes: list[Scope] = field(default_factory=list)  # the relations the measured rows come through

    @property
    def optional_tables(self) -> set[str]:
        """Raw tables LEFT-joined to the measured rows many-to-one: their NULL rows reach the WHERE."""
        return {s.other.table for s in self.steps if s.unique and not s.required}


@dataclass
class _Edge:
    a: str  # alias
    a_col: exp.Column
    b: str
    b_col: exp.Column
    owner: str | None  # alias whose JOIN clause holds the condition (None: the WHERE)
    node: exp.Expression


class JoinWalk:
    """Joins along the measured column's path through one model's scopes (see the module docstring)."""

    def __init__(self, lineage: Lineage, is_unique: Callable[[ColumnRef], bool]) -> None:
        self.lineage = lineage
        self.is_unique = is_unique
        self._unique: dict[tuple[int, str], bool] = {}

    def walk(self, output: str, table: str) -> RowJoins:
        """The joins met by the rows of raw `table` on their way to output column `output`."""
        found = RowJoins()
        path = self._path(self.lineage.root, output, table.lower(), 0)
        for scope, alias in path or []:
            budget.check()
            source = scope.sources.get(alias)
            if isinstance(source, Scope):
                found.path_scopes.append(source)
            self._joins_from(scope, alias, found)
        return found

    # -- the measured column's path ------------------------------------------------------
    def _path(self, scope: Scope, name: str, table: str, depth: int) -> list[tuple[Scope, str]] | None:
        if depth > 200 or scope.is_set_operation:
            return None
        for sel in _selects(scope):
            if sel.alias_or_name != name:
                continue
            inner = sel.this if isinstance(sel, exp.Alias) else sel
            for col in inner.find_all(exp.Column):
                if not col.table or col.find_ancestor(exp.Select) not in (None, scope.expression):
                    continue  # a scalar subquery's column belongs to its own scope
                source = scope.sources.get(col.table)
                if isinstance(source, exp.Table):
                    if self.lineage.spell(source.name, col.name)[0].lower() == table:
                        return [(scope, col.table)]
                elif isinstance(source, Scope):
                    rest = self._path(source, col.name, table, depth + 1)
                    if rest is not None:
                        return [(scope, col.table), *rest]
            return None
        return None

    # -- one scope ---------------------------------------------------------------------------
    def _edges(self, scope: Scope) -> tuple[dict[str, str], list[_Edge], list[tuple[str, str]]]:
        """(side per alias, equi-join edges, problems) of a scope's FROM/JOIN/WHERE."""
        select = scope.expression
        sides: dict[str, str] = {}
        edges: list[_Edge] = []
        problems: list[tuple[str, str]] = []
        if not isinstance(select, exp.Select):
            return sides, edges, problems
        start = select.args.get("from_")
        if start is not None:
            sides[start.this.alias_or_name] = "inner"
        for join in select.args.get("joins") or []:
            alias = join.this.alias_or_name
            side = (join.side or "").upper()
            kind = (join.kind or "").upper()
            sides[alias] = "left" if side == "LEFT" else side.lower() if side else "inner"
            if kind in ("SEMI", "ANTI"):
                sides[alias] = kind.lower()
            on = join.args.get("on")
            if on is None:
                if join.args.get("using"):
                    problems.append((join.sql(), "a JOIN … USING is not followed for row counts"))
                continue
            edges.extend(_equalities(on, alias))
        where = select.args.get("where")
        if where is not None:
            edges.extend(_equalities(where.this, None))
        return sides, edges, problems

    def _joins_from(self, scope: Scope, start: str, found: RowJoins) -> None:
        sides, edges, problems = self._edges(scope)
        for fragment, why in problems:
            found.problems.append((fragment, why, []))
        if len(sides) < 2:
            return
        reached = {start}
        frontier = [start]
        while frontier:
            here = frontier.pop(0)
            for e in edges:
                if here not in (e.a, e.b):
                    continue
                there, here_col, there_col = (e.b, e.a_col, e.b_col) if e.a == here else (e.a, e.b_col, e.a_col)
                if there in reached or there == here:
                    continue
                step = self._step(scope, sides, e, here, there, here_col, there_col)
                source = scope.sources.get(there)
                optional = e.owner == there and sides.get(there) == "left"
                if optional and isinstance(source, Scope) and self.unique_in(scope, there, there_col.name):
                    found.optional_scopes.append(source)
                if isinstance(step, str):
                    found.problems.append((e.node.sql(), step, origin_of(e.node)))
                elif step is not None:
                    found.steps.append(step)
                reached.add(there)
                frontier.append(there)
        # a relation joined without an equality (a calendar joined by range, a cross join) is the
        # time basis's business, not a row decision: left alone here

    def _step(
        self,
        scope: Scope,
        sides: dict[str, str],
        e: _Edge,
        here: str,
        there: str,
        here_col: exp.Column,
        there_col: exp.Column,
    ) -> JoinStep | str | None:
        owner_side = sides.get(e.owner or "", "inner") if e.owner is not None else "inner"
        if owner_side in ("right", "full") or sides.get(there) in ("right", "full"):
            return "a RIGHT or FULL join: rows on the measured side are not followed"
        if sides.get(there) in ("semi", "anti"):
            return None
        explicit = owner_side == "left" and e.owner == here
        required = owner_side == "inner" or explicit
        unique = self.unique_in(scope, there, there_col.name)
        try:
            own = self.lineage.resolve(here_col, scope)
            other = self.lineage.resolve(there_col, scope)
        except Unresolvable as exc:
            return None if unique and not required else f"join key cannot be traced: {exc}"
        if not (is_raw(own) and is_raw(other)):
            return None if unique and not required else "join key is not a raw column"
        assert isinstance(own, exp.Column) and isinstance(other, exp.Column)
        source = scope.sources.get(there)
        derived = isinstance(source, Scope) and self._aggregated(source)
        return JoinStep(
            ColumnRef(own.table, own.name),
            ColumnRef(other.table, other.name),
            e.node.sql(),
            origin_of(e.node),
            unique,
            required,
            explicit,
            derived,
        )

    # -- uniqueness ----------------------------------------------------------------------------
    def unique_in(self, scope: Scope, alias: str, column: str) -> bool:
        """Whether `alias.column` has at most one row per value among `scope`'s source `alias`."""
        source = scope.sources.get(alias)
        if isinstance(source, exp.Table):
            table, col = self.lineage.spell(source.name, column)
            return self.is_unique(ColumnRef(table, col))
        if isinstance(source, Scope):
            return self.scope_unique(source, column)
        return False

    def scope_unique(self, scope: Scope, name: str) -> bool:
        key = (id(scope), name)
        if key not in self._unique:
            self._unique[key] = False  # a cycle proves nothing
            self._unique[key] = self._scope_unique(scope, name)
        return self._unique[key]

    def _scope_unique(self, scope: Scope, name: str) -> bool:
        budget.check()
        select = scope.expression
        if scope.is_set_operation or not isinstance(select, exp.Select):
            return False
        expr = next(
            ((s.this if isinstance(s, exp.Alias) else s) for s in select.selects if s.alias_or_name == name), None
        )
        if expr is None:
            return False
        group = select.args.get("group")
        if group is not None:
            keys = group.expressions
            return len(keys) == 1 and _same(keys[0], expr, select)
        if self._aggregated(scope):
            return True  # aggregated without GROUP BY: one row
        if select.args.get("distinct") and len(select.selects) == 1:
            return True
        if self._deduplicated_on(scope, expr):
            return True
        if not isinstance(expr, exp.Column) or not expr.table:
            return False
        if not self.unique_in(scope, expr.table, expr.name):
            return False
        return not self._multiplied(scope, expr.table)

    def _aggregated(self, scope: Scope) -> bool:
        select = scope.expression
        if not isinstance(select, exp.Select):
            return False
        if select.args.get("group") is not None:
            return True
        return any(a.find_ancestor(exp.Window) is None for s in select.selects for a in s.find_all(exp.AggFunc))

    def _deduplicated_on(self, scope: Scope, expr: exp.Expr) -> bool:
        """A `row_number() … = 1` in this scope (QUALIFY, or WHERE over a ranked source) partitioned by `expr` alone."""
        select = scope.expression
        try:
            target = self.lineage.resolve(expr, scope).sql()
        except Unresolvable:
            return False
        for clause in ("where", "qualify"):
            node = select.args.get(clause)
            if node is None:
                continue
            for part in conjuncts(node.this):
                ranked = self.lineage.ranked(part, scope)
                if ranked is None or isinstance(ranked, str) or ranked.ties or len(ranked.partition) != 1:
                    continue
                if ranked.partition[0].sql() == target:
                    return True
        return False

    def _multiplied(self, scope: Scope, alias: str) -> bool:
        """Whether rows of `alias` can appear more than once in `scope` (a join not unique on its other side)."""
        sides, edges, problems = self._edges(scope)
        if problems:
            return True
        reached = {alias}
        frontier = [alias]
        while frontier:
            here = frontier.pop(0)
            for e in edges:
                if here not in (e.a, e.b):
                    continue
                there, there_col = (e.b, e.b_col) if e.a == here else (e.a, e.a_col)
                if there in reached:
                    continue
                if sides.get(there) in ("right", "full"):
                    return True
                if sides.get(there) not in ("semi", "anti") and not self.unique_in(scope, there, there_col.name):
                    return True
                reached.add(there)
                frontier.append(there)
        return any(a not in reached and sides[a] not in ("semi", "anti") for a in sides)


def _equalities(node: exp.Expression, owner: str | None) -> list[_Edge]:
    out: list[_Edge] = []
    for part in conjuncts(node):
        if not isinstance(part, exp.EQ):
            continue
        a, b = part.this, part.expression
        if isinstance(a, exp.Column) and isinstance(b, exp.Column) and a.table and b.table and a.table != b.table:
            out.append(_Edge(a.table, a, b.table, b, owner, part))
    return out


def _same(key: exp.Expr, expr: exp.Expr, select: exp.Select) -> bool:
    """A GROUP BY key is the output expression (or names its alias / position)."""
    if key.sql() == expr.sql():
        return True
    if isinstance(key, exp.Literal) and key.is_int:
        n = int(key.this) - 1
        selects = select.selects
        if 0 <= n < len(selects):
            chosen = selects[n]
            return (chosen.this if isinstance(chosen, exp.Alias) else chosen).sql() == expr.sql()
    return isinstance(key, exp.Column) and not key.table and isinstance(expr, exp.Column) and key.name == expr.name


def _selects(scope: Scope) -> list[exp.Expr]:
    query = scope.expression
    return list(query.selects) if isinstance(query, exp.Query) else []
