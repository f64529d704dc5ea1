"""Which file feeds which table, and does its header match the declaration?

Everything here runs before the warehouse is touched: a missing file, an unreadable one, or
a header with a missing or extra column stops the load with a UserError that names the file
and the column, so nothing is half-loaded.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from canon.errors import LoadError, Location, Problem, UserError, did_you_mean
from canon.load.schema import DeclaredColumn, DeclaredSchema, DeclaredTable
from canon.load.types import TEXT

Format = Literal["csv", "parquet"]
CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
RESERVED_PREFIX = "__canon_"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    display: str  # as the user knows it (relative to the project when inside it)
    format: Format
    delimiter: str
    header: tuple[str, ...]  # column names as the file spells them, in file order


@dataclass
class LoadTarget:
    """A declared table bound to the file that feeds it, with its effective columns."""

    table: DeclaredTable
    file: SourceFile
    columns: list[DeclaredColumn]  # declared order (or the file's, when none are declared)
    file_columns: list[str]  # the file's spelling of each column above

    @property
    def name(self) -> str:
        return self.table.name


def _format_of(path: Path) -> Format | None:
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (*CSV_SUFFIXES, *PARQUET_SUFFIXES):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def display_path(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def default_file(table: DeclaredTable, root: Path, seed_dirs: Sequence[Path]) -> Path | None:
    """`seeds/<table>.csv` or `data/<table>.csv|.parquet` (by name, then by identifier)."""
    names = dict.fromkeys([table.name, table.identifier])
    candidates: list[Path] = []
    for name in names:
        for folder in seed_dirs:
            candidates.append(folder / f"{name}.csv")
        for suffix in (".csv", ".csv.gz", ".parquet"):
            candidates.append(root / "data" / f"{name}{suffix}")
    return next((p for p in candidates if p.is_file()), None)


def parse_file_args(args: Sequence[str], schema: DeclaredSchema, cwd: Path) -> dict[str, Path]:
    """`FILE` (named after its table) or `table=FILE` → {table key: path}."""
    out: dict[str, Path] = {}
    for arg in args:
        if "=" in arg and not Path(arg).exists():
            name, _, value = arg.partition("=")
            path = Path(value)
        else:
            path = Path(arg)
            name = _stem(path)
        path = path if path.is_absolute() else cwd / path
        table = schema.require(name.strip(), Location(parameter=f"FILES ({arg})"))
        key = next(k for k, t in schema.tables.items() if t is table)
        if key in out:
            raise UserError(
                f"two files given for table `{key}`",
                location=Location(parameter="files"),
                fix="pass one file per table",
            )
        out[key] = path
    return out


def _open_text(path: Path) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def read_header(path: Path, display: str) -> SourceFile:
    """Open the file just enough to read its column names (CSV header or Parquet schema)."""
    fmt = _format_of(path)
    if not path.exists():
        raise LoadError(
            "file not found",
            location=Location(file=display),
            fix="check the path, or put the file at seeds/<table>.csv or data/<table>.csv|.parquet",
        )
    if fmt is None:
        raise LoadError(
            "unsupported file type",
            location=Location(file=display),
            fix="give a .csv, .tsv, .csv.gz or .parquet file",
        )
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            names = tuple(pq.read_schema(path).names)
        except (OSError, ValueError) as exc:
            raise LoadError(
                f"cannot read Parquet file: {exc}",
                location=Location(file=display),
                fix="check the file is a complete Parquet file",
            ) from None
        return SourceFile(path, display, "parquet", ",", names)
    delimiter = "\t" if ".tsv" in path.name.lower() else ","
    try:
        with _open_text(path) as fh:
            first = fh.readline()
        # A header that is one field holding tabs, semicolons or pipes names its delimiter.
        if delimiter == "," and "," not in first:
            delimiter = next((d for d in ("\t", ";", "|") if d in first), ",")
        with _open_text(path) as fh:
            row = next(csv.reader(fh, delimiter=delimiter), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(
            f"cannot read the header: {exc}",
            location=Location(file=display, line=1),
            fix="save the file as UTF-8 CSV with a header line",
        ) from None
    if not row or not any(c.strip() for c in row):
        raise LoadError(
            "the file is empty or has no header line",
            location=Location(file=display, line=1),
            fix="the first line must name the columns",
        )
    return SourceFile(path, display, "csv", delimiter, tuple(c.strip() for c in row))


def bind(table: DeclaredTable, file: SourceFile) -> LoadTarget:
    """Match the file's columns to the declaration: every column present, nothing extra."""
    loc = Location(file=file.display, line=1 if file.format == "csv" else None)
    seen: dict[str, str] = {}
    for name in file.header:
        folded = name.casefold()
        if not name:
            raise LoadError("a column has an empty name", location=loc, fix="name every column in the header")
        if folded in seen:
            raise LoadError(
                f"column `{name}` appears twice",
                location=Location(loc.file, loc.line, field=name),
                fix="give every column a distinct name",
            )
        if folded.startswith(RESERVED_PREFIX):
            raise LoadError(
                f"column `{name}` uses the prefix {RESERVED_PREFIX} that canon reserves",
                location=Location(loc.file, loc.line, field=name),
                fix="rename the column",
            )
        seen[folded] = name
    if not table.columns:
        required = {c.casefold() for c in table.primary_key}
        columns = [DeclaredColumn(n, TEXT, not_null=n.casefold() in required) for n in file.header]
        target = LoadTarget(table, file, columns, list(file.header))
    else:
        declared = {c.name.casefold(): c for c in table.columns}
        where = str(table.location.file or "the source YAML")
        problems = [
            Problem(
                f"column `{c.name}` declared for `{table.name}` is missing from the file",
                Location(loc.file, loc.line, field=c.name),
                fix=f"add the column to the file, or remove it from {where}",
            )
            for c in table.columns
            if c.name.casefold() not in seen
        ]
        for folded, name in seen.items():
            if folded not in declared:
                hint = did_you_mean(name, [c.name for c in table.columns])
                problems.append(
                    Problem(
                        f"column `{name}` is not declared for `{table.name}`",
                        Location(loc.file, loc.line, field=name),
                        fix=(hint + " " if hint else "")
                        + f"declare it under `columns:` in {where}, or remove it from the file",
                    )
                )
        if problems:
            raise LoadError(
                f"{file.display} does not match the declared columns of `{table.name}`",
                location=loc,
                problems=problems,
            )
        target = LoadTarget(table, file, list(table.columns), [seen[c.name.casefold()] for c in table.columns])
    _check_keys(target)
    return target


def _check_keys(target: LoadTarget) -> None:
    names = {c.name.casefold() for c in target.columns}
    table = target.table
    for key in table.unique_keys:
        for col in key:
            if col.casefold() not in names:
                raise LoadError(
                    f"uniqueness key column `{col}` of `{table.name}` is not a column of the table",
                    location=table.location,
                    fix=did_you_mean(col, [c.name for c in target.columns]) or "list existing columns only",
                )
    for fk in table.foreign_keys:
        if fk.column.casefold() not in names:
            raise LoadError(
                f"relationships test on `{fk.column}` names a column `{table.name}` does not have",
                location=fk.location,
                fix="test a declared column",
            )
