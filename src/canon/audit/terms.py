"""Outputs that add up amounts of several row sets, split into one model per row set.

Real models compute net figures from different tables: an invoice's lines less its credit
notes (`invoice_totals.line_amount - coalesce(credit_notes.credited, 0)`, both aggregated per
invoice and LEFT-joined), an order's items less its discount, a month's sales less the
refunds paid that month (two monthly CTEs FULL-joined on the month). No single raw column is
measured: each operand is an amount of its own table, counted over its own rows, with its
own conditions and, for the FULL-joined months, its own date.

`split_terms` finds the first place on the output's way down (through pass-through columns
and SUMs) where an addition or subtraction has operands reading money of different raw tables,
and writes one copy of the model's (qualified) tree per group of operands, with the
expression replaced by that group: each copy is an ordinary model the extractor reads as it
reads any other, and the definition is their signed sum (`DecisionVector.composite`).
Where the operands' relations are FULL-joined (months of sales and months of refunds), the
copy keeps only the term's relation in that scope, and a `coalesce(a.month, b.month)` there
becomes the term's own month: on a row of `a`, that is what the coalesce is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from canon.audit.lineage import Lineage, Unresolvable, is_raw, raw_columns
from canon.audit.measure import strip_wrappers

_NODE = "canon_term_split"
_SCOPE = "canon_term_scope"


@dataclass(frozen=True)
class TermTree:
    """One row set's share of the output: the model's tree computing only it, and its sign."""

    sign: int
    tree: exp.Query


Operand = tuple[int, exp.Expr]


def split_terms(lineage: Lineage, output: str, is_money: Callable[[exp.Column], bool]) -> list[TermTree] | None:
    """The output as a signed sum of models over different row sets, or None when it is one row set."""
    scope, name = lineage.root, output
    for _ in range(256):  # a chain of pass-through CTEs; bounded for safety
        if scope.is_set_operation or not isinstance(scope.expression, exp.Select):
            return None
        sel = next((s for s in scope.expression.selects if s.alias_or_name == name), None)
        if sel is None:
            return None
        expr = sel.this if isinstance(sel, exp.Alias) else sel
        found = _split_node(lineage, scope, expr, is_money)
        if found is not None:
            node, groups = found
            return _term_trees(lineage, scope, node, groups)
        carried = _carried_column(expr)
        if carried is None or not carried.table:
            return None
        if _full_joined(scope.expression):  # one relation's amount of FULL-joined ones: its rows alone
            return _term_trees(lineage, scope, expr, [[(1, expr)]], replace_node=False)
        source = scope.sources.get(carried.table)
        if not isinstance(source, Scope):
            return None
        scope, name = source, carried.name
    return None


def _carried_column(expr: exp.Expr) -> exp.Column | None:
    """The one column an output passes on: as is, cast, summed, or `coalesce(c, 0)`."""
    node = strip_wrappers(expr)
    while isinstance(node, exp.Sum):
        node = strip_wrappers(node.this)
    return node if isinstance(node, exp.Column) else None


def _operands(node: exp.Expr, sign: int, out: list[Operand]) -> None:
    if isinstance(node, exp.Paren):
        _operands(node.this, sign, out)
    elif isinstance(node, exp.Add):
        _operands(node.this, sign, out)
        _operands(node.expression, sign, out)
    elif isinstance(node, exp.Sub):
        _operands(node.this, sign, out)
        _operands(node.expression, -sign, out)
    elif isinstance(node, exp.Neg):
        _operands(node.this, -sign, out)
    else:
        out.append((sign, node))


def _in_condition(node: exp.Expr, root: exp.Expr) -> bool:
    """Whether `node` sits in a CASE/IF condition, a window or a subquery of `root` (not a value)."""
    child: exp.Expr = node
    parent = node.parent
    while parent is not None and child is not root:
        if isinstance(parent, exp.If) and child is parent.this:
            return True
        if isinstance(parent, exp.Window | exp.Subquery | exp.Select):
            return True
        child, parent = parent, parent.parent
    return False


def _split_node(
    lineage: Lineage, scope: Scope, expr: exp.Expr, is_money: Callable[[exp.Column], bool]
) -> tuple[exp.Expr, list[list[Operand]]] | None:
    """The outermost `+`/`-` of `expr` whose operands carry money of different raw tables."""
    for node in expr.find_all(exp.Add, exp.Sub):
        if _in_condition(node, expr):
            continue
        if node is not expr:
            above: exp.Expr | None = node.parent
            while isinstance(above, exp.Paren):
                above = above.parent
            if isinstance(above, exp.Add | exp.Sub):
                continue  # part of a larger sum: read from its top
        operands: list[Operand] = []
        _operands(node, 1, operands)
        groups: dict[frozenset[str], list[Operand]] = {}
        readable = True
        for sign, operand in operands:
            if isinstance(operand, exp.Literal):
                readable = False  # `amount - 5`: a constant is no row set
                break
            try:
                resolved = lineage.resolve(operand, scope)
            except Unresolvable:
                readable = False
                break
            tables = frozenset(c.table.lower() for c in raw_columns(resolved) if is_raw(c) and is_money(c))
            if not tables:
                readable = False
                break
            groups.setdefault(tables, []).append((sign, operand))
        if readable and len(groups) > 1 and _disjoint(list(groups)):
            return node, list(groups.values())
    return None


def _disjoint(sets: list[frozenset[str]]) -> bool:
    seen: set[str] = set()
    for s in sets:
        if seen & s:
            return False
        seen |= s
    return True


def _full_joined(select: exp.Expr) -> bool:
    joins = select.args.get("joins") or []
    return bool(joins) and all((j.side or "").upper() == "FULL" for j in joins)


def _term_trees(
    lineage: Lineage, scope: Scope, node: exp.Expr, groups: list[list[Operand]], replace_node: bool = True
) -> list[TermTree] | None:
    root = lineage.root.expression
    node.meta[_NODE] = True
    scope.expression.meta[_SCOPE] = True
    try:
        out = []
        for group in groups:
            tree = root.copy()
            assert isinstance(tree, exp.Query)
            target = next(n for n in tree.walk() if n.meta.get(_NODE))
            select = next(n for n in tree.walk() if isinstance(n, exp.Select) and n.meta.get(_SCOPE))
            sign, replacement = _group_value(group)
            aliases = {c.table for _, o in group for c in o.find_all(exp.Column) if c.table}
            if replace_node:
                target.replace(replacement)
            if not _keep_only(select, aliases):
                return None
            for n in tree.walk():
                n.meta.pop(_NODE, None)
                n.meta.pop(_SCOPE, None)
            out.append(TermTree(sign, tree))
        return out
    finally:
        node.meta.pop(_NODE, None)
        scope.expression.meta.pop(_SCOPE, None)


def _group_value(group: list[Operand]) -> tuple[int, exp.Expr]:
    """One group's operands as one expression, and the sign it enters the output with."""
    sign = -1 if all(s < 0 for s, _ in group) else 1
    value: exp.Expr | None = None
    for s, operand in group:
        part = exp.Paren(this=operand.copy())
        if value is None:
            value = part if s * sign > 0 else exp.Neg(this=part)
        elif s * sign > 0:
            value = exp.Add(this=value, expression=part)
        else:
            value = exp.Sub(this=value, expression=part)
    assert value is not None
    return sign, value


