"""Mart sections: which materialized tables a section serves, nested how, filtered how.

A section's layout comes from canon.yml (`serve.sections`) or, by default, from the contracts
themselves: every contract with `mart.section: finance` is a grouping of section `finance`,
placed at the dotted path `mart.grouping` (`pnl.pnl_summary` nests under `pnl`), read from its
`served_by` relation (default `mart.<name>`), its period column and grain from `grain`, its
rollup level column from `rollup` (the served column enumerating the rollup hierarchy).

Filters: `period_from`/`period_to` are period labels of any grain, applied to each grouping
in its own grain (a week grouping filtered by months keeps the weeks starting in them);
`grain` selects a rollup level where a grouping stores several; `org_market` selects one
Organization × Market by the manifests' coordination key `org_market_id` (or, in a grouping
keyed by level, its finest-level rows with that key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlglot import exp

from canon.compiler.periods import Grain, Period, parse_period, truncate
from canon.contracts.model import Metric
from canon.contracts.spec import ServedColumn
from canon.engines import Engine
from canon.serve.config import ServeConfig
from canon.serve.encoding import encode_table, iso_utc
from canon.serve.errors import ApiError, bad_parameter
from canon.serve.warehouse.catalog import catalog_columns

ORG_MARKET_COLUMN = "org_market_id"  # the manifests' stable mart key for an Organization × Market pair
AS_OF_COLUMN = "as_of"


@dataclass(frozen=True)
class Grouping:
    path: tuple[str, ...]
    schema: str
    table: str
    period_column: str | None
    period_grain: Grain
    level_column: str | None = None
    key_column: str | None = None
    levels: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    served: tuple[ServedColumn, ...] = ()

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Section:
    name: str
    groupings: tuple[Grouping, ...]

    @property
    def levels(self) -> list[str]:
        return list(dict.fromkeys(level for g in self.groupings for level in g.levels))


def _relation(served_by: str | None, name: str) -> tuple[str, str]:
    if served_by and "." in served_by:
        schema, table = served_by.rsplit(".", 1)
        return schema.split(".")[-1], table
    return "mart", served_by or name


def grouping_from_contract(metric: Metric) -> Grouping:
    spec = metric.spec
    path = tuple((spec.mart.grouping if spec.mart and spec.mart.grouping else spec.name).split("."))
    schema, table = _relation(spec.served_by, spec.name)
    rollup = spec.rollup
    levels = tuple(rollup.hierarchy)
    level_column: str | None = getattr(rollup, "level_column", None)
    key_column: str | None = getattr(rollup, "key_column", None)
    if level_column is None and levels:
        # the served column whose enumerated values are exactly the rollup levels names each row's level
        for col in spec.served_columns:
            if col.enum and set(col.enum) == set(levels):
                level_column = col.name
                break
    if level_column is not None and key_column is None:
        others = [k for k in spec.grain.keys if k != level_column]
        key_column = others[0] if len(others) == 1 else None
    order = tuple(
        dict.fromkeys(
            c for c in (level_column, spec.grain.period_column, key_column, *spec.grain.keys) if c is not None
        )
    )
    return Grouping(
        path=path,
        schema=schema,
        table=table,
        period_column=spec.grain.period_column,
        period_grain=spec.grain.time,
        level_column=level_column,
        key_column=key_column,
        levels=levels if level_column else (),
        order=order,
        served=tuple(spec.served_columns),
    )


def resolve_sections(serve: ServeConfig | None, metrics: dict[str, Metric]) -> dict[str, Section]:
    found: dict[str, list[Grouping]] = {}
    for metric in metrics.values():
        if metric.spec.mart is not None:
            found.setdefault(metric.spec.mart.section, []).append(grouping_from_contract(metric))
    sections = {name: Section(name, tuple(sorted(gs, key=lambda g: g.path))) for name, gs in found.items()}
    for name, cfg in (serve.sections if serve else {}).items():
        groupings = []
        for dotted, g in cfg.groupings.items():
            order = tuple(c for c in (g.level_column, g.period_column, g.key_column) if c is not None)
            groupings.append(
                Grouping(
                    path=tuple(dotted.split(".")),
                    schema=cfg.schema_,
                    table=g.table,
                    period_column=g.period_column,
                    period_grain=g.period_grain,
                    level_column=g.level_column,
                    key_column=g.key_column,
                    order=order,
                )
            )
        sections[name] = Section(name, tuple(groupings))
    return sections


@dataclass(frozen=True)
class MartFilters:
    period_from: Period | None = None
    period_to: Period | None = None
    grain: str | None = None
    org_market: str | None = None

    def echo(self) -> dict[str, str | None]:
        return {
            "period_from": self.period_from.label if self.period_from else None,
            "period_to": self.period_to.label if self.period_to else None,
            "grain": self.grain,
            "org_market": self.org_market,
        }


PERIOD_FORMS = "2026-05, 2026-W05, 2026-Q2, 2026 or 2026-05-12"
LAST_DAY = date(9999, 1, 1)  # periods must end inside the calendar Python dates can hold


def request_period(text: str | None, parameter: str, grain: Grain | None = None) -> Period | None:
    """A period label from a request, in `grain` if given; out-of-calendar periods are a 400."""
    if not text:
        return None
    try:
        period = parse_period(text, grain)
        if period.start >= LAST_DAY:
            raise ValueError(f"`{text}` is past the last supported period (year 9998)")
    except (ValueError, OverflowError) as exc:
        raise bad_parameter(parameter, str(exc), accepted=PERIOD_FORMS) from None
    return period


def _period(text: str | None, parameter: str) -> Period | None:
    return request_period(text, parameter)


def parse_filters(
    section: Section, period_from: str | None, period_to: str | None, grain: str | None, org_market: str | None
) -> MartFilters:
    first, last = _period(period_from, "period_from"), _period(period_to, "period_to")
    if first and last and first.start > last.start:
        raise bad_parameter("period_to", f"empty range: period_from {first} is after period_to {last}")
    levels = section.levels
    if grain is not None and grain not in levels:
        raise bad_parameter(
            "grain",
            f"unknown grain `{grain}` for section `{section.name}`"
            if levels
            else f"section `{section.name}` has no rollup levels to choose from",
            accepted=levels,
        )
    if org_market is not None and grain is not None and levels and grain != levels[0]:
        raise bad_parameter(
            "grain",
            f"`org_market` selects {levels[0]} rows; it cannot be combined with grain `{grain}`",
            accepted=[levels[0]],
        )
    return MartFilters(first, last, grain, org_market or None)


def _label_range(g: Grouping, f: MartFilters) -> tuple[str | None, str | None, bool]:
    """Lowest and highest period labels of `g`'s grain inside the filter; False if none fit."""
    lo = hi = None
    grain = g.period_grain
    if f.period_from is not None:
        p = Period(truncate(f.period_from.start, grain), grain)
        if p.start < f.period_from.start:
            p = p.next()
        lo = _sortable(p.label)
    if f.period_to is not None:
        end = f.period_to.end
        q = Period(truncate(end, grain), grain)
        if q.start >= end:
            q = q.shift(-1)
        hi = _sortable(q.label)
    ok = lo is None or hi is None or lo <= hi
    return lo, hi, ok


