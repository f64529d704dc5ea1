"""`canon rollup build`: each declared rollup materialized beside its old table, then swapped in.

The new table is created as `<table>__canon_new` and renamed over the old one in one
transaction (where the engine has them), so a reader sees the previous rollup or the new one;
the state file is written after, atomically. The source's fingerprint is taken *before* the
table is built: a source that changes during the build makes the rollup stale at once, never
silently current.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlglot import exp

from canon.compiler.calendars import Calendar
from canon.compiler.joins import JoinGraph
from canon.compiler.periods import Grain, parse_period
from canon.compiler.relations import Relations
from canon.compiler.vector import VectorQuery, aggregate, base_rows
from canon.engines.base import Engine
from canon.engines.ddl import create_table_as, drop_table
from canon.errors import Location, QueryError
from canon.rollup.model import (
    PERIOD,
    VALUE,
    Rollup,
    RollupState,
    contract_file,
    fingerprint_of,
    fingerprint_query,
    write_state,
)


@dataclass(frozen=True)
class RollupBuild:
    """One rollup built: its table, rows and time."""

    name: str
    table: str
    grain: str
    dimensions: tuple[str, ...]
    rows: int
    seconds: float


def rollup_select(rollup: Rollup, graph: JoinGraph, relations: Relations, calendar: Calendar) -> exp.Select:
    """period_start, the kept dimensions and the unscaled aggregate, one row per period and dimensions."""
    spec = rollup.spec
    grain: Grain = spec.grain
    where = contract_file(rollup.metric)
    try:
        first = parse_period(spec.period_from, grain, calendar) if spec.period_from else None
        last = parse_period(spec.period_to, grain, calendar) if spec.period_to else None
    except ValueError as exc:
        raise QueryError(str(exc), location=Location(file=where, field="rollups.from")) from None
    metric = rollup.metric
    dims = rollup.dimensions()
    vq = VectorQuery(metric.decisions, VALUE, grain, dims, None, first, last, metric.joins())
    try:
        rows = base_rows(vq, graph, relations)
    except QueryError as exc:
        raise QueryError(
            f"rollup `{rollup.name}`: {exc.message}",
            location=Location(file=where, field="rollups"),
            fix="give the rollup `from:` and `to:` periods",
        ) from None
    value = aggregate(metric.decisions.measure, rows.measure(metric.decisions.measure))
    columns = [rows.qualify(d.column).as_(d.name, copy=False) for d in dims]
    query = rows.select(rows.period.as_(PERIOD, copy=False), *columns, value.as_(VALUE, copy=False), copy=False)
    return query.group_by(*[exp.Literal.number(i + 1) for i in range(1 + len(dims))], copy=False)


def build_rollups(
    rollups: list[Rollup],
    engine: Engine,
    graph: JoinGraph,
    relations: Relations,
    calendar: Calendar,
    root: Path,
) -> list[RollupBuild]:
    out = []
    for rollup in rollups:
        t0 = time.perf_counter()
        select = rollup_select(rollup, graph, relations, calendar)
        before = fingerprint_of(engine.execute(fingerprint_query(rollup, relations)).to_pylist()[0])
        table = exp.table_(rollup.table)
        fresh = exp.table_(rollup.table + "__canon_new")
        rename = exp.Alter(this=fresh.copy(), kind="TABLE", actions=[exp.AlterRename(this=table.copy())])
        engine.run([drop_table(fresh), create_table_as(fresh, select), drop_table(table), rename])
        stats = engine.execute(
            exp.select(
                exp.Count(this=exp.Star()).as_("n"),
                exp.cast(exp.Min(this=exp.column(PERIOD)), exp.DataType.build("TEXT")).as_("first"),
                exp.cast(exp.Max(this=exp.column(PERIOD)), exp.DataType.build("TEXT")).as_("last"),
            ).from_(table.copy())
        ).to_pylist()[0]
        spec = rollup.spec
        state = RollupState(
            name=rollup.name,
            table=rollup.table,
            metric=rollup.metric.name,
            definition_hash=rollup.metric.definition_hash(),
            grain=spec.grain,
            dimensions=list(spec.dimensions),
            period_from=spec.period_from,
            period_to=spec.period_to,
            engine=engine.name,
            schema=engine.default_schema,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            rows=int(stats["n"]),
            first_start=str(stats["first"])[:10] if stats["first"] is not None else None,
            last_start=str(stats["last"])[:10] if stats["last"] is not None else None,
            fingerprint=before,
        )
        write_state(root, state)
        out.append(
            RollupBuild(
                rollup.name, rollup.table, spec.grain, tuple(spec.dimensions), state.rows, time.perf_counter() - t0
            )
        )
    return out
