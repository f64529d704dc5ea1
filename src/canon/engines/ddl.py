"""DDL statements as sqlglot trees (sqlglot's argument names for these vary by version)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp


def drop_table(table: exp.Table, kind: str = "TABLE") -> exp.Drop:
    return exp.Drop(kind=kind, tables=[table.copy()], exists=True)


def create_schema(name: str) -> exp.Create:
    return exp.Create(kind="SCHEMA", this=exp.Table(db=exp.to_identifier(name)), exists=True)


def create_table(table: exp.Table, columns: Mapping[str, exp.DataType]) -> exp.Create:
    defs = [exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=typ) for name, typ in columns.items()]
    return exp.Create(kind="TABLE", this=exp.Schema(this=table.copy(), expressions=defs))


def create_table_as(table: exp.Table, query: exp.Query, replace: bool = False) -> exp.Create:
    return exp.Create(kind="TABLE", this=table.copy(), expression=query, replace=replace)
