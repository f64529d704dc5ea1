"""Read a source file into a DuckDB staging table: every value as text, every record numbered.

DuckDB parses the file (in parallel, with bounded memory: temporary tables spill to disk).
Nothing is typed here — typing is a rule, and rules run in SQL afterwards — so a bad date
cannot make the read fail. Records DuckDB cannot split into the declared columns (too many
or too few fields, broken quoting, invalid UTF-8) are captured by `store_rejects` with the
raw line and become `malformed_row` quarantine records instead of aborting the load.

Line numbers: `__canon_line` is the record's line in the file, counting the header as
line 1 (a record whose quoted field spans several lines counts as one line — the same
numbering DuckDB reports for rejected records). A staging table keeps insertion order
(`preserve_insertion_order`), so a record's position is its rowid; rejected records are
missing from that sequence, so each good record's line is shifted by the number of rejects
before it, found with an ASOF join on a small table of reject positions. Parquet rows are
numbered from 1 (`file_row_number`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from canon.compiler.trees import join
from canon.engines.render import render
from canon.errors import LoadError, Location
from canon.load.files import LoadTarget
from canon.load.records import raw_records
from canon.load.validate import LINE, raw_name
from canon.sqltree import col, table

if TYPE_CHECKING:
    import duckdb


@dataclass
class Staged:
    """A staged file: a relation with LINE + raw columns, and its rejected records (if any)."""

    relation: exp.Expr  # a subquery (or table) to select from
    records: int  # good records
    rejects: exp.Table | None  # temp table (line, message, csv_line)
    rejected: int
    tables: list[str]  # temp tables to drop afterwards


def _kw(name: str, value: exp.Expr) -> exp.Expr:
    return exp.EQ(this=exp.column(name), expression=value)


def _render(tree: exp.Expr) -> str:
    return render(tree, "duckdb")


def _ctas_temp(name: str, query: exp.Expr) -> exp.Create:
    return exp.Create(
        this=table(name),
        kind="TABLE",
        expression=query,
        replace=True,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )


def _csv_scan(target: LoadTarget, rejects: str, scan: str) -> exp.Expr:
    f = target.file
    columns = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.Literal.string(name), expression=exp.Literal.string("VARCHAR")) for name in f.header
        ]
    )
    return exp.ReadCSV(
        this=exp.Literal.string(str(f.path)),
        expressions=[
            _kw("header", exp.true()),
            _kw("delim", exp.Literal.string(f.delimiter)),
            _kw("quote", exp.Literal.string('"')),
            _kw("escape", exp.Literal.string('"')),
            _kw("columns", columns),
            _kw("auto_detect", exp.false()),
            _kw("store_rejects", exp.true()),
            _kw("rejects_table", exp.Literal.string(rejects)),
            _kw("rejects_scan", exp.Literal.string(scan)),
        ],
    )


def _count(conn: duckdb.DuckDBPyConnection, name: str) -> int:
    rows = conn.execute(_render(exp.select(exp.Count(this=exp.Star())).from_(table(name)))).fetchall()
    return int(rows[0][0]) if rows else 0


def stage_file(conn: duckdb.DuckDBPyConnection, target: LoadTarget, prefix: str) -> Staged:
    """Copy the file into temp table `<prefix>` (text columns) and describe how to number it."""
    f = target.file
    stage, rj, rs, pos = prefix, f"{prefix}_rejects_raw", f"{prefix}_scans", f"{prefix}_rejects"
    tables = [stage, rj, rs, pos]
    if f.format == "parquet":
        scan: exp.Expr = exp.Anonymous(
            this="read_parquet",
            expressions=[exp.Literal.string(str(f.path)), _kw("file_row_number", exp.true())],
        )
        cols: list[exp.Expr] = [
            exp.Add(this=col("file_row_number"), expression=exp.Literal.number(1)).as_(LINE, quoted=True)
        ]
    else:
        scan = _csv_scan(target, rj, rs)
        cols = []
    cols += [
        exp.Cast(this=col(src), to=exp.DataType.build("VARCHAR")).as_(raw_name(i), quoted=True)
        for i, src in enumerate(target.file_columns)
    ]
    import duckdb

    try:
        conn.execute(_render(_ctas_temp(stage, exp.select(*cols).from_(scan))))
    except duckdb.Error as exc:
        raise LoadError(
            f"cannot read the file: {str(exc).splitlines()[0]}",
            location=Location(file=f.display),
            fix="check the file is complete, UTF-8 and comma-separated with a header line",
        ) from None
    records = _count(conn, stage)
    if f.format == "parquet":
        return Staged(table(stage), records, None, 0, tables)

    # One row per rejected record (a record can fail several ways), in file order.
    by_line = (
        exp.select(
            col("line").as_("line", quoted=True),
            exp.Min(this=col("error_message")).as_("message", quoted=True),
            exp.Min(this=col("csv_line")).as_("csv_line", quoted=True),
            exp.Min(this=col("line_byte_position")).as_("offset", quoted=True),
        )
        .from_(table(rj))
        .group_by(col("line"))
    )
    conn.execute(_render(_ctas_temp(pos, by_line)))
    rejected = _count(conn, pos)
    if rejected:
        _whole_records(conn, target, pos)
    base_rows = conn.execute(_render(exp.select(exp.Min(this=exp.column("rowid"))).from_(table(stage)))).fetchall()
    base = int(base_rows[0][0]) if base_rows and base_rows[0][0] is not None else 0
    idx = exp.Sub(this=exp.column("rowid", table="s"), expression=exp.Literal.number(base))
    raws = [col(raw_name(i), table="s") for i in range(len(target.file_columns))]
    if rejected == 0:
        line = exp.Add(this=idx, expression=exp.Literal.number(2))
        rel = exp.select(line.as_(LINE, quoted=True), *raws).from_(table(stage).as_("s"))
        return Staged(rel.subquery("__canon_stage"), records, None, 0, tables)

    # The j-th reject (1-based, line r_j) has r_j - j - 1 good records before it; a good
    # record at index k therefore follows max{j : r_j - j - 1 <= k} rejects.
    ranked = exp.select(
        exp.Sub(
            this=exp.Sub(
                this=col("line"),
                expression=exp.Window(
                    this=exp.RowNumber(),
                    order=exp.Order(expressions=[exp.Ordered(this=col("line"))]),
                ),
            ),
            expression=exp.Literal.number(1),
        ).as_("k", quoted=True),
        exp.Window(
            this=exp.RowNumber(),
            order=exp.Order(expressions=[exp.Ordered(this=col("line"))]),
        ).as_("j", quoted=True),
    ).from_(table(pos))
    shifts = (
        exp.select(col("k"), exp.Max(this=col("j")).as_("j", quoted=True))
        .from_(ranked.subquery("r"))
        .group_by(col("k"))
    )
    line = exp.Add(
        this=exp.Add(this=idx, expression=exp.Literal.number(2)),
        expression=exp.Coalesce(this=col("j", table="j"), expressions=[exp.Literal.number(0)]),
    )
    rel = exp.select(line.as_(LINE, quoted=True), *raws).from_(table(stage).as_("s"))
    join(
        rel,
        shifts.subquery("j"),
        exp.GTE(this=idx.copy(), expression=col("k", table="j")),
        "asof left",
    )
    return Staged(rel.subquery("__canon_stage"), records, table(pos), rejected, tables)


def _whole_records(conn: duckdb.DuckDBPyConnection, target: LoadTarget, pos: str) -> None:
    """Replace each rejected record's text (the reader's copy is cut at its buffer) by the whole record."""
    import pyarrow as pa

    found = conn.execute(_render(exp.select(col("line"), col("offset")).from_(table(pos)))).fetchall()
    lines = [int(r[0]) for r in found]
    texts = raw_records(target.file.path, [int(r[1] or 0) for r in found], target.file.delimiter)
    whole = f"{pos}_whole"
    conn.register(whole + "_arrow", pa.table({"line": pa.array(lines, pa.int64()), "text": pa.array(texts)}))
    try:
        conn.execute(_render(_ctas_temp(whole, exp.select(exp.Star()).from_(table(whole + "_arrow")))))
    finally:
        conn.unregister(whole + "_arrow")
    update = exp.Update(
        this=table(pos),
        expressions=[exp.EQ(this=col("csv_line"), expression=col("text", table="w"))],
        from_=exp.From(this=table(whole).as_("w")),
        where=exp.Where(this=exp.EQ(this=col("line", table=pos), expression=col("line", table="w"))),
    )
    conn.execute(_render(update))
    conn.execute(_render(exp.Drop(tables=[table(whole)], kind="TABLE", exists=True)))


def drop_staging(conn: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    for name in staged.tables:
        conn.execute(_render(exp.Drop(tables=[table(name)], kind="TABLE", exists=True)))