def _keep_only(select: exp.Select, aliases: set[str]) -> bool:
    """In a scope whose relations are FULL-joined, keep only the term's relation (False: cannot).

    `FROM a FULL JOIN b ON a.month = b.month`: a row of `a`'s term is a row of `a`, its month
    `coalesce(a.month, b.month)` is `a.month`. Scopes joined otherwise are left as they are (a
    LEFT-joined relation's conditions decide its own rows only: the extractor knows).
    """
    joins = select.args.get("joins") or []

    if not joins or not all((j.side or "").upper() == "FULL" for j in joins):
        return True
    if len(aliases) != 1:
        return False
    alias = next(iter(aliases))
    relations = [select.args["from_"].this, *(j.this for j in joins)]
    mine = next((r for r in relations if r.alias_or_name == alias), None)
    if mine is None or select.args.get("where") is not None:
        return False
    select.set("from_", exp.From(this=mine.copy()))
    select.set("joins", None)

    def own_month(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Coalesce):
            for arg in (node.this, *node.expressions):
                if isinstance(arg, exp.Column) and arg.table == alias:
                    return arg.copy()
        return node

    kept = []
    for item in select.expressions:
        item = item.transform(own_month)
        if all(c.table in ("", alias) for c in item.find_all(exp.Column)):
            kept.append(item)
    select.set("expressions", kept)
    group = select.args.get("group")
    if group is not None:
        exprs = [g.transform(own_month) for g in group.expressions]
        if any(c.table not in ("", alias) for g in exprs for c in g.find_all(exp.Column)):
            return False
        group.set("expressions", exprs)
    return True
