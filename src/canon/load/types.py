"""Declared column types: what a dbt `data_type` string means for loading.

A source YAML may spell types in any warehouse's dialect (`numeric(12,2)`, `number(38,0)`,
`string`, `int64`, `timestamp_ntz`). Loading needs only the *family* (how a text value is
checked and converted) plus precision, scale or length, so every spelling is reduced to a
`ColumnType`, and the target column type is rendered back per engine from that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from canon.engines import Engine
from canon.errors import Location, UserError

Family = Literal["string", "integer", "decimal", "float", "boolean", "date", "timestamp", "timestamptz", "uuid"]

# Integer widths: the inclusive range each accepts, so overflow is a quarantine reason, not a crash.
_INT_RANGES: dict[str, tuple[int, int]] = {
    "TINYINT": (-(2**7), 2**7 - 1),
    "SMALLINT": (-(2**15), 2**15 - 1),
    "INT": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
}

_T = exp.DataType.Type
_FAMILY_OF: dict[Any, tuple[Family, str | None]] = {
    _T.TINYINT: ("integer", "TINYINT"),
    _T.SMALLINT: ("integer", "SMALLINT"),
    _T.INT: ("integer", "INT"),
    _T.MEDIUMINT: ("integer", "INT"),
    _T.BIGINT: ("integer", "BIGINT"),
    _T.DECIMAL: ("decimal", None),
    _T.BIGDECIMAL: ("decimal", None),
    _T.DOUBLE: ("float", "DOUBLE"),
    _T.FLOAT: ("float", "REAL"),
    _T.BOOLEAN: ("boolean", None),
    _T.DATE: ("date", None),
    _T.TIMESTAMP: ("timestamp", None),
    _T.DATETIME: ("timestamp", None),
    _T.TIMESTAMPNTZ: ("timestamp", None),
    _T.TIMESTAMPTZ: ("timestamptz", None),
    _T.TIMESTAMPLTZ: ("timestamptz", None),
    _T.UUID: ("uuid", None),
    _T.TEXT: ("string", None),
    _T.VARCHAR: ("string", None),
    _T.NVARCHAR: ("string", None),
    _T.CHAR: ("string", None),
    _T.NCHAR: ("string", None),
}

# An unparameterised NUMERIC means "any precision" in PostgreSQL but DECIMAL(18,3) in DuckDB;
# one fixed meaning keeps the two engines' loads identical (and never rounds silently).
DEFAULT_DECIMAL = (38, 9)
MAX_DECIMAL_PRECISION = 38

SUPPORTED = (
    "varchar/text/string, integer/bigint/smallint, numeric(p,s)/decimal(p,s), double/real, "
    "boolean, date, timestamp, timestamptz, uuid"
)


@dataclass(frozen=True)
class ColumnType:
    """The loading-relevant meaning of a declared type."""

    family: Family
    width: str | None = None  # integer width or float kind: INT, BIGINT, DOUBLE, REAL …
    precision: int | None = None
    scale: int | None = None
    length: int | None = None
    declared: str | None = None

    @property
    def int_range(self) -> tuple[int, int]:
        return _INT_RANGES[self.width or "BIGINT"]

    def describe(self) -> str:
        """Human words for the expected shape of a value, used in quarantine details."""
        return {
            "string": f"text of at most {self.length} characters" if self.length else "text",
            "integer": f"a whole number ({(self.width or 'BIGINT').lower()})",
            "decimal": f"a number with at most {self.scale} decimal places "
            f"and {(self.precision or 0) - (self.scale or 0)} integer digits",
            "float": "a number",
            "boolean": "true/false (also t/f, yes/no, y/n, 1/0)",
            "date": "a date YYYY-MM-DD",
            "timestamp": "a timestamp YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]",
            "timestamptz": "a timestamp YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][±HH[:MM]|Z]",
            "uuid": "a UUID like 123e4567-e89b-12d3-a456-426614174000",
        }[self.family]

    def target(self, engine: type[Engine]) -> exp.DataType:
        """The column type to create in `engine`'s warehouse."""
        f = self.family
        if f == "string":
            return engine.text_type(self.length)
        if f == "integer":
            width = self.width or "BIGINT"
            if width == "TINYINT":
                width = engine.smallest_integer_type
            return exp.DataType.build(width)
        if f == "decimal":
            return exp.DataType.build(f"DECIMAL({self.precision}, {self.scale})")
        if f == "float":
            return exp.DataType.build("REAL" if self.width == "REAL" else "DOUBLE")
        return exp.DataType.build(
            {
                "boolean": "BOOLEAN",
                "date": "DATE",
                "timestamp": "TIMESTAMP",
                "timestamptz": "TIMESTAMPTZ",
                "uuid": "UUID",
            }[f]
        )


TEXT = ColumnType("string")


def _parse(text: str) -> exp.DataType | None:
    for dialect in (None, "postgres", "snowflake", "bigquery", "spark", "duckdb"):
        try:
            built = exp.DataType.build(text, dialect=dialect)
        except (ParseError, ValueError, sqlglot.errors.SqlglotError):
            continue
        if built.this != _T.USERDEFINED:
            return built
    return None


def parse_data_type(text: str | None, location: Location | None = None) -> ColumnType:
    """Reduce a declared `data_type` to a `ColumnType`; an unknown type is a UserError."""
    if text is None or not str(text).strip():
        return TEXT
    raw = str(text).strip()
    built = _parse(raw)
    mapped = _FAMILY_OF.get(built.this) if built is not None else None
    if built is None or mapped is None:
        raise UserError(
            f"data_type `{raw}` cannot be loaded",
            location=location,
            fix=f"declare one of: {SUPPORTED} (or omit data_type to load the column as text)",
        )
    family, width = mapped
    params = [int(p.name) for p in built.expressions if isinstance(p, exp.DataTypeParam) and p.name.isdigit()]
    if family == "decimal":
        precision, scale = (params[0], params[1] if len(params) > 1 else 0) if params else DEFAULT_DECIMAL
        if not 1 <= precision <= MAX_DECIMAL_PRECISION or not 0 <= scale <= precision:
            raise UserError(
                f"data_type `{raw}` has an unsupported precision/scale",
                location=location,
                fix=f"use decimal(p,s) with 1 ≤ p ≤ {MAX_DECIMAL_PRECISION} and 0 ≤ s ≤ p",
            )
        return ColumnType("decimal", precision=precision, scale=scale, declared=raw)
    if family == "string":
        return ColumnType("string", length=params[0] if params else None, declared=raw)
    return ColumnType(family, width=width, declared=raw)
