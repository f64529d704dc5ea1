"""Read a served grouping, filtered, at its own grain or rolled up a hierarchy level.

Rollups of groupings that store only their finest level are computed here from the contract's
rollup block (the same generic code the build uses), so every consumer gets the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa
from sqlglot import exp

from canon.contracts.model import Metric
from canon.contracts.spec import ContractSpec
from canon.engines import Engine
from canon.errors import Location, QueryError, hint_or_list
from canon.mart.build import table_exists
from canon.mart.contracts import Grouping, as_groupings
from canon.mart.intmath import portable
from canon.mart.layers import Layer, col, derive, null_rules
from canon.mart.resolve import Resolver, literal
from canon.mart.rollup import rollup_served

Filters = Mapping[str, Any]


def _find(contracts: Iterable[Metric | ContractSpec] | None, name: str) -> Grouping | None:
    if contracts is None:
        return None
    for g in as_groupings(contracts):
        if g.name == name:
            return g
    return None


def _condition(column: str, value: Any) -> exp.Expr:
    c = col(column)
    if isinstance(value, (list, tuple, set)):
        return exp.In(this=c, expressions=[literal(v) for v in value])
    if value is None:
        return exp.Is(this=c, expression=exp.null())
    return exp.EQ(this=c, expression=literal(value))


def _rolled(engine: Engine, grouping: Grouping, table: exp.Table, level: str, schema: str) -> Layer:
    layer = rollup_served(grouping, table, level)
    comp = grouping.composition
    available = {s: table_exists(engine, s) for s in [*comp.sources, *comp.optional_sources]}
    resolver = Resolver(grouping, available=available, staged={}, mart_schema=schema)
    layer = null_rules(grouping, derive(grouping, layer, resolver), resolver)
    extra: list[exp.Expr] = []
    for name, value in grouping.spec.policy.items():
        if any(c.name == name for c in grouping.spec.served_columns):
            extra.append(literal(value).as_(name, quoted=True))
    if any(c.name == "as_of" for c in grouping.spec.served_columns):
        extra.append(
            exp.Subquery(this=exp.select(exp.Max(this=col("as_of"))).from_(table.copy())).as_("as_of", quoted=True)
        )
    if not extra:
        return layer
    query = exp.select(*[col(c) for c in layer.columns], *extra).from_(layer.source("r"))
    return Layer(query, [*layer.columns, *[e.alias for e in extra]])


def read_grouping(
    engine: Engine,
    name: str,
    *,
    filters: Filters | None = None,
    level: str | None = None,
    contracts: Iterable[Metric | ContractSpec] | None = None,
    schema: str = "mart",
    order_by: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> pa.Table:
    """Rows of `schema.name`; `filters` are equalities (a list means IN), `level` a rollup level.

    For `level`, pass the section's `contracts`: a grouping that stores every level (pnl_summary)
    is filtered on its level column, any other is rolled up by its contract's rule.
    """
    table = exp.table_(name, db=schema)
    existing = engine.columns(name, schema)
    if not existing:
        raise QueryError(f"the mart has no grouping `{name}`", fix="run `canon mart build` first")
    grouping = _find(contracts, name)
    where: list[exp.Expr] = []
    if level is not None:
        if grouping is None:
            raise QueryError(f"reading `{name}` at level `{level}` needs its contract", fix="pass contracts=...")
        r = grouping.spec.rollup
        if r.level_column:
            if level not in r.hierarchy:
                raise QueryError(
                    f"`{name}` has no level `{level}`",
                    location=Location(parameter="--level"),
                    fix=hint_or_list(level, r.hierarchy),
                )
            where.append(_condition(r.level_column, level))
            layer = Layer(exp.select(*[col(c) for c in existing]).from_(table), list(existing))
        elif r.hierarchy and level == r.hierarchy[0]:
            layer = Layer(exp.select(*[col(c) for c in existing]).from_(table), list(existing))
        else:
            layer = _rolled(engine, grouping, table, level, schema)
    else:
        layer = Layer(exp.select(*[col(c) for c in existing]).from_(table), list(existing))
    for column, value in (filters or {}).items():
        if column not in layer.columns:
            raise QueryError(
                f"cannot filter `{name}` on `{column}`",
                fix=hint_or_list(column, layer.columns, "columns"),
            )
        where.append(_condition(column, value))
    query = exp.select(*[col(c) for c in layer.columns]).from_(layer.source("g"))
    if where:
        query = query.where(exp.and_(*where))
    keys = list(order_by or _default_order(grouping, layer.columns))
    if keys:
        query = query.order_by(*[col(k) for k in keys])
    if limit is not None:
        query = query.limit(limit)
    if offset is not None:
        query = query.offset(offset)
    return engine.execute(portable(query, engine.dialect))  # type: ignore[arg-type]


def _default_order(grouping: Grouping | None, columns: list[str]) -> list[str]:
    if grouping is None:
        return columns[:3]
    g = grouping.spec.grain
    r = grouping.spec.rollup
    wanted = [
        *([r.level_column] if r.level_column else []),
        *([r.key_column] if r.key_column else []),
        *[k for k in r.keys.values()],
        *([g.period_column] if g.period_column else []),
        *r.by,
        *g.keys,
    ]
    return [c for c in dict.fromkeys(wanted) if c in columns]
