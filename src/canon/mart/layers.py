"""A grouping's query as layers: composition → rollup levels → derive → null rules → served.

Each layer is a SELECT over the previous one with explicit column names, so every served
column can be traced to where it was made, and the same derive/null-rule code serves the
materialized leaf rows and the rollups read later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlglot import exp

from canon.errors import ContractError
from canon.mart.contracts import Grouping
from canon.mart.resolve import Resolver, literal
from canon.sqltree import col


@dataclass(frozen=True)
class Layer:
    query: exp.Query
    columns: list[str]

    def source(self, alias: str) -> exp.Subquery:
        return exp.Subquery(this=self.query, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _inline(tree: exp.Expr, known: dict[str, exp.Expr]) -> exp.Expr:
    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in known:
            return exp.Paren(this=known[node.name].copy())
        return node

    return tree.transform(swap, copy=True)


def derive(grouping: Grouping, layer: Layer, resolver: Resolver) -> Layer:
    """Recompute `rollup.derive` columns from the (rolled-up) columns; later ones may use earlier ones."""
    exprs: dict[str, exp.Expr] = {}
    for name, text in grouping.spec.rollup.derive.items():
        path = ("rollup", "derive", name)
        tree = resolver.fragment(text, path)
        _check_columns(grouping, tree, [*layer.columns, *exprs], path)
        exprs[name] = _inline(tree, exprs)
    if not exprs:
        return layer
    keep = [c for c in layer.columns if c not in exprs]
    select = exp.select(*[col(c) for c in keep], *[e.as_(n, quoted=True) for n, e in exprs.items()])
    return Layer(select.from_(layer.source("derived")), [*keep, *exprs])


def null_rules(grouping: Grouping, layer: Layer, resolver: Resolver) -> Layer:
    """Null each ruled column when its condition holds, and say why in the reason column."""
    rules = grouping.spec.null_rules
    if not rules:
        return layer
    conditions: list[exp.Expr] = []
    for i, rule in enumerate(rules):
        path = ("null_rules", i, "when")
        tree = resolver.fragment(rule.when, path)
        _check_columns(grouping, tree, layer.columns, path)
        if rule.column not in layer.columns:
            raise ContractError(
                f"null rule for `{rule.column}`: the grouping has no such column",
                location=grouping.locate(("null_rules", i, "column")),
                fix=f"columns: {', '.join(layer.columns)}",
            )
        conditions.append(exp.Paren(this=tree))
    served = {c.name for c in grouping.spec.served_columns}
    reason_columns = list(dict.fromkeys(r.reason_column for r in rules))
    projection: list[exp.Expr] = []
    for name in layer.columns:
        if name in reason_columns:
            continue
        mine = [c for c, r in zip(conditions, rules, strict=True) if r.column == name]
        if mine:
            cond = exp.or_(*[c.copy() for c in mine]) if len(mine) > 1 else mine[0].copy()
            projection.append(
                exp.Case(ifs=[exp.If(this=cond, true=exp.null())], default=col(name)).as_(name, quoted=True)
            )
        else:
            projection.append(col(name))
    for reason_col in reason_columns:
        if reason_col not in served and reason_col not in layer.columns:
            continue
        ifs = [
            exp.If(this=c.copy(), true=exp.Literal.string(r.reason))
            for c, r in zip(conditions, rules, strict=True)
            if r.reason_column == reason_col
        ]
        default = col(reason_col) if reason_col in layer.columns else exp.cast(exp.null(), "VARCHAR")
        projection.append(exp.Case(ifs=ifs, default=default).as_(reason_col, quoted=True))
    columns = [c for c in layer.columns if c not in reason_columns] + [
        r for r in reason_columns if r in served or r in layer.columns
    ]
    return Layer(exp.select(*projection).from_(layer.source("nulled")), columns)


AS_OF = "as_of"


def served(grouping: Grouping, layer: Layer, as_of: datetime) -> Layer:
    """Exactly the served columns, in contract order: produced, policy parameter, or `as_of`."""
    projection: list[exp.Expr] = []
    policy = grouping.spec.policy
    for i, column in enumerate(grouping.spec.served_columns):
        name = column.name
        if name in layer.columns:
            projection.append(col(name))
        elif name in policy:
            projection.append(literal(policy[name]).as_(name, quoted=True))
        elif name == AS_OF:
            stamp = as_of.isoformat(sep=" ")
            projection.append(exp.cast(exp.Literal.string(stamp), "TIMESTAMPTZ").as_(name, quoted=True))
        else:
            raise ContractError(
                f"served column `{name}` of `{grouping.name}` is produced by nothing",
                location=grouping.locate(("served_columns", i, "name")),
                fix="return it from the composition SQL, derive it under rollup.derive, set it as a policy "
                f"parameter, or remove it. Produced: {', '.join(layer.columns)}",
            )
    names = [c.name for c in grouping.spec.served_columns]
    return Layer(exp.select(*projection).from_(layer.source("served")), names)


def _check_columns(grouping: Grouping, tree: exp.Expr, known: Sequence[str], path: tuple[str | int, ...]) -> None:
    unknown = sorted({c.name for c in tree.find_all(exp.Column) if not c.table and c.name not in known})
    if unknown:
        raise ContractError(
            f"`{grouping.name}` refers to unknown column(s) {', '.join(unknown)}",
            location=grouping.locate(path),
            fix=f"available here: {', '.join(known)}",
        )
