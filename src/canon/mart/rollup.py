"""Rollups across a hierarchy, generated from the contract's `rollup:` block for any grouping.

Rules: `sum` (strict: NULL when any part is NULL, an unknown part makes the total unknown) and
`weighted_mean` (exact integer rounding of Σ v·w / Σ w over rows whose value is known and whose
weight is positive). Rows may sit at any level of the hierarchy ("contributions"): a level's
row is the sum over every contribution at that level or finer within its subtree, which lets a
composition hold amounts that belong to a coarse level only (structurally unallocated OPEX).
"""

from __future__ import annotations

from sqlglot import exp

from canon.compiler.trees import join
from canon.contracts.spec import Rollup
from canon.errors import ContractError
from canon.mart.contracts import Grouping
from canon.mart.intmath import round_div, strict_sum, wide
from canon.mart.layers import Layer, col


def _rollup(grouping: Grouping) -> Rollup:
    r = grouping.spec.rollup
    problem = None
    if r.rule == "none":
        problem = "its rollup rule is `none`"
    elif not r.hierarchy or not r.keys or not r.mapping:
        problem = "its rollup block lacks `hierarchy`, `keys` or `mapping`"
    if problem:
        raise ContractError(
            f"`{grouping.name}` cannot be rolled up: {problem}",
            location=grouping.locate(("rollup",)),
            fix="declare rollup: {rule, hierarchy, keys, mapping, by, columns}",
        )
    return r


def measure_columns(r: Rollup) -> list[str]:
    return list(dict.fromkeys([*r.columns, *r.sum_columns]))


def _aggregates(r: Rollup) -> list[exp.Expr]:
    out: list[exp.Expr] = []
    for name in measure_columns(r):
        if r.rule == "weighted_mean" and name in r.columns:
            assert r.weight is not None
            v, w = col(name), col(r.weight)
            usable = exp.and_(
                exp.Not(this=exp.Is(this=v.copy(), expression=exp.null())),
                exp.GT(this=w.copy(), expression=exp.Literal.number(0)),
            )
            num = exp.Sum(this=exp.Case(ifs=[exp.If(this=usable, true=exp.Mul(this=wide(v), expression=wide(w)))]))
            den = exp.Sum(this=exp.Case(ifs=[exp.If(this=usable.copy(), true=wide(w.copy()))]))
            out.append(round_div(num, den).as_(name, quoted=True))
        else:
            out.append(strict_sum(col(name)).as_(name, quoted=True))
    return out


def _mapping(r: Rollup, src: str, dst: str) -> exp.Subquery:
    assert r.mapping is not None
    schema, _, table = r.mapping.rpartition(".")
    pairs = (
        exp.select(col(r.keys[src]).as_("src_key", quoted=True), col(r.keys[dst]).as_("dst_key", quoted=True))
        .from_(exp.table_(table, db=schema or None, quoted=True))
        .distinct()
    )
    return exp.Subquery(this=pairs, alias=exp.TableAlias(this=exp.to_identifier("m")))


def materialize_levels(grouping: Grouping, contributions: Layer) -> Layer:
    """Every level of the hierarchy as rows tagged `level_column`/`key_column` (sum of contributions)."""
    r = _rollup(grouping)
    assert r.level_column is not None and r.key_column is not None
    measures = measure_columns(r)
    needed = [r.level_column, r.key_column, *r.by, *measures]
    missing = [c for c in needed if c not in contributions.columns]
    if missing:
        raise ContractError(
            f"the composition of `{grouping.name}` does not return {', '.join(missing)}, which its rollup needs",
            location=grouping.locate(("composition", "sql")),
        )
    levels: list[exp.Select] = []
    for t, target in enumerate(r.hierarchy):
        parts: list[exp.Query] = []
        for source in r.hierarchy[: t + 1]:
            c = contributions.source("c")
            key: exp.Expr = col(r.key_column, "c")
            q = exp.select(
                exp.Literal.string(target).as_(r.level_column, quoted=True),
                (col("dst_key", "m") if source != target else key).as_(r.key_column, quoted=True),
                *[col(b, "c").as_(b, quoted=True) for b in r.by],
                *[col(m, "c").as_(m, quoted=True) for m in measures],
            ).from_(c)
            if source != target:
                join(q, _mapping(r, source, target), exp.EQ(this=col("src_key", "m"), expression=key.copy()), "left")
            parts.append(q.where(exp.EQ(this=col(r.level_column, "c"), expression=exp.Literal.string(source))))
        union = parts[0]
        for p in parts[1:]:
            union = exp.union(union, p, distinct=False)
        group = [r.level_column, r.key_column, *r.by]
        agg = (
            exp.select(*[col(g) for g in group], *_aggregates(r))
            .from_(exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("u"))))
            .group_by(*[col(g) for g in group])
        )
        levels.append(agg)
    out: exp.Query = levels[0]
    for q in levels[1:]:
        out = exp.union(out, q, distinct=False)
    return Layer(
        exp.select("*").from_(exp.Subquery(this=out, alias=exp.TableAlias(this=exp.to_identifier("lv")))),
        [r.level_column, r.key_column, *r.by, *measures],
    )


def rollup_served(grouping: Grouping, table: exp.Table, level: str) -> Layer:
    """Roll a served (finest-level) table up to `level`: one row per level key and `by` columns."""
    r = _rollup(grouping)
    if level not in r.hierarchy:
        raise ContractError(
            f"`{grouping.name}` has no rollup level `{level}`",
            location=grouping.locate(("rollup", "hierarchy")),
            fix=f"levels: {', '.join(r.hierarchy)}",
        )
    finest = r.hierarchy[0]
    key_name = r.keys[level]
    src = exp.Subquery(this=exp.select("*").from_(table.copy()), alias=exp.TableAlias(this=exp.to_identifier("s")))
    key: exp.Expr = col(r.keys[finest])
    base = exp.select(
        *(
            [col("dst_key", "m").as_(key_name, quoted=True)]
            if level != finest
            else [col(key_name).as_(key_name, quoted=True)]
        ),
        *[col(b, "s").as_(b, quoted=True) for b in r.by],
        *[col(m, "s").as_(m, quoted=True) for m in measure_columns(r)],
    ).from_(src)
    if level != finest:
        join(base, _mapping(r, finest, level), exp.EQ(this=col("src_key", "m"), expression=col(key.name, "s")), "left")
    group = [key_name, *r.by]
    agg = (
        exp.select(*[col(g) for g in group], *_aggregates(r))
        .from_(exp.Subquery(this=base, alias=exp.TableAlias(this=exp.to_identifier("b"))))
        .group_by(*[col(g) for g in group])
    )
    return Layer(agg, [*group, *measure_columns(r)])
