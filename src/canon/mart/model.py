"""One model of the served mart, read alike by `canon mart show` and the HTTP API.

From a section's contracts a `MartGrouping` knows where a grouping is served (schema, table,
dotted path in its section), its period column and grain, the rollup levels it can be read
at and how a level is identified (a level column when the table stores every level, the
contract's rollup rule otherwise), its coordination key (`mart.key`) and its served columns.
`read_grouping` is the one function that decides which rows and columns come back for a
grouping, a level, a key, a period range and column filters; `serve/` only nests and encodes
what it returns. "Every consumer gets the same numbers" then holds by construction instead of
by two readers happening to agree.

Rollups of groupings that store only their finest level are computed here from the contract's
rollup block, with the same generic code the build uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlglot import exp

from canon.compiler.periods import Grain, Period, truncate
from canon.contracts.model import Metric
from canon.contracts.spec import ContractSpec, ServedColumn
from canon.engines import Engine
from canon.errors import ContractError, Location, QueryError, hint_or_list
from canon.mart.build import table_exists
from canon.mart.contracts import Grouping, as_groupings
from canon.mart.intmath import portable
from canon.mart.layers import AS_OF, Layer, derive, null_rules
from canon.mart.publish import CANONICAL
from canon.mart.resolve import Resolver
from canon.mart.rollup import rollup_served
from canon.sqltree import col, literal

Filters = Mapping[str, Any]
DEFAULT_SCHEMA = "mart"


@dataclass(frozen=True)
class MartGrouping:
    """What a consumer may ask of one served grouping, and where its rows live."""

    name: str
    path: tuple[str, ...]
    schema: str
    table: str
    period_column: str | None = None
    period_grain: Grain = "month"
    levels: tuple[str, ...] = ()  # finest first; empty: the grouping has one level
    level_column: str | None = None  # set when the table stores every level, one row per level key
    level_key_column: str | None = None  # the key of the row's level, beside `level_column`
    level_keys: tuple[str, ...] = ()  # the key column of each level, aligned with `levels`
    key: str | None = None  # the coordination key (`mart.key`): one entity at the finest level
    grain_keys: tuple[str, ...] = ()
    served: tuple[ServedColumn, ...] = ()
    contract: Grouping | None = field(default=None, compare=False, repr=False)

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def stores_levels(self) -> bool:
        return self.level_column is not None

    @property
    def finest(self) -> str | None:
        return self.levels[0] if self.levels else None

    def order(self) -> tuple[str, ...]:
        """The leading sort columns; every other column follows, so the order is total."""
        keyed = [self.level_column, self.level_key_column, *self.level_keys, self.key, self.period_column]
        return tuple(dict.fromkeys(c for c in [*keyed, *self.grain_keys] if c is not None))

    def key_name(self) -> str | None:
        """What consumers call the key: the level it identifies (`org_market`), else its column."""
        if self.key is None:
            return None
        for level, column in zip(self.levels, self.level_keys, strict=False):
            if column == self.key:
                return level
        return self.key


@dataclass(frozen=True)
class MartSection:
    """The groupings of one section and what they share: levels and the coordination key."""

    name: str
    groupings: tuple[MartGrouping, ...]

    @property
    def levels(self) -> list[str]:
        return list(dict.fromkeys(level for g in self.groupings for level in g.levels))

    @property
    def key(self) -> str | None:
        return next((g.key for g in self.groupings if g.key), None)

    @property
    def key_name(self) -> str | None:
        return next((g.key_name() for g in self.groupings if g.key_name() not in (None, g.key)), self.key)

    def grouping(self, name: str) -> MartGrouping:
        for g in self.groupings:
            if name in (g.name, g.dotted):
                return g
        raise QueryError(
            f"section `{self.name}` has no grouping `{name}`",
            location=Location(parameter="grouping"),
            fix=hint_or_list(name, [g.name for g in self.groupings]),
        )


def _relation(served_by: str | None, name: str) -> tuple[str, str]:
    if served_by and "." in served_by:
        schema, table = served_by.rsplit(".", 1)
        return schema.split(".")[-1], table
    return DEFAULT_SCHEMA, served_by or name


def grouping_model(contract: Metric | ContractSpec | Grouping) -> MartGrouping:
    """The served shape of one contract; a `mart.key` the grouping cannot filter on is an error."""
    g = contract if isinstance(contract, Grouping) else as_groupings([contract])[0]
    spec = g.spec
    r = spec.rollup
    schema, table = _relation(spec.served_by, spec.name)
    stores = r.level_column is not None
    rollable = r.rule != "none" and bool(r.hierarchy) and bool(r.keys) and bool(r.mapping)
    levels = tuple(r.hierarchy) if stores or rollable else ()
    key = spec.mart.key if spec.mart else None
    served_names = [c.name for c in spec.served_columns]
    if key is not None and served_names and key not in served_names and key not in r.keys.values():
        raise ContractError(
            f"`{spec.name}` declares coordination key `{key}`, which is neither a served column nor a rollup key",
            location=g.locate(("mart", "key")),
            fix=hint_or_list(key, [*served_names, *r.keys.values()], "columns"),
        )
    return MartGrouping(
        name=spec.name,
        path=g.path,
        schema=schema,
        table=table,
        period_column=spec.grain.period_column,
        period_grain=spec.grain.time,
        levels=levels,
        level_column=r.level_column,
        level_key_column=r.key_column,
        level_keys=tuple(r.keys.get(level, "") for level in levels) if r.keys else (),
        key=key,
        grain_keys=tuple(spec.grain.keys),
        served=tuple(spec.served_columns),
        contract=g,
    )


def section_models(contracts: Iterable[Metric | ContractSpec]) -> dict[str, MartSection]:
    """Every section the contracts declare (`mart.section`), its groupings sorted by path.

    Groupings of one section must agree on the coordination key: a consumer filters a whole
    section by it, so two keys would make one filter mean two things.
    """
    found: dict[str, list[tuple[Grouping, MartGrouping]]] = {}
    for g in as_groupings(contracts):
        if g.spec.mart is not None:
            found.setdefault(g.spec.mart.section, []).append((g, grouping_model(g)))
    sections: dict[str, MartSection] = {}
    for name, pairs in sorted(found.items()):
        keys = {m.key for _, m in pairs if m.key}
        if len(keys) > 1:
            first = next(g for g, m in pairs if m.key)
            raise ContractError(
                f"section `{name}` declares different coordination keys: {', '.join(sorted(keys))}",
                location=first.locate(("mart", "key")),
                fix="declare one `mart.key` for every grouping of the section",
            )
        sections[name] = MartSection(name, tuple(sorted((m for _, m in pairs), key=lambda m: m.path)))
    return sections


def find_grouping(
    name: str, contracts: Iterable[Metric | ContractSpec] | None, schema: str = DEFAULT_SCHEMA
) -> MartGrouping:
    """The grouping `name` among `contracts`; without contracts, a bare table read as stored."""
    if contracts is None:
        return MartGrouping(name=name, path=(name,), schema=schema, table=name)
    groupings = as_groupings(contracts)
    for g in groupings:
        if g.name == name:
            return grouping_model(g)
    raise QueryError(
        f"no grouping `{name}` among the section's contracts",
        location=Location(parameter="grouping"),
        fix=hint_or_list(name, [g.name for g in groupings]),
    )


# -- reading --------------------------------------------------------------------------------


def _condition(column: str, value: Any) -> exp.Expr:
    c = col(column)
    if isinstance(value, (list, tuple, set)):
        return exp.In(this=c, expressions=[literal(v) for v in value])
    if value is None:
        return exp.Is(this=c, expression=exp.null())
    return exp.EQ(this=c, expression=literal(value))


def _rolled(engine: Engine | None, g: MartGrouping, table: exp.Table, level: str) -> Layer:
    """`level` rows of a grouping that stores only its finest level, rolled up by its contract."""
    grouping = g.contract
    assert grouping is not None
    layer = rollup_served(grouping, table, level)
    comp = grouping.composition
    sources = [*comp.sources, *comp.optional_sources]
    # without an engine (columns only) every source counts as present: availability changes values, not columns
    available = {s: engine is None or table_exists(engine, s) for s in sources}
    resolver = Resolver(grouping, available=available, staged={}, mart_schema=g.schema)
    layer = null_rules(grouping, derive(grouping, layer, resolver), resolver)
    extra: list[exp.Expr] = []
    served = {c.name: c.type for c in g.served}
    for name, value in grouping.spec.policy.items():
        if name in served:
            extra.append(literal(value).as_(name, quoted=True))
    if AS_OF in served:
        extra.append(
            exp.Subquery(this=exp.select(exp.Max(this=col(AS_OF))).from_(table.copy())).as_(AS_OF, quoted=True)
        )
    # rolled-up columns get the published types (sums of BIGINT come back 128-bit): integer cents stay integers
    typed = [
        exp.cast(col(c), exp.DataType.build(CANONICAL[served[c]], dialect="duckdb")).as_(c, quoted=True)
        if c in served
        else col(c)
        for c in layer.columns
    ]
    query = exp.select(*typed, *extra).from_(layer.source("r"))
    return Layer(query, [*layer.columns, *[e.alias for e in extra]])


def level_columns(g: MartGrouping, level: str | None) -> list[str]:
    """The columns `read_grouping` returns for `level`, known without touching the warehouse."""
    if level is None or level == g.finest or g.stores_levels or g.contract is None:
        return [c.name for c in g.served]
    return _rolled(None, g, exp.table_(g.table, db=g.schema), level).columns


def _check_level(g: MartGrouping, level: str) -> None:
    if level not in g.levels:
        raise QueryError(
            f"`{g.name}` has no level `{level}`" + ("" if g.levels else " (it is served at one level only)"),
            location=Location(parameter="level"),
            fix=hint_or_list(level, g.levels),
        )


def period_bounds(g: MartGrouping, first: Period | None, last: Period | None) -> tuple[str | None, str | None, bool]:
    """Lowest and highest period labels of `g`'s grain inside [first, last]; False if none fit.

    A range given in another grain applies in the grouping's own grain: a week grouping
    filtered by months keeps the weeks that start in them. A fiscal grouping (`FY2026-Q3`
    labels) is bounded in the calendar the asked periods carry (the project's).
    """
    lo = hi = None
    grain = g.period_grain
    # a fiscal grouping's labels are the project's calendar's, which the asked periods carry
    calendar = next((p.calendar for p in (first, last) if p is not None and p.calendar is not None), None)
    if first is not None:
        p = Period(truncate(first.start, grain, calendar), grain, calendar)
        if p.start < first.start:
            p = p.next()
        lo = _sortable(p.label)
    if last is not None:
        end = last.end
        q = Period(truncate(end, grain, calendar), grain, calendar)
        if q.start >= end:
            q = q.shift(-1)
        hi = _sortable(q.label)
    return lo, hi, lo is None or hi is None or lo <= hi


def _sortable(label: str) -> str:
    """Labels compare as text only with a 4-digit year (year 300 → "0300-01", as stored)."""
    year, sep, rest = label.partition("-")
    return year.zfill(4) + sep + rest


def read_grouping(
    engine: Engine,
    grouping: MartGrouping | str,
    *,
    contracts: Iterable[Metric | ContractSpec] | None = None,
    level: str | None = None,
    key: str | None = None,
    period_from: Period | None = None,
    period_to: Period | None = None,
    filters: Filters | None = None,
    schema: str = DEFAULT_SCHEMA,
    columns: Sequence[str] | None = None,
    order_by: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> pa.Table:
    """Rows of one grouping: at `level`, for coordination `key`, in a period range, filtered.

    `grouping` is a `MartGrouping` (from `section_models`/`find_grouping`) or a contract name
    looked up in `contracts` (without contracts the table is read as stored, no levels).
    A grouping that stores every level is filtered on its level column; any other is rolled up
    by its contract's rule. `key` selects one finest-level entity (so it rules out coarser
    levels); `filters` are column equalities (a list means IN) on the returned columns.
    `columns` are the table's columns when the caller already knows them (saves a catalog
    query per read). Rows come in a total order: level, keys, period, then every other column.
    """
    g = grouping if isinstance(grouping, MartGrouping) else find_grouping(grouping, contracts, schema)
    # the ask is checked against the contract before the warehouse is touched
    if level is not None:
        _check_level(g, level)
    if key is not None:
        if g.key is None:
            raise QueryError(
                f"`{g.name}` declares no coordination key to select by",
                location=Location(parameter="key"),
                fix="declare `mart: {key: <column>}` in its contract, or filter on a column instead",
            )
        if level is not None and level != g.finest:
            raise QueryError(
                f"a key selects {g.finest} rows; it cannot be combined with level `{level}`",
                location=Location(parameter="level"),
                fix=f"drop the level, or ask for level `{g.finest}`",
            )
        level = g.finest if g.stores_levels else level
    table = exp.table_(g.table, db=g.schema)
    existing = list(columns) if columns is not None else list(engine.columns(g.table, g.schema))
    if not existing:
        raise QueryError(
            f"the mart has no grouping `{g.name}` ({g.schema}.{g.table})", fix="run `canon mart build` first"
        )
    stored = Layer(exp.select(*[col(c) for c in existing]).from_(table), existing)
    where: list[exp.Expr] = []
    if level is None or (level == g.finest and not g.stores_levels):
        layer = stored
    elif g.stores_levels:
        assert g.level_column is not None
        layer = stored
        where.append(_condition(g.level_column, level))
    else:
        layer = _rolled(engine, g, table, level)
    if key is not None:
        assert g.key is not None
        key_column = g.level_key_column if g.stores_levels else g.key
        if key_column not in layer.columns:
            raise QueryError(f"`{g.name}` has no column `{key_column}` to select the key by")
        where.append(_condition(key_column, key))
    if g.period_column and g.period_column in layer.columns and (period_from or period_to):
        lo, hi, ok = period_bounds(g, period_from, period_to)
        if not ok:
            where.append(exp.false())
        if lo is not None:
            where.append(exp.GTE(this=col(g.period_column), expression=exp.Literal.string(lo)))
        if hi is not None:
            where.append(exp.LTE(this=col(g.period_column), expression=exp.Literal.string(hi)))
    for column, value in (filters or {}).items():
        if column not in layer.columns:
            raise QueryError(
                f"cannot filter `{g.name}` on `{column}`",
                location=Location(parameter="where"),
                fix=hint_or_list(column, layer.columns, "columns"),
            )
        where.append(_condition(column, value))
    query = exp.select(*[col(c) for c in layer.columns]).from_(layer.source("g"))
    if where:
        query = query.where(exp.and_(*where))
    keys = list(order_by) if order_by is not None else _total_order(g, layer.columns)
    if keys:
        query = query.order_by(*[col(k) for k in keys])
    if limit is not None:
        query = query.limit(limit)
    if offset is not None:
        query = query.offset(offset)
    return engine.execute(portable(query, engine))  # type: ignore[arg-type]


def _total_order(g: MartGrouping, columns: list[str]) -> list[str]:
    lead = [c for c in g.order() if c in columns]
    return [*lead, *[c for c in columns if c not in lead and c != AS_OF]]