def _sortable(label: str) -> str:
    """Labels compare as text only with a 4-digit year (year 300 → "0300-01", as stored)."""
    year, sep, rest = label.partition("-")
    return year.zfill(4) + sep + rest


def grouping_query(g: Grouping, columns: list[str], f: MartFilters) -> exp.Select:
    where: list[exp.Expr] = []
    if g.period_column and g.period_column in columns:
        lo, hi, ok = _label_range(g, f)
        if not ok:
            where.append(exp.false())
        if lo is not None:
            where.append(exp.GTE(this=exp.column(g.period_column), expression=exp.Literal.string(lo)))
        if hi is not None:
            where.append(exp.LTE(this=exp.column(g.period_column), expression=exp.Literal.string(hi)))
    if g.level_column and g.level_column in columns:
        level = f.grain or (g.levels[0] if f.org_market is not None and g.levels else None)
        if level is not None:
            where.append(exp.EQ(this=exp.column(g.level_column), expression=exp.Literal.string(level)))
        if f.org_market is not None and g.key_column in columns:
            where.append(exp.EQ(this=exp.column(g.key_column), expression=exp.Literal.string(f.org_market)))
    elif f.org_market is not None and ORG_MARKET_COLUMN in columns:
        where.append(exp.EQ(this=exp.column(ORG_MARKET_COLUMN), expression=exp.Literal.string(f.org_market)))
    query = exp.select(*[exp.column(c) for c in columns]).from_(exp.table_(g.table, db=g.schema))
    if where:
        query = query.where(exp.and_(*where))
    keys = [c for c in g.order if c in columns] + [c for c in columns if c not in g.order and c != AS_OF_COLUMN]
    return query.order_by(*[exp.column(c) for c in keys])


def _nest(target: dict[str, Any], path: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    node = target
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = rows


def read_section(
    engine: Engine, section: Section, f: MartFilters, columns: dict[str, list[str]]
) -> tuple[dict[str, Any], str | None, int]:
    """(nested groupings, as_of, total rows) of a section; `columns` maps table → its columns."""
    groupings: dict[str, Any] = {}
    total = 0
    latest: list[Any] = []
    for g in section.groupings:
        cols = columns[g.dotted]
        table = engine.execute(grouping_query(g, cols, f))
        rows = encode_table(table)
        total += len(rows)
        _nest(groupings, g.path, rows)
        if AS_OF_COLUMN in cols:
            latest.append(
                exp.select(exp.Max(this=exp.column(AS_OF_COLUMN)).as_("as_of")).from_(exp.table_(g.table, db=g.schema))
            )
    as_of = None
    if latest:
        union: exp.Select | exp.Union = latest[0]
        for q in latest[1:]:
            union = exp.union(union, q, distinct=False)
        values = [v for v in engine.execute(union).column("as_of").to_pylist() if v is not None]
        as_of = iso_utc(max(values)) if values else None
    return groupings, as_of, total


def section_columns(engine: Engine, section: Section) -> dict[str, list[str]]:
    """Each grouping's columns; a grouping whose table is missing means the mart is not built."""
    out: dict[str, list[str]] = {}
    missing = []
    for g in section.groupings:
        cols = [c[0] for c in catalog_columns(engine, g.schema, g.table)]
        if not cols:
            missing.append(f"{g.schema}.{g.table}")
        out[g.dotted] = cols
    if missing:
        raise ApiError(
            503,
            "mart_not_built",
            f"section `{section.name}` is not materialized: missing {', '.join(missing)}",
            accepted="run `canon mart build`, then retry",
        )
    return out
