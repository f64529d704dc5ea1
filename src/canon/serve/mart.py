"""Mart sections over HTTP: request filters in, nested groupings out.

Which rows and columns a grouping returns is decided by `canon.mart.model.read_grouping`, the
read path `canon mart show` uses too; this module only parses a request's filters, applies
them to every grouping of a section, nests the results as the contracts' `mart.grouping`
paths say (`pnl.pnl_summary` nests under `pnl`) and encodes them.

A section comes from the contracts (`mart.section`) or from canon.yml (`serve.sections`,
tables without contracts). Filters: `period_from`/`period_to` are period labels of any grain,
applied to each grouping in its own grain; `grain` reads every grouping that has that rollup
level at it (stored levels filtered, others rolled up by their contract), groupings without
levels are served whole; the coordination key (the contracts' `mart.key`, asked for as `key`
or by the name the section derives for it, e.g. `org_market`) selects one finest-level entity
in every grouping that declares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlglot import exp

from canon.compiler.periods import Grain, Period, parse_period
from canon.config.serve import ServeConfig
from canon.contracts.model import Metric
from canon.engines import Engine
from canon.errors import QueryError
from canon.mart.model import MartGrouping, MartSection, read_grouping, section_models
from canon.serve.encoding import encode_table, iso_utc
from canon.serve.errors import ApiError, bad_parameter
from canon.serve.warehouse.catalog import catalog_columns

AS_OF_COLUMN = "as_of"
KEY_PARAMETER = "key"  # the generic name of the coordination key filter, whatever a section calls it

Section = MartSection


def resolve_sections(serve: ServeConfig | None, metrics: dict[str, Metric]) -> dict[str, MartSection]:
    """Sections declared by contracts, then those configured in canon.yml (which win on a name clash)."""
    sections = section_models(metrics.values())
    for name, cfg in (serve.sections if serve else {}).items():
        groupings = tuple(
            MartGrouping(
                name=g.table,
                path=tuple(dotted.split(".")),
                schema=cfg.schema_,
                table=g.table,
                period_column=g.period_column,
                period_grain=g.period_grain,
                levels=tuple(g.levels) if g.level_column else (),
                level_column=g.level_column,
                level_key_column=g.key_column,
                key=cfg.key,
            )
            for dotted, g in cfg.groupings.items()
        )
        sections[name] = MartSection(name, groupings)
    return sections


def key_parameters(section: MartSection) -> list[str]:
    """Query parameters naming the coordination key: `key`, and the section's own name for it."""
    if section.key is None:
        return [KEY_PARAMETER]
    return list(dict.fromkeys([KEY_PARAMETER, section.key_name or section.key]))


@dataclass(frozen=True)
class MartFilters:
    period_from: Period | None = None
    period_to: Period | None = None
    grain: str | None = None
    key: str | None = None
    key_name: str = KEY_PARAMETER

    def echo(self) -> dict[str, str | None]:
        return {
            "period_from": self.period_from.label if self.period_from else None,
            "period_to": self.period_to.label if self.period_to else None,
            "grain": self.grain,
            self.key_name: self.key,
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


def parse_filters(
    section: MartSection,
    period_from: str | None,
    period_to: str | None,
    grain: str | None,
    keys: dict[str, str | None] | None = None,
) -> MartFilters:
    """The request's filters, checked against what the section's groupings accept (400 otherwise).

    `keys` maps each key parameter the request may use to its value; giving two that disagree
    is a 400, so `key=a&org_market=b` never silently picks one.
    """
    first = request_period(period_from, "period_from")
    last = request_period(period_to, "period_to")
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
    given = {name: value for name, value in (keys or {}).items() if value}
    key_name = section.key_name or KEY_PARAMETER
    if len(set(given.values())) > 1:
        raise bad_parameter(key_name, f"{' and '.join(sorted(given))} name different keys", accepted=[key_name])
    key = next(iter(given.values()), None)
    if key is not None and section.key is None:
        raise bad_parameter(
            next(iter(given)), f"section `{section.name}` declares no coordination key", accepted="no key filter"
        )
    if key is not None and grain is not None and levels and grain != levels[0]:
        raise bad_parameter(
            "grain",
            f"`{key_name}` selects {levels[0]} rows; it cannot be combined with grain `{grain}`",
            accepted=[levels[0]],
        )
    return MartFilters(first, last, grain, key, key_name)


def read_rows(engine: Engine, g: MartGrouping, f: MartFilters, columns: list[str]) -> list[dict[str, Any]]:
    """One grouping's rows for a section request, through the one mart read path."""
    try:
        table = read_grouping(
            engine,
            g,
            level=f.grain if f.grain in g.levels else None,
            key=f.key if g.key else None,
            period_from=f.period_from,
            period_to=f.period_to,
            columns=columns,
        )
    except QueryError as exc:
        raise bad_parameter(exc.location.parameter or "grain", exc.message, accepted=exc.fix) from None
    return encode_table(table)


def _nest(target: dict[str, Any], path: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    node = target
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = rows


def read_section(
    engine: Engine, section: MartSection, f: MartFilters, columns: dict[str, list[str]]
) -> tuple[dict[str, Any], str | None, int]:
    """(nested groupings, as_of, total rows) of a section; `columns` maps each grouping to its table's columns."""
    groupings: dict[str, Any] = {}
    total = 0
    latest: list[Any] = []
    for g in section.groupings:
        cols = columns[g.dotted]
        rows = read_rows(engine, g, f, cols)
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


def section_columns(engine: Engine, section: MartSection) -> dict[str, list[str]]:
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
