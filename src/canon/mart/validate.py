"""Check a staged grouping against its own column contract before anyone can read it.

Every served column: present with a type of the right family (money never as a float), never
NULL unless the contract says it may be, inside its enum, integer-valued and within BIGINT when
the engine produced an exact decimal; and one row per grain. Each broken rule is reported with
the first offending row's grain key, the count of rows breaking it, and the contract line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from canon.contracts.spec import ServedColumn
from canon.engines import Engine
from canon.errors import Location, Problem
from canon.mart.contracts import Grouping
from canon.mart.layers import col

_FAMILIES = {
    "boolean": {"BOOLEAN", "BOOL"},
    "integer": {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "INT",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
        "INT2",
        "INT4",
        "INT8",
    },
    "float": {"DOUBLE", "FLOAT", "REAL", "DOUBLE PRECISION", "FLOAT4", "FLOAT8"},
    "string": {"VARCHAR", "TEXT", "CHARACTER VARYING", "CHARACTER", "STRING", "BPCHAR", "CHAR"},
    "date": {"DATE"},
    "json": {"JSON", "JSONB"},
    "null": {"NULL", '"NULL"'},
}
ACCEPTS = {
    "integer": {"integer", "exact"},
    "bigint_string": {"integer", "exact"},
    "number": {"integer", "exact", "float"},
    "string": {"string"},
    "string_enum": {"string"},
    "boolean": {"boolean"},
    "timestamp": {"timestamp"},
    "date": {"date"},
    "json": {"json", "string"},
}
BIGINT_MAX = 9_223_372_036_854_775_807


def type_family(engine_type: str) -> str:
    t = engine_type.upper().strip()
    if t.startswith(("DECIMAL", "NUMERIC")):
        return "exact"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    for family, names in _FAMILIES.items():
        if t in names:
            return family
    return t.lower()


@dataclass(frozen=True)
class Violation:
    grouping: str
    column: str | None
    rule: str
    message: str
    location: Location
    rows: int = 0
    sample: dict[str, Any] = field(default_factory=dict)

    def problem(self) -> Problem:
        return Problem(self.message, self.location)


def _grain(grouping: Grouping) -> list[str]:
    served = [c.name for c in grouping.spec.served_columns]
    g = grouping.spec.grain
    keys = [k for k in [*([g.period_column] if g.period_column else []), *g.keys] if k in served]
    return keys or served


def _row_checks(column: ServedColumn, family: str) -> list[tuple[str, exp.Expr, str]]:
    c = col(column.name)
    checks: list[tuple[str, exp.Expr, str]] = []
    if not column.nullable:
        checks.append(
            (
                "required",
                exp.Is(this=c.copy(), expression=exp.null()),
                "is NULL, but the contract requires a value (nullable: false)",
            )
        )
    if column.enum:
        inside = exp.In(this=c.copy(), expressions=[exp.Literal.string(v) for v in column.enum])
        checks.append(
            (
                "enum",
                exp.and_(exp.Not(this=exp.Is(this=c.copy(), expression=exp.null())), exp.Not(this=inside)),
                f"is not one of {', '.join(column.enum)}",
            )
        )
    if family == "exact" and column.type in ("integer", "bigint_string"):
        fraction = exp.NEQ(
            this=exp.Mod(this=c.copy(), expression=exp.Literal.number(1)), expression=exp.Literal.number(0)
        )
        checks.append(("integer", fraction, "has a fractional part (money is integer cents)"))
        too_big = exp.GT(this=exp.Abs(this=c.copy()), expression=exp.Literal.number(BIGINT_MAX))
        checks.append(("range", too_big, "does not fit in a 64-bit integer"))
    return checks


def validate(engine: Engine, grouping: Grouping, table: exp.Table) -> list[Violation]:
    """All rule violations of a staged table (empty when it honours its contract)."""
    name = f"mart.{grouping.name}"
    types = engine.columns(table.name, table.db)
    out: list[Violation] = []
    checks: list[tuple[ServedColumn, str, exp.Expr, str]] = []
    for column in grouping.spec.served_columns:
        where = grouping.served_location(column.name)
        if column.name not in types:
            out.append(Violation(grouping.name, column.name, "missing", f"{name} has no column `{column.name}`", where))
            continue
        family = type_family(types[column.name])
        accepted = ACCEPTS[column.type] | ({"null"} if column.nullable else set())
        if family not in accepted:
            out.append(
                Violation(
                    grouping.name,
                    column.name,
                    "type",
                    f"{name}.{column.name} has engine type {types[column.name]}; the contract says "
                    f"{column.type}" + (" (money is integer cents, never a float)" if family == "float" else ""),
                    where,
                )
            )
            continue
        for rule, cond, text in _row_checks(column, family):
            checks.append((column, rule, cond, text))
    if checks:
        counts = engine.execute(
            exp.select(
                *[
                    exp.Sum(
                        this=exp.Case(
                            ifs=[exp.If(this=cond.copy(), true=exp.Literal.number(1))], default=exp.Literal.number(0)
                        )
                    ).as_(f"c{i}")
                    for i, (_, _, cond, _) in enumerate(checks)
                ]
            ).from_(table.copy())
        ).to_pylist()[0]
        grain = _grain(grouping)
        for i, (column, rule, cond, text) in enumerate(checks):
            bad = int(counts[f"c{i}"] or 0)
            if not bad:
                continue
            sample_cols = list(dict.fromkeys([*grain, column.name]))
            sample = engine.execute(
                exp.select(*[col(c) for c in sample_cols])
                .from_(table.copy())
                .where(cond.copy())
                .order_by(*[col(g) for g in grain])
                .limit(1)
            ).to_pylist()[0]
            key = ", ".join(f"{g}={sample[g]!r}" for g in grain)
            value = "" if rule == "required" else f" (value {sample[column.name]!r})"
            more = f"; {bad} row(s) in all" if bad > 1 else ""
            out.append(
                Violation(
                    grouping.name,
                    column.name,
                    rule,
                    f"{name} row ({key}): column `{column.name}`{value} {text}{more}",
                    grouping.served_location(column.name),
                    bad,
                    sample,
                )
            )
    out.extend(_grain_unique(engine, grouping, table))
    return out


def _grain_unique(engine: Engine, grouping: Grouping, table: exp.Table) -> list[Violation]:
    grain = _grain(grouping)
    dup = engine.execute(
        exp.select(*[col(g) for g in grain], exp.Count(this=exp.Star()).as_("copies"))
        .from_(table.copy())
        .group_by(*[col(g) for g in grain])
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        .order_by(*[col(g) for g in grain])
        .limit(1)
    ).to_pylist()
    if not dup:
        return []
    row = dup[0]
    key = ", ".join(f"{g}={row[g]!r}" for g in grain)
    return [
        Violation(
            grouping.name,
            None,
            "grain",
            f"mart.{grouping.name} has {row['copies']} rows for ({key}); the grain is one row per ({', '.join(grain)})",
            grouping.locate(("grain",)),
        )
    ]
