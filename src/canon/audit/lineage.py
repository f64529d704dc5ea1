"""Follow expressions and row conditions through scopes down to raw columns.

`resolve` rewrites an expression of any scope into one over raw columns (every column becomes
`raw_table.column`), substituting the definitions of derived columns on the way: a staging
`is_pilot = lower(type) = 'pilot'` used as `NOT is_pilot` becomes `NOT lower(raw.type) = 'pilot'`.
`row_conditions` gathers every condition that decides which raw rows reach a scope's
output: WHERE, inner JOIN ON, HAVING and semi-/anti-joins, in that scope and in every CTE,
subquery and upstream model it reads, with where each came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, build_scope

from canon.audit import budget
from canon.audit.inline import MODEL_KEY

RAW_KEY = "canon_raw"


class Unresolvable(Exception):
    """An expression cannot be traced to raw columns (a window, a differing UNION branch...)."""


ConditionKind = Literal["where", "join", "having", "semi", "anti", "union"]


@dataclass
class Condition:
    """A condition on rows, resolved to raw columns, with its origin for reports and blame."""

    expr: exp.Expr
    kind: ConditionKind
    fragment: str  # the condition as written in its model (after dbt compilation)
    origin: list[tuple[str, int]] = field(default_factory=list)  # (model, line)
    aggregate: bool = False
    link: tuple[exp.Column, exp.Column] | None = None  # semi/anti: outer raw column, inner raw column
    inner: list[Condition] = field(default_factory=list)


def raw_column(table: str, column: str) -> exp.Column:
    col = exp.column(column, table=table)
    col.meta[RAW_KEY] = True
    return col


def is_raw(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and bool(node.meta.get(RAW_KEY))


def raw_columns(node: exp.Expr) -> list[exp.Column]:
    return [c for c in node.find_all(exp.Column) if is_raw(c)]


def origin_of(node: exp.Expr) -> list[tuple[str, int]]:
    """(model, line) pairs of every parsed token under `node`."""
    seen: dict[tuple[str, int], None] = {}
    for n in node.walk():
        model, line = n.meta.get(MODEL_KEY), n.meta.get("line")
        if model and line:
            seen[(model, int(line))] = None
    return sorted(seen)


def conjuncts(node: exp.Expr) -> list[exp.Expression]:
    node = node.unnest() if isinstance(node, exp.Paren) else node
    assert isinstance(node, exp.Expression)
    if isinstance(node, exp.And):
        return [*conjuncts(node.left), *conjuncts(node.right)]
    return [node]


def _selects(scope: Scope) -> list[exp.Expr]:
    query = scope.expression
    return list(query.selects) if isinstance(query, exp.Query) else []


class Lineage:
    """Traces outputs and row conditions of one (inlined) query to raw columns.

    Both walks are memoized per scope: an output column of a CTE is resolved once however many
    later CTEs read it, and a scope's row conditions are collected once however many scopes
    select from it. Without this a package-style chain (40 CTEs, each reading the previous
    one's columns several times) is walked exponentially often; with it the work is linear in
    the number of (scope, column) pairs. `visits` counts the walks really done (the tests read
    it), and every walk checks the running model's budget (`budget.check`).
    """

    def __init__(self, tree: exp.Query) -> None:
        root = build_scope(tree)
        if root is None:
            raise Unresolvable("query has no scope")
        self.root = root
        self.visits = 0
        # (id(scope), output name) → resolved expression, or why it cannot be (raised again)
        self._outputs: dict[tuple[int, str], exp.Expr | Unresolvable] = {}
        self._rows: dict[int, list[Condition]] = {}
        self._scopes: list[Scope] = []  # keeps memoized scopes alive, so their ids stay theirs

    def spell(self, table: str, column: str) -> tuple[str, str]:
        """The warehouse's own spelling of a raw column (dialects fold unquoted names differently)."""
        return table, column

    # -- expressions ---------------------------------------------------------------------
    def output(self, scope: Scope, name: str) -> exp.Expr:
        """The raw-column expression of output column `name` of `scope` (a fresh copy each time)."""
        key = (id(scope), name)
        known = self._outputs.get(key)
        if known is None:
            budget.check()
            self.visits += 1
            self._scopes.append(scope)
            try:
                known = self._output(scope, name)
            except Unresolvable as exc:
                known = exc
            self._outputs[key] = known
        if isinstance(known, Unresolvable):
            raise Unresolvable(*known.args)
        return known.copy()

    def _output(self, scope: Scope, name: str) -> exp.Expr:
        if scope.is_set_operation:
            branches = [self.output(s, name) for s in scope.set_operation_scopes]
            first = branches[0]
            if any(b.sql() != first.sql() for b in branches[1:]):
                raise Unresolvable(f"UNION branches compute `{name}` differently")
            return first
        for sel in _selects(scope):
            if sel.alias_or_name == name:
                inner = sel.this if isinstance(sel, exp.Alias) else sel
                return self.resolve(inner, scope)
        raise Unresolvable(f"column `{name}` not found")

    def resolve(self, node: exp.Expr, scope: Scope) -> exp.Expr:
        if isinstance(node, exp.Window):
            raise Unresolvable(f"window function `{node.sql()}`")
        if isinstance(node, exp.Column):
            return self._traced(node, scope)
        out = node.copy()
        for col in list(out.find_all(exp.Column)):
            if is_raw(col):
                continue
            if col.find_ancestor(exp.Select) is not None:
                continue  # inside a scalar subquery of the expression: its own scope
            replacement = self._traced(col, scope)
            if col is out:
                return replacement
            if isinstance(replacement, exp.Binary | exp.Unary) and isinstance(col.parent, exp.Binary | exp.Unary):
                # `v * 1.0` with v = `a + 0` is `(a + 0) * 1.0`: the tree knew, the SQL text must too
                replacement = exp.Paren(this=replacement)
            col.replace(replacement)
        if out.find(exp.Window):
            raise Unresolvable(f"window function in `{node.sql()}`")
        return out

    def _traced(self, col: exp.Column, scope: Scope) -> exp.Expr:
        """Resolve a column and mark the result with where it was used (its blame line)."""
        result = self._resolve_column(col, scope)
        used = {k: v for k, v in col.this.meta.items() if k in ("line", MODEL_KEY)}
        if used:
            result.meta.update(used)
        return result

    def _resolve_column(self, col: exp.Column, scope: Scope) -> exp.Expr:
        current: Scope | None = scope
        while current is not None:
            source = current.sources.get(col.table) if col.table else None
            if source is None and not col.table and len(current.sources) == 1:
                source = next(iter(current.sources.values()))
            if isinstance(source, exp.Table):
                resolved = raw_column(*self.spell(source.name, col.name))
                resolved.meta.update({k: v for k, v in col.this.meta.items() if k in ("line", MODEL_KEY)})
                return resolved
            if isinstance(source, Scope):
                return self.output(source, col.name)
            current = current.parent
        raise Unresolvable(f"cannot trace column `{col.sql()}`")

    # -- rows ----------------------------------------------------------------------------
    def row_conditions(self, scope: Scope | None = None) -> list[Condition]:
        """Every condition deciding which raw rows reach `scope` (default: the outer query).

        Memoized per scope; the list is new each call, the conditions are shared (never mutated).
        """
        scope = scope or self.root
        known = self._rows.get(id(scope))
        if known is None:
            budget.check()
            self.visits += 1
            self._scopes.append(scope)
            known = self._rows[id(scope)] = self._row_conditions(scope)
        return list(known)

    def _row_conditions(self, scope: Scope) -> list[Condition]:
        if scope.is_set_operation:
            branches = [self.row_conditions(s) for s in scope.set_operation_scopes]
            if all(not b for b in branches):
                return []
            parts = [exp.and_(*[c.expr for c in b]) if b else exp.true() for b in branches]
            expr = exp.or_(*[exp.Paren(this=p) for p in parts])
            origin = sorted({o for b in branches for c in b for o in c.origin})
            agg = any(c.aggregate for b in branches for c in b)
            return [Condition(expr, "union", expr.sql(), origin, agg)]
        out: list[Condition] = []
        select = scope.expression
        where = select.args.get("where")
        if where is not None:
            out.extend(self._conditions(where.this, scope, "where"))
        for join in select.args.get("joins") or []:
            on = join.args.get("on")
            side = (join.side or "").upper()
            if on is not None and side not in ("LEFT", "RIGHT", "FULL"):
                out.extend(self._conditions(on, scope, "join"))
        having = select.args.get("having")
        if having is not None:
            out.extend(self._conditions(having.this, scope, "having", aggregate=True))
        seen = {id(c) for c in out}
        for child in self._row_sources(scope):
            # a CTE read twice (self-join, diamond) brings its conditions once: the same rows
            for cond in self.row_conditions(child):
                if id(cond) not in seen:
                    seen.add(id(cond))
                    out.append(cond)
        return out

    def outer_join_links(self) -> list[tuple[exp.Column, exp.Column]]:
        """Raw columns equated in the ON of outer joins, in every scope rows reach the model through.

        An outer join's ON decides no row, so it is no row condition; but `b.y = a.x` there is
        still a join the model makes, and the audit reads a many-to-one edge from it when one
        side is unique (`Extractor._edge`), as it does from an inner join's ON.
        """
        out: list[tuple[exp.Column, exp.Column]] = []
        seen: set[int] = set()
        todo = [self.root]
        while todo:
            scope = todo.pop()
            if id(scope) in seen:
                continue
            seen.add(id(scope))
            budget.check()
            if scope.is_set_operation:
                todo.extend(scope.set_operation_scopes)
                continue
            for join in scope.expression.args.get("joins") or []:
                on = join.args.get("on")
                if on is None or (join.side or "").upper() not in ("LEFT", "RIGHT", "FULL"):
                    continue
                for part in conjuncts(on):
                    if not isinstance(part, exp.EQ):
                        continue
                    try:
                        a, b = self.resolve(part.this, scope), self.resolve(part.expression, scope)
                    except Unresolvable:
                        continue
                    if isinstance(a, exp.Column) and isinstance(b, exp.Column) and is_raw(a) and is_raw(b):
                        out.append((a, b))
            todo.extend(self._row_sources(scope))
        return out

    def _row_sources(self, scope: Scope) -> list[Scope]:
        """Child scopes whose rows flow into `scope` through FROM/JOIN (not subquery filters)."""
        children: list[Scope] = []
        for source in scope.sources.values():
            if isinstance(source, Scope):
                children.append(source)
        return children

    def _conditions(
        self, node: exp.Expression, scope: Scope, kind: ConditionKind, aggregate: bool = False
    ) -> list[Condition]:
        out: list[Condition] = []
        for part in conjuncts(node):
            semi = self._semi_join(part, scope)
            if semi is not None:
                out.append(semi)
                continue
            try:
                resolved = self.resolve(part, scope)
            except Unresolvable as exc:
                out.append(Condition(exp.Anonymous(this="UNRESOLVED"), kind, f"{part.sql()} ({exc})", origin_of(part)))
                continue
            # HAVING on a grouping key (no aggregate inside) filters rows exactly like WHERE
            is_agg = bool(resolved.find(exp.AggFunc))
            out.append(Condition(resolved, kind, part.sql(), origin_of(part), is_agg))
        return out

    def _semi_join(self, part: exp.Expression, scope: Scope) -> Condition | None:
        negated = isinstance(part, exp.Not)
        inner = part.this if negated else part
        if isinstance(inner, exp.In) and inner.args.get("query") is not None:
            sub_scope = self._scope_of(inner.args["query"], scope)
            if sub_scope is None:
                return None
            outer_col = self.resolve(inner.this, scope)
            selects = _selects(sub_scope)
            if len(selects) != 1:
                return None
            inner_col = self.output(sub_scope, selects[0].alias_or_name)
            if not (is_raw(outer_col) and is_raw(inner_col)):
                return None
            assert isinstance(outer_col, exp.Column) and isinstance(inner_col, exp.Column)
            return Condition(
                exp.true(),
                "anti" if negated else "semi",
                part.sql(),
                origin_of(part),
                link=(outer_col, inner_col),
                inner=self.row_conditions(sub_scope),
            )
        if isinstance(inner, exp.Exists):
            sub_scope = self._scope_of(inner.this, scope)
            if sub_scope is None:
                return None
            conds = self.row_conditions(sub_scope)
            link = None
            rest = []
            for c in conds:
                cols = raw_columns(c.expr)
                if link is None and isinstance(c.expr, exp.EQ) and len(cols) == 2 and cols[0].table != cols[1].table:
                    # the correlation: one side is the outer row, the other the subquery's table
                    inner_tables = {t.name for t in sub_scope.tables}
                    a, b = cols
                    link = (b, a) if a.table in inner_tables else (a, b)
                else:
                    rest.append(c)
            if link is None:
                return None
            return Condition(
                exp.true(), "anti" if negated else "semi", part.sql(), origin_of(part), link=link, inner=rest
            )
        return None

    def _scope_of(self, node: exp.Expression, scope: Scope) -> Scope | None:
        target = node.this if isinstance(node, exp.Subquery) else node
        for child in scope.subquery_scopes:
            if child.expression is target or child.expression is node:
                return child
        return None
