"""Declared rollups, their build state (`.canon/rollups/<name>.json`) and the source fingerprint.

The state records what a rollup table was built from: the contract's definition hash, the
grain and dimensions, the engine and schema, the periods it holds and the source's
fingerprint at the start of the build. A route trusts the table only while all of these
still hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlglot import exp

from canon.compiler.relations import Relations
from canon.contracts.model import DimensionRef, Metric
from canon.contracts.spec import RollupTable
from canon.errors import Location, QueryError
from canon.fsutil import atomic_write_text

TABLE_PREFIX = "canon_rollup__"
VALUE = "canon_value"
PERIOD = "period_start"
STATE_DIR = Path(".canon") / "rollups"  # canon.project.ROLLUP_STATE_DIR looks here without importing this


@dataclass(frozen=True)
class Rollup:
    """One declared rollup of one declarative metric."""

    metric: Metric
    spec: RollupTable

    @property
    def name(self) -> str:
        return f"{self.metric.name}__{self.spec.table_name}"

    @property
    def table(self) -> str:
        return TABLE_PREFIX + self.name

    def dimensions(self) -> tuple[DimensionRef, ...]:
        dims = self.metric.dimensions()
        missing = [d for d in self.spec.dimensions if d not in dims]
        if missing:
            raise QueryError(
                f"rollup `{self.name}` keeps `{missing[0]}`, which is not a dimension of `{self.metric.name}`",
                location=Location(file=contract_file(self.metric), field="rollups.dimensions"),
                fix=f"use one of: {', '.join(sorted(dims)) or '(none declared)'}",
            )
        return tuple(dims[d] for d in self.spec.dimensions)


def contract_file(metric: Metric) -> str:
    """Where the contract declaring a rollup is, for an error's location."""
    return str(metric.file) if metric.file is not None else f"metrics/{metric.name}.yml"


def declared(metrics: Mapping[str, Metric], names: Iterable[str] = ()) -> list[Rollup]:
    """Every rollup the contracts declare (of the metrics named, when given)."""
    wanted = {n.lower() for n in names}
    out = []
    for metric in metrics.values():
        if wanted and metric.name not in wanted:
            continue
        for spec in metric.spec.rollups:
            if not metric.is_declarative:
                raise QueryError(
                    f"`{metric.name}` declares a rollup, but only a declarative metric has rows to roll up",
                    location=Location(file=contract_file(metric), field="rollups"),
                    fix="declare rollups on the base metrics a derived or SQL metric reads",
                )
            out.append(Rollup(metric, spec))
    return out


@dataclass(frozen=True)
class RollupState:
    """What a built rollup table holds and what it was built from."""

    name: str
    table: str
    metric: str
    definition_hash: str
    grain: str
    dimensions: list[str]
    period_from: str | None
    period_to: str | None
    engine: str
    schema: str | None
    built_at: str
    rows: int
    first_start: str | None  # first and last period_start in the table
    last_start: str | None
    fingerprint: dict[str, str] = field(default_factory=dict)

    def matches(self, rollup: Rollup) -> bool:
        """Built from this contract text and this declaration (else it is not this rollup's table)."""
        spec = rollup.spec
        return (
            self.definition_hash == rollup.metric.definition_hash()
            and self.grain == spec.grain
            and self.dimensions == list(spec.dimensions)
            and (self.period_from, self.period_to) == (spec.period_from, spec.period_to)
        )

    def extent(self) -> tuple[date, date] | None:
        if self.first_start is None or self.last_start is None:
            return None
        return date.fromisoformat(self.first_start), date.fromisoformat(self.last_start)


def state_path(root: Path, name: str) -> Path:
    return root / STATE_DIR / f"{name}.json"


def read_state(root: Path, name: str) -> RollupState | None:
    try:
        data: dict[str, Any] = json.loads(state_path(root, name).read_text(encoding="utf-8"))
        return RollupState(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_state(root: Path, state: RollupState) -> None:
    path = state_path(root, state.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(asdict(state), indent=2, sort_keys=True) + "\n")


def fingerprint_query(rollup: Rollup, relations: Relations) -> exp.Select:
    """One row of scalar subqueries: each table's row count, the measure's sum, the dates' range.

    Cheap next to the question itself (counts and one sum, no joins). It cannot see a change
    that keeps every count, the measure's total and the date range (a value moved between two
    rows, a dimension relabelled in place): the definition hash and a rebuild cover those.
    """
    vector = rollup.metric.decisions
    tables = sorted(vector.tables() | {d.column.table for d in rollup.dimensions()})
    parts: list[exp.Expr] = []
    for table in tables:
        parts.append(
            exp.Subquery(this=exp.select(exp.Count(this=exp.Star())).from_(relations.get(table))).as_(f"{table}:rows")
        )
    measure = vector.measure
    if measure.expression is None and measure.aggregation in ("sum", "avg"):
        source = relations.get(measure.column.table)
        total = exp.Sum(this=exp.column(measure.column.column))
        parts.append(exp.Subquery(this=exp.select(total).from_(source)).as_(f"{measure.column}:sum"))
    for ref in vector.time_basis.columns:
        source = relations.get(ref.table)
        for fn, label in ((exp.Min, "min"), (exp.Max, "max")):
            value = exp.cast(fn(this=exp.column(ref.column)), exp.DataType.build("TEXT"))
            parts.append(exp.Subquery(this=exp.select(value).from_(source.copy())).as_(f"{ref}:{label}"))
    return exp.select(*parts)


def fingerprint_of(row: Mapping[str, object]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in row.items()}
