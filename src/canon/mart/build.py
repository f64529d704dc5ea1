"""`build_mart`: materialize every grouping of a section, validate, then swap in atomically."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlglot import exp

from canon.contracts.model import Metric
from canon.contracts.spec import ContractSpec
from canon.engines import Engine
from canon.engines.ddl import create_table_as
from canon.engines.locks import exclusive
from canon.errors import UserError
from canon.mart.contracts import Grouping, as_groupings, build_order, mart_references
from canon.mart.intmath import portable
from canon.mart.layers import Layer, col, derive, null_rules, served
from canon.mart.publish import Published, drop_staging, publish, reset_staging, staging_schema
from canon.mart.report import GroupingReport, MartReport, MartValidationError
from canon.mart.resolve import Resolver, output_columns
from canon.mart.rollup import materialize_levels
from canon.mart.validate import Violation, validate

Progress = Callable[[str], None]


def table_exists(engine: Engine, qualified: str) -> bool:
    schema, _, table = qualified.rpartition(".")
    return bool(engine.columns(table, schema or None))


def availability(engine: Engine, grouping: Grouping, staged: Iterable[str], schema: str) -> dict[str, bool]:
    """Which declared sources exist; a missing required one is an error naming the contract line."""
    comp = grouping.composition
    staged_set = set(staged)
    out: dict[str, bool] = {}
    missing: list[tuple[str, tuple[str | int, ...]]] = []
    for i, source in enumerate(comp.sources):
        db, _, name = source.rpartition(".")
        out[source] = (db == schema and name in staged_set) or table_exists(engine, source)
        if not out[source]:
            missing.append((source, ("composition", "sources", i)))
    for source in comp.optional_sources:
        out[source] = table_exists(engine, source)
    mapping = grouping.spec.rollup.mapping
    if mapping and grouping.spec.rollup.level_column and not table_exists(engine, mapping):
        missing.append((mapping, ("rollup", "mapping")))
    if missing:
        raise UserError(
            f"grouping `{grouping.name}` reads {', '.join(m for m, _ in missing)}, which the warehouse does not have",
            location=grouping.locate(missing[0][1]),
            fix="load the silver layer first (e.g. `canon init --example lessons DIR`), or list a feed that may be "
            "absent under composition.optional_sources with its columns",
        )
    return out


@dataclass(frozen=True)
class Plan:
    """One grouping's statements, fully resolved before anything is written."""

    grouping: Grouping
    composition: exp.Expr  # staged first, as `<name>__composition`
    contributions: exp.Table
    served: Layer
    target: exp.Table
    reads: frozenset[str]
    unavailable: tuple[str, ...]


def plan_grouping(
    engine: Engine, grouping: Grouping, staged: dict[str, exp.Table], schema: str, staging: str, as_of: datetime
) -> Plan:
    """Resolve the composition, then layer rollup levels, derived columns and null rules on its rows."""
    available = availability(engine, grouping, staged, schema)
    resolver = Resolver(grouping, available=available, staged=staged, mart_schema=schema)
    path = ("composition", "sql")
    tree = resolver.fragment(grouping.composition.sql, path)
    columns = output_columns(grouping, tree, path)
    contributions = exp.table_(f"{grouping.name}__composition", db=staging)
    layer = Layer(exp.select(*[col(c) for c in columns]).from_(contributions), columns)
    if grouping.spec.rollup.level_column:
        layer = materialize_levels(grouping, layer)
    layer = derive(grouping, layer, resolver)
    layer = null_rules(grouping, layer, resolver)
    return Plan(
        grouping,
        tree,
        contributions,
        served(grouping, layer, as_of),
        exp.table_(grouping.name, db=staging),
        frozenset(mart_references(grouping, tree, staging)),
        tuple(s for s, ok in available.items() if not ok),
    )


def build_mart(
    engine: Engine,
    contracts: Iterable[Metric | ContractSpec],
    *,
    section: str | None = None,
    schema: str = "mart",
    as_of: datetime | None = None,
    progress: Progress | None = None,
) -> MartReport:
    """Build every grouping aside, validate all of them, then replace the served tables in one transaction.

    Raises MartValidationError (exit 1) listing each broken rule when any staged grouping breaks
    its contract; the previously served tables are then untouched.
    """
    say = progress or (lambda _m: None)
    groupings = build_order(as_groupings(contracts), schema)
    stamp = (as_of or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    report = MartReport(uuid.uuid4().hex[:12], engine.name, schema, section, stamp)
    staging = staging_schema(schema)
    started = time.perf_counter()
    # every contract is resolved before the warehouse is touched: a contract mistake writes nothing
    staged = {g.name: exp.table_(g.name, db=staging) for g in groupings}
    plans = [plan_grouping(engine, g, staged, schema, staging, stamp) for g in groupings]
    with exclusive(engine, f"mart:{schema}", f"a mart build into schema `{schema}`"):
        _build_staged(engine, plans, report, schema, staging, section, stamp, say)
    report.seconds = time.perf_counter() - started
    return report


def _build_staged(
    engine: Engine,
    plans: list[Plan],
    report: MartReport,
    schema: str,
    staging: str,
    section: str | None,
    stamp: datetime,
    say: Callable[[str], None],
) -> None:
    """Build and validate every grouping in `staging`, then publish them all or none."""
    reset_staging(engine, staging)
    try:
        items: list[Published] = []
        violations: list[Violation] = []
        for p in plans:
            t0 = time.perf_counter()
            say(f"building {p.grouping.name}")
            engine.run([create_table_as(p.contributions, portable(p.composition, engine))])  # type: ignore[arg-type]
            engine.run([create_table_as(p.target, portable(p.served.query, engine))])  # type: ignore[arg-type]
            rows = int(engine.scalar(exp.select(exp.Count(this=exp.Star())).from_(p.target.copy())) or 0)  # type: ignore[call-overload]
            violations += validate(engine, p.grouping, p.target)
            items.append(Published(p.grouping, p.target, rows))
            report.groupings.append(
                GroupingReport(p.grouping.name, rows, time.perf_counter() - t0, tuple(sorted(p.reads)), p.unavailable)
            )
        if violations:
            raise MartValidationError(violations, schema)
        say("publishing")
        publish(engine, schema, items, build_id=report.build_id, section=section, as_of=stamp)
    finally:
        drop_staging(engine, staging)
