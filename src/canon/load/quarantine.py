"""The quarantine table: every row a load refused, with where it was and why.

One record per (row, column, reason), so a row with two bad columns says both. The table
lives beside the loaded tables and always describes the tables' current contents: a load
replaces the quarantine records of the tables it reloads, in the same transaction as the
tables themselves. `raw_values` holds the row exactly as read (JSON text, keys in column
order), `value` the offending field, `detail` a sentence saying what was expected.
"""

from __future__ import annotations

from sqlglot import exp

from canon.sqltree import col, table

QUARANTINE_TABLE = "canon_quarantine"
# The records of a load that was refused (over its error budget): for inspection, never
# mixed with `canon_quarantine`, which describes only what the tables hold. Each refused
# load replaces the refused records of its tables; a successful load clears them.
REFUSED_TABLE = "canon_quarantine_refused"

COLUMNS: list[tuple[str, str]] = [
    ("load_id", "TEXT"),
    ("loaded_at", "TIMESTAMP"),
    ("table_name", "TEXT"),
    ("file", "TEXT"),
    ("line", "BIGINT"),
    ("column_name", "TEXT"),
    ("reason", "TEXT"),
    ("detail", "TEXT"),
    ("value", "TEXT"),
    ("raw_values", "TEXT"),
]


def relation(schema: str | None, name: str = QUARANTINE_TABLE) -> exp.Table:
    return table(name, schema)


def create(schema: str | None, name: str = QUARANTINE_TABLE) -> exp.Create:
    return exp.Create(
        this=exp.Schema(
            this=relation(schema, name),
            expressions=[
                exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=exp.DataType.build(kind))
                for name, kind in COLUMNS
            ],
        ),
        kind="TABLE",
        exists=True,
    )


def forget(schema: str | None, tables: list[str], name: str = QUARANTINE_TABLE) -> exp.Delete:
    """Drop the records of earlier loads of the tables being reloaded now."""
    return exp.delete(relation(schema, name)).where(
        exp.In(this=col("table_name"), expressions=[exp.Literal.string(t) for t in tables])
    )


def insert(schema: str | None, query: exp.Expr, name: str = QUARANTINE_TABLE) -> exp.Insert:
    return exp.Insert(
        this=exp.Schema(
            this=relation(schema, name), expressions=[exp.to_identifier(n, quoted=True) for n, _ in COLUMNS]
        ),
        expression=query,
    )


def _this_load(load_id: str, table: str) -> exp.Expr:
    return exp.and_(
        exp.EQ(this=col("load_id"), expression=exp.Literal.string(load_id)),
        exp.EQ(this=col("table_name"), expression=exp.Literal.string(table)),
    )


def counts(schema: str | None, load_id: str, table: str, name: str = QUARANTINE_TABLE) -> exp.Select:
    """(column_name, reason, records, distinct lines) for one table of one load."""
    return (
        exp.select(
            col("column_name"),
            col("reason"),
            exp.Count(this=exp.Star()).as_("n", quoted=True),
        )
        .from_(relation(schema, name))
        .where(_this_load(load_id, table))
        .group_by(col("column_name"), col("reason"))
        .order_by(col("reason"), col("column_name"))
    )


def examples(
    schema: str | None, load_id: str, table: str, name: str = QUARANTINE_TABLE, per_reason: int = 3
) -> exp.Select:
    """The first few records per (column, reason), for the summary."""
    rn = exp.Window(
        this=exp.RowNumber(),
        partition_by=[col("column_name"), col("reason")],
        order=exp.Order(expressions=[exp.Ordered(this=col("line"))]),
    )
    inner = (
        exp.select(
            col("column_name"),
            col("reason"),
            col("line"),
            col("value"),
            col("detail"),
            rn.as_("rn", quoted=True),
        )
        .from_(relation(schema, name))
        .where(_this_load(load_id, table))
    )
    return (
        exp.select(col("column_name"), col("reason"), col("line"), col("value"), col("detail"))
        .from_(inner.subquery("q"))
        .where(exp.LTE(this=col("rn"), expression=exp.Literal.number(per_reason)))
        .order_by(col("reason"), col("column_name"), col("line"))
    )
