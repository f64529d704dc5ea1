"""Follow expressions and row conditions through scopes down to raw columns.

`resolve` rewrites an expression of any scope into one over raw columns (every column becomes
`raw_table.column`), substituting the definitions of derived columns on the way: a staging
`is_pilot = lower(type) = 'pilot'` used as `NOT is_pilot` becomes `NOT lower(raw.type) = 'pilot'`.
`row_conditions` gathers every condition that decides which raw rows reach a scope's
output: WHERE, inner JOIN ON, HAVING, QUALIFY and semi-/anti-joins, in that scope and in every
CTE, subquery and upstream model it reads, with where each came from. A ranking window kept
at its first row (`row_number() over (partition by k order by t desc) = 1`, in a WHERE above it
or a QUALIFY) is a deduplication (`RankedRows`), and `LEFT JOIN x … WHERE x.key IS NULL` is the
anti-join it spells.
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


ConditionKind = Literal["where", "join", "having", "qualify", "semi", "anti", "union", "dedup"]
_RANKING = (exp.RowNumber, exp.Rank, exp.DenseRank)


@dataclass
class RankedRows:
    """A deduplication window: rows of one raw `table`, the first per `partition` by `order`.

    Expressions are over raw columns; `among` are the conditions the rows met before they were
    ranked (WHERE of the window's scope and below).
    """

    table: str
    partition: list[exp.Expr]
    order: list[tuple[exp.Expr, bool]]  # (expression, descending)
    ties: bool
    among: list[Condition]


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
    dedup: RankedRows | None = None  # kind "dedup": the window it keeps the first rows of
    in_list: bool = False  # semi/anti written `[NOT] IN (SELECT …)` (NOT IN drops NULL keys too)


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


def _all_raw(node: exp.Expr) -> list[exp.Column]:
    """Every column of a resolved expression (raw ones carry their table; anything else has none)."""
    return [c if is_raw(c) else exp.column(c.name) for c in node.find_all(exp.Column)]


def window_reason(window: exp.Window) -> str:
    """Why a window function cannot be traced, in the words of what it does to the periods."""
    func = window.this
    ignore_nulls = isinstance(func, exp.IgnoreNulls)
    func = func.this if isinstance(func, exp.IgnoreNulls | exp.RespectNulls) else func
    text = window.sql()
    if isinstance(func, exp.LastValue | exp.FirstValue | exp.Lag | exp.NthValue) and (
        ignore_nulls or isinstance(func, exp.Lag)
    ):
        return (
            f"a value carried forward by a window (`{text}`): each period repeats an amount of an earlier "
            "row, which no time basis or filter states"
        )
    if isinstance(func, exp.AggFunc) and window.args.get("order") is not None:
        return f"a running total over a window (`{text}`): each period adds every earlier one"
    return f"window function `{text}`"


def _ancestors(node: exp.Expr) -> list[exp.Expr]:
    out: list[exp.Expr] = []
    parent = node.parent
    while parent is not None:
        out.append(parent)
        parent = parent.parent
    return out


def _selects(scope: Scope) -> list[exp.Expr]:
    query = scope.expression
    return list(query.selects) if isinstance(query, exp.Query) else []


@dataclass
class OuterJoin:
    """A LEFT (or RIGHT) JOIN: the conditions of its ON and the source whose rows it null-extends.

    For an amount read from the null-extended side, the rows the join adds carry NULL, so a SUM
    sees exactly the rows of the inner join: the ON conditions then decide which amounts count.
    For an amount of the preserved side they decide nothing of the kind (every row is kept).
    """

    scope: Scope
    nullable: str  # the source (alias) whose rows are null-extended
    conditions: list[Condition]


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
        self._feeds: dict[tuple[int, str], set[tuple[int, str]]] = {}
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
            raise Unresolvable(window_reason(node))
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
        window = out.find(exp.Window)
        if window is not None:
            raise Unresolvable(f"{window_reason(window)}, in `{node.sql()}`")
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
        qualify = select.args.get("qualify")
        if qualify is not None:
            out.extend(self._conditions(qualify.this, scope, "qualify"))
        seen = {id(c) for c in out}
        for child in self._row_sources(scope):
            # a CTE read twice (self-join, diamond) brings its conditions once: the same rows
            for cond in self.row_conditions(child):
                if id(cond) not in seen:
                    seen.add(id(cond))
                    out.append(cond)
        return out

    def row_sources(self, scope: Scope) -> list[Scope]:
        """The child scopes whose row conditions `row_conditions(scope)` gathers."""
        return self._row_sources(scope)

    def outer_joins(self, scope: Scope | None = None) -> list[OuterJoin]:
        """Every LEFT/RIGHT JOIN on the way to `scope`'s rows (default: the outer query), with its ON.

        A RIGHT JOIN is read only when it joins two sources (the FROM is then the nullable side);
        a FULL JOIN null-extends both sides, so neither side's amounts are decided by its ON.
        """
        scope = scope or self.root
        out: list[OuterJoin] = []
        seen: set[int] = set()
        stack = [scope]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            budget.check()
            select = current.expression
            joins = select.args.get("joins") or [] if isinstance(select, exp.Select) else []
            for join in joins:
                on = join.args.get("on")
                side = (join.side or "").upper()
                if on is None or side not in ("LEFT", "RIGHT"):
                    continue
                if side == "LEFT":
                    nullable = join.this.alias_or_name
                elif len(joins) == 1 and select.args.get("from_") is not None:
                    nullable = select.args["from_"].this.alias_or_name
                else:
                    continue
                out.append(OuterJoin(current, nullable, self._conditions(on, current, "join")))
            stack.extend(self._row_sources(current))
        return out

    def feeds(self, scope: Scope, name: str, column: tuple[str, str]) -> set[tuple[int, str]]:
        """(id(scope), source alias) of every source raw `column` (table, name) reaches output `name` through.

        A column used only in a condition of the expression (`CASE WHEN other.x THEN amount END`)
        does not carry the amount, so its source is not counted.
        """
        key = (id(scope), f"{name}\x00{column[0]}.{column[1]}")
        known = self._feeds.get(key)
        if known is not None:
            return known
        budget.check()
        self._scopes.append(scope)
        found: set[tuple[int, str]] = set()
        self._feeds[key] = found  # a recursive CTE reads itself: stop there
        if scope.is_set_operation:
            for branch in scope.set_operation_scopes:
                found |= self.feeds(branch, name, column)
            return found
        for sel in _selects(scope):
            if sel.alias_or_name != name:
                continue
            for col in sel.find_all(exp.Column):
                if col.find_ancestor(exp.Select) is not scope.expression:
                    continue  # inside a scalar subquery: its own scope
                source = scope.sources.get(col.table) if col.table else None
                if source is None or not self._carries(col, scope, column):
                    continue
                found.add((id(scope), col.table))
                if isinstance(source, Scope):
                    found |= self.feeds(source, col.name, column)
        return found

    def _carries(self, col: exp.Column, scope: Scope, column: tuple[str, str]) -> bool:
        """Whether `col` (in `scope`) is computed from raw `column`, outside any CASE condition."""
        try:
            resolved = self._traced(col, scope)
        except Unresolvable:
            return True  # cannot say: count it, so an amount from both sides is said, not hidden
        for raw in raw_columns(resolved):
            if (raw.table.lower(), raw.name.lower()) != (column[0].lower(), column[1].lower()):
                continue
            if not any(isinstance(a, exp.If) and any(n is raw for n in a.this.walk()) for a in _ancestors(raw)):
                return True
        return False

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
        """Child scopes whose rows flow into `scope` through FROM/JOIN (not subquery filters).

        The right side of a `LEFT JOIN x … WHERE x.key IS NULL` is an anti-join's subquery: its
        conditions say which rows exclude, not which rows are kept, and travel with the anti-join.
        """
        anti = self._anti_joined(scope)
        children: list[Scope] = []
        # `selected_sources`, not `sources`: a scope sees every CTE before it, and reads only some
        for name, (_, source) in scope.selected_sources.items():
            if isinstance(source, Scope) and name not in anti:
                children.append(source)
        return children

    def _conditions(
        self, node: exp.Expression, scope: Scope, kind: ConditionKind, aggregate: bool = False
    ) -> list[Condition]:
        out: list[Condition] = []
        for part in conjuncts(node):
            ranked = self._dedup(part, scope, kind)
            if ranked is not None:
                out.append(ranked)
                continue
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
        membership: tuple[exp.Expr, exp.Expr] | None = None  # (value, subquery) of `value IN (subquery)`
        if isinstance(inner, exp.In) and inner.args.get("query") is not None:
            membership = (inner.this, inner.args["query"])
        quantified = _quantified_in(inner)  # Snowflake reads `x NOT IN (select …)` as `x <> ALL (select …)`
        if quantified is not None:
            membership, flip = quantified
            negated = negated != flip
        if membership is not None:
            value, query = membership
            assert isinstance(query, exp.Expression)
            sub_scope = self._scope_of(query, scope)
            if sub_scope is None:
                return None
            outer_col = self.resolve(value, scope)
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
                in_list=True,
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
                    inner_tables = _tables_under(sub_scope)
                    a, b = cols
                    link = (b, a) if a.table.lower() in inner_tables else (a, b)
                else:
                    rest.append(c)
            if link is None:
                return None
            return Condition(
                exp.true(), "anti" if negated else "semi", part.sql(), origin_of(part), link=link, inner=rest
            )
        if isinstance(part, exp.Is) and isinstance(part.expression, exp.Null) and isinstance(part.this, exp.Column):
            return self._left_anti(part, scope)
        return None

    # -- LEFT JOIN … IS NULL ---------------------------------------------------------------
    def _left_link(self, scope: Scope, col: exp.Column) -> tuple[exp.Join, exp.Column, list[exp.Expression]] | None:
        """For `x.k IS NULL` with x LEFT JOINed on `x.k = <outer column>`: the join, the outer column
        and the ON clause's other conditions (on x alone). None when `x.k` is not such a key."""
        alias = col.table
        select = scope.expression
        if not alias or not isinstance(select, exp.Select):
            return None
        for join in select.args.get("joins") or []:
            if (join.side or "").upper() != "LEFT" or join.this.alias_or_name != alias:
                continue
            on = join.args.get("on")
            if on is None:
                return None
            link: exp.Column | None = None
            rest: list[exp.Expression] = []
            for part in conjuncts(on):
                if isinstance(part, exp.EQ) and link is None:
                    a, b = part.this, part.expression
                    if isinstance(a, exp.Column) and isinstance(b, exp.Column):
                        if a.table == alias and a.name == col.name and b.table != alias:
                            link = b
                            continue
                        if b.table == alias and b.name == col.name and a.table != alias:
                            link = a
                            continue
                if any(c.table != alias for c in part.find_all(exp.Column)):
                    return None  # a condition tying x to other tables: not a plain anti-join
                rest.append(part)
            return (join, link, rest) if link is not None else None
        return None

    def _anti_joined(self, scope: Scope) -> set[str]:
        """Aliases of `scope` that its WHERE tests `IS NULL` on their LEFT JOIN key (anti-joins)."""
        select = scope.expression
        where = select.args.get("where") if isinstance(select, exp.Select) else None
        if where is None:
            return set()
        out: set[str] = set()
        for part in conjuncts(where.this):
            col = part.this if isinstance(part, exp.Is) and isinstance(part.expression, exp.Null) else None
            if isinstance(col, exp.Column) and self._left_link(scope, col) is not None:
                out.add(col.table)
        return out

    def _left_anti(self, part: exp.Is, scope: Scope) -> Condition | None:
        col = part.this
        assert isinstance(col, exp.Column)
        found = self._left_link(scope, col)
        if found is None:
            return None
        _, outer, rest = found
        try:
            outer_col = self.resolve(outer, scope)
            inner_col = self.resolve(col, scope)
        except Unresolvable:
            return None
        if not (is_raw(outer_col) and is_raw(inner_col)):
            return None
        assert isinstance(outer_col, exp.Column) and isinstance(inner_col, exp.Column)
        inner: list[Condition] = []
        for cond in rest:
            inner.extend(self._conditions(cond, scope, "where"))
        source = scope.sources.get(col.table)
        if isinstance(source, Scope):
            inner.extend(self.row_conditions(source))
        return Condition(exp.true(), "anti", part.sql(), origin_of(part), link=(outer_col, inner_col), inner=inner)

    # -- deduplication windows -------------------------------------------------------------
    def _dedup(self, part: exp.Expression, scope: Scope, kind: ConditionKind) -> Condition | None:
        """`rank = 1` (`<= 1`, `< 2`) over a ranking window, or `max(v) over (partition by k) = v`."""
        found = self.ranked(part, scope)
        if found is None:
            return None
        if isinstance(found, str):
            return Condition(exp.Anonymous(this="UNRESOLVED"), kind, f"{part.sql()} ({found})", origin_of(part))
        return Condition(exp.true(), "dedup", part.sql(), origin_of(part), dedup=found)

    def ranked(self, part: exp.Expression, scope: Scope) -> RankedRows | str | None:
        """The deduplication `part` spells (a reason when it is one canon cannot carry), or None."""
        node = part.unnest()
        sides: list[tuple[exp.Expr, exp.Expr, str]] = []
        if isinstance(node, exp.EQ):
            sides = [(node.this, node.expression, "eq"), (node.expression, node.this, "eq")]
        elif isinstance(node, exp.LTE | exp.LT):
            sides = [(node.this, node.expression, node.key)]
        elif isinstance(node, exp.GTE | exp.GT):
            sides = [(node.expression, node.this, {"gte": "lte", "gt": "lt"}[node.key])]
        for ranked_side, other, op in sides:
            found = self._window_of(ranked_side, scope)
            if found is None:
                continue
            window, wscope = found
            func = window.this
            if isinstance(func, _RANKING):
                first = {"eq": 1, "lte": 1, "lt": 2}[op]
                if not (isinstance(other, exp.Literal) and other.is_int and int(other.this) == first):
                    return None
                order = [
                    (o.this, bool(o.args.get("desc"))) for o in (window.args.get("order") or exp.Order()).expressions
                ]
                return self._ranked_rows(window, wscope, scope, order, ties=not isinstance(func, exp.RowNumber))
            if isinstance(func, exp.Max | exp.Min) and op == "eq":
                try:
                    same = self.resolve(func.this, wscope).sql() == self.resolve(other, scope).sql()
                except Unresolvable:
                    return None
                if not same:
                    return None
                return self._ranked_rows(window, wscope, scope, [(func.this, isinstance(func, exp.Max))], ties=True)
        return None

    def _window_of(self, node: exp.Expr, scope: Scope) -> tuple[exp.Window, Scope] | None:
        """The window `node` is, or the one the column it names is defined as (through pass-through scopes)."""
        if isinstance(node, exp.Window):
            return node, scope
        if not isinstance(node, exp.Column):
            return None
        if not node.table:  # `QUALIFY rn = 1` naming the scope's own output
            for sel in _selects(scope):
                if sel.alias_or_name == node.name and isinstance(sel, exp.Alias) and isinstance(sel.this, exp.Window):
                    return sel.this, scope
            return None
        source = scope.sources.get(node.table)
        if not isinstance(source, Scope) or source.is_set_operation:
            return None
        for sel in _selects(source):
            if sel.alias_or_name == node.name:
                inner = sel.this if isinstance(sel, exp.Alias) else sel
                return self._window_of(inner, source)
        return None

    def _ranked_rows(
        self, window: exp.Window, wscope: Scope, scope: Scope, order: list[tuple[exp.Expr, bool]], ties: bool
    ) -> RankedRows | str:
        table = self._single_table(wscope)
        if table is None:
            return "a deduplication window over joined or aggregated rows"
        try:
            partition = [self.resolve(p, wscope) for p in window.args.get("partition_by") or []]
            ordered = [(self.resolve(e, wscope), desc) for e, desc in order]
        except Unresolvable as exc:
            return f"a deduplication window canon cannot trace ({exc})"
        exprs = [*partition, *(e for e, _ in ordered)]
        if not partition or not ordered:
            return "a ranking window with no PARTITION BY or no ORDER BY (which row is kept is arbitrary)"
        if any(not c.table or c.table != table for e in exprs for c in _all_raw(e)):
            return "a deduplication window whose keys are not columns of one raw table"
        # QUALIFY: windows are computed after the WHERE of their own scope
        among = self._before_windows(wscope) if wscope is scope else self.row_conditions(wscope)
        if any(c.kind not in ("where", "join") or c.aggregate for c in among):
            return "a deduplication window over rows already restricted by a join, union or aggregate"
        if any(isinstance(c.expr, exp.Anonymous) and c.expr.name == "UNRESOLVED" for c in among):
            return "a deduplication window over rows restricted by a condition canon cannot trace"
        return RankedRows(table, partition, ordered, ties, among)

    def _before_windows(self, scope: Scope) -> list[Condition]:
        select = scope.expression
        out: list[Condition] = []
        where = select.args.get("where")
        if where is not None:
            out.extend(self._conditions(where.this, scope, "where"))
        for child in self._row_sources(scope):
            out.extend(self.row_conditions(child))
        return out

    def _single_table(self, scope: Scope) -> str | None:
        """The one raw table whose rows `scope` passes on unaggregated (no join, no GROUP BY), or None."""
        select = scope.expression
        if scope.is_set_operation or not isinstance(select, exp.Select):
            return None
        if select.args.get("joins") or select.args.get("group") or select.args.get("distinct"):
            return None
        if any(a.find_ancestor(exp.Window) is None for sel in select.selects for a in sel.find_all(exp.AggFunc)):
            return None
        sources = [source for _, source in scope.selected_sources.values()]
        if len(sources) != 1:
            return None
        source = sources[0]
        if isinstance(source, exp.Table):
            return self.spell(source.name, "")[0]
        return self._single_table(source)

    def _scope_of(self, node: exp.Expression, scope: Scope) -> Scope | None:
        target = node.this if isinstance(node, exp.Subquery) else node
        for child in scope.subquery_scopes:
            if child.expression is target or child.expression is node:
                return child
        return None


def _tables_under(scope: Scope) -> set[str]:
    """Lower-case names of the tables a scope reads, through the CTEs and subqueries it selects from.

    Which side of an EXISTS correlation is the subquery's: its table may be read through a
    staging CTE (`exists (select 1 from stg_x ...)`) and spelled in another case (Snowflake).
    """
    names: set[str] = set()
    stack, seen = [scope], set()
    while stack:  # through `sources`, not `traverse()`: a CTE of the outer query is read, not owned
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for source in current.sources.values():
            if isinstance(source, exp.Table):
                names.add(source.name.lower())
            elif isinstance(source, Scope):
                stack.append(source)
    return names


def _quantified_in(node: exp.Expr) -> tuple[tuple[exp.Expr, exp.Expr], bool] | None:
    """`x = ANY (q)` is `x IN (q)`; `x <> ALL (q)` is `NOT x IN (q)`: ((x, q), negated), nodes of the tree."""
    if not (isinstance(node, exp.EQ | exp.NEQ) and isinstance(node.expression, exp.Any | exp.All)):
        return None
    negated = isinstance(node, exp.NEQ) and isinstance(node.expression, exp.All)
    plain = isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any)
    query = node.expression.this
    if (negated or plain) and isinstance(query, exp.Query):
        return (node.this, query), negated
    return None
