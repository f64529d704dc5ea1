"""Render query results (Arrow tables) as a Rich table, CSV or JSON with typed values."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import pyarrow as pa
from rich.table import Table

from canon.present.money import format_cents

HIDDEN = {"period_start"}


def money_columns(table: pa.Table) -> list[str]:
    return [n for n in table.column_names if n.endswith("_cents")]


def to_rows(table: pa.Table) -> list[dict[str, Any]]:
    """JSON rows: typed values; each money column as integer cents plus a formatted string."""
    rows = []
    money = set(money_columns(table))
    for rec in table.to_pylist():
        row: dict[str, Any] = {}
        for key, value in rec.items():
            if key in HIDDEN:
                continue
            row[key] = _jsonable(value)
            if key in money:
                row[key.removesuffix("_cents")] = format_cents(value)
        rows.append(row)
    return rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def render_json(table: pa.Table, signed: bool | None = None) -> str:
    """Rows as JSON; `signed=False` marks every row (a definition changed after its sign-off)."""
    rows = to_rows(table)
    if signed is not None:
        rows = [{**row, "signed": signed} for row in rows]
    return orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode()


def render_csv(table: pa.Table) -> str:
    buf = io.StringIO()
    names = [n for n in table.column_names if n not in HIDDEN]
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for rec in table.to_pylist():
        writer.writerow(["" if rec[n] is None else _jsonable(rec[n]) for n in names])
    return buf.getvalue()


def render_rich(table: pa.Table, title: str | None = None, labels: Mapping[str, str] | None = None) -> Table:
    labels = labels or {}
    out = Table(title=title, show_lines=False, header_style="bold")
    names = [n for n in table.column_names if n not in HIDDEN]
    money = set(money_columns(table))
    for n in names:
        label = labels.get(n) or (n.removesuffix("_cents") if n in money else n)
        out.add_column(label, justify="right" if n in money else "left")
    for rec in table.to_pylist():
        out.add_row(*[format_cents(rec[n]) if n in money else ("" if rec[n] is None else str(rec[n])) for n in names])
    return out
