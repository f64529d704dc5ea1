"""Staging and the atomic swap: consumers see the previous mart or the new one, never a mix.

Groupings are built and validated in a private staging schema. Publishing then runs in ONE
transaction: drop each served table and recreate it from its staged twin with the contract's
canonical column types, and append the build record. A failure anywhere before the commit
leaves every served table as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlglot import exp

from canon.engines import Engine
from canon.engines.ddl import create_schema, create_table, create_table_as, drop_table
from canon.mart.contracts import Grouping
from canon.mart.layers import col

CANONICAL = {
    "integer": "BIGINT",
    "bigint_string": "BIGINT",
    "number": "DOUBLE",
    "string": "VARCHAR",
    "string_enum": "VARCHAR",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    "json": "JSON",
}
BUILDS_TABLE = "canon_mart_builds"
BUILDS_COLUMNS = {
    "build_id": "VARCHAR",
    "section": "VARCHAR",
    "engine": "VARCHAR",
    "as_of": "TIMESTAMPTZ",
    "grouping": "VARCHAR",
    "row_count": "BIGINT",
    "definition_hash": "VARCHAR",
}


def staging_schema(schema: str) -> str:
    return f"{schema}__canon_staging"


def drop_schema(name: str) -> exp.Drop:
    return exp.Drop(kind="SCHEMA", tables=[exp.Table(db=exp.to_identifier(name))], exists=True, cascade=True)


def reset_staging(engine: Engine, staging: str) -> None:
    engine.run([drop_schema(staging), create_schema(staging)])


def drop_staging(engine: Engine, staging: str) -> None:
    engine.run([drop_schema(staging)])


@dataclass(frozen=True)
class Published:
    grouping: Grouping
    staged: exp.Table
    rows: int


def publish(
    engine: Engine,
    schema: str,
    items: Sequence[Published],
    *,
    build_id: str,
    section: str | None,
    as_of: datetime,
) -> None:
    statements: list[exp.Expression] = [create_schema(schema)]
    for item in items:
        target = exp.table_(item.grouping.name, db=schema)
        select = exp.select(
            *[
                exp.cast(col(c.name), exp.DataType.build(CANONICAL[c.type], dialect="duckdb")).as_(c.name, quoted=True)
                for c in item.grouping.spec.served_columns
            ]
        ).from_(item.staged.copy())
        statements += [drop_table(target), create_table_as(target, select)]
    log = exp.table_(BUILDS_TABLE, db=schema)
    create_log = create_table(log, {k: exp.DataType.build(v, dialect="duckdb") for k, v in BUILDS_COLUMNS.items()})
    create_log.set("exists", True)
    statements.append(create_log)
    stamp = exp.cast(exp.Literal.string(as_of.isoformat(sep=" ")), "TIMESTAMPTZ")
    rows = [
        exp.Tuple(
            expressions=[
                exp.Literal.string(build_id),
                exp.Literal.string(section) if section else exp.null(),
                exp.Literal.string(engine.name),
                stamp.copy(),
                exp.Literal.string(item.grouping.name),
                exp.Literal.number(item.rows),
                exp.Literal.string(item.grouping.metric.definition_hash()),
            ]
        )
        for item in items
    ]
    if rows:
        statements.append(
            exp.Insert(
                this=exp.Schema(this=log.copy(), expressions=[exp.to_identifier(c) for c in BUILDS_COLUMNS]),
                expression=exp.Values(expressions=rows),
            )
        )
    engine.run(statements)
