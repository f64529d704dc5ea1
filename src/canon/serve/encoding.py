"""Arrow columns → JSON values, per the growth contract's column type encoding.

| manifest type   | JSON                                                            |
|-----------------|-----------------------------------------------------------------|
| string          | string                                                          |
| bigint_string   | decimal string (int8 would lose precision as a JS number)       |
| number          | number (decimals written exactly, never through a float)        |
| boolean         | boolean                                                         |
| datetime        | "2026-05-12T20:00:00.000Z" — UTC, milliseconds; dates at midnight |
| json            | the object/array itself                                         |

Nulls are JSON null whatever the type. Work is columnar (Arrow compute) so a 5000-row page
costs a few milliseconds; rows are zipped together only at the end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from canon.config.serve import ColumnType

_BIGINT = re.compile(r"^(bigint|int8|hugeint|ubigint|uhugeint|int64|long)\b", re.I)
_NUMBER = re.compile(
    r"^(integer|int|int2|int4|smallint|tinyint|utinyint|usmallint|uinteger|int32|int16|serial|"
    r"decimal|numeric|double|real|float|float4|float8|double precision)\b",
    re.I,
)
_DATETIME = re.compile(r"^(timestamp|date|datetime)", re.I)
_NESTED = re.compile(r"(\[\]$|^array|^struct|^map|^list|^union)", re.I)


def manifest_type(engine_type: str) -> ColumnType:
    """The manifest type of an engine column type (DuckDB or PostgreSQL spelling)."""
    t = engine_type.strip()
    if "json" in t.lower():
        return "json"
    if _NESTED.search(t):
        return "json"
    if t.lower().startswith("bool"):
        return "boolean"
    if _BIGINT.match(t):
        return "bigint_string"
    if _NUMBER.match(t):
        return "number"
    if _DATETIME.match(t) and not t.lower().startswith(("time ", "time(")):
        return "datetime"
    return "string"


def iso_utc(value: datetime | date) -> str:
    """One datetime in the contract's form (used outside columnar paths: as_of, served_at)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return f"{value.isoformat()}T00:00:00.000Z"


def _datetimes(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """Vectorized: a timestamp (UTC wall time for zoned ones) truncated to ms, cast to text
    ("2026-05-12 20:00:00.000"), the space made a T and a Z appended — no per-value Python."""
    t = column.type
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        ms = pc.cast(column, pa.timestamp("ms"), safe=False)  # zoned → naive keeps the UTC instant
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        return column.to_pylist()
    else:
        return [None if v is None else iso_utc(v) for v in column.to_pylist()]
    text = pc.replace_substring(pc.cast(ms, pa.string()), " ", "T", max_replacements=1)
    return pc.binary_join_element_wise(text, "Z", "").to_pylist()


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return orjson.Fragment(format(value, "f"))
    return value


def _numbers(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    t = column.type
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return column.to_pylist()
    if pa.types.is_decimal(t):
        return [None if v is None else _number(v) for v in column.to_pylist()]
    if pa.types.is_boolean(t):
        return [None if v is None else int(v) for v in column.to_pylist()]
    return [None if v is None else _number(Decimal(str(v))) for v in column.to_pylist()]


def _json_value(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value  # text that is not JSON is served as the string it is, never dropped


def _raw_jsons(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """Text of an engine JSON/JSONB column is valid JSON already: embed it without parsing."""
    t = column.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        fragment = orjson.Fragment
        return [None if v is None else fragment(v) for v in column.to_pylist()]
    return _jsons(column)


def _jsons(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    t = column.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return [None if v is None else _json_value(v) for v in column.to_pylist()]
    return [_plain(v) for v in column.to_pylist()]


def _plain(value: Any) -> Any:
    """Nested values (lists, structs, maps) with dates and decimals made JSON-safe."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):  # Arrow map → pairs
            return {str(k): _plain(v) for k, v in value}
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return iso_utc(value)
    return _number(value)


def _strings(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    t = column.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return column.to_pylist()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        import base64

        return [None if v is None else base64.b64encode(v).decode("ascii") for v in column.to_pylist()]
    try:
        return pc.cast(column, pa.string()).to_pylist()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return [None if v is None else str(v) for v in column.to_pylist()]


def _bigint_strings(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    t = column.type
    if pa.types.is_integer(t):
        return pc.cast(column, pa.string()).to_pylist()
    if pa.types.is_decimal(t):
        return [None if v is None else format(v, "f") for v in column.to_pylist()]
    return _strings(column)


_ENCODERS = {
    "string": _strings,
    "bigint_string": _bigint_strings,
    "number": _numbers,
    "boolean": lambda c: c.to_pylist(),
    "datetime": _datetimes,
    "json": _jsons,
    "json_raw": _raw_jsons,  # internal: engine-validated JSON text
}


def encode_column(column: pa.ChunkedArray | pa.Array, kind: str) -> list[Any]:
    return _ENCODERS[kind](column)


def encode_rows(table: pa.Table, kinds: Sequence[str], names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Rows of `table` as dicts keyed by `names` (default: its column names), encoded by `kinds`."""
    keys = list(names or table.column_names)
    columns = [encode_column(table.column(i), kind) for i, kind in enumerate(kinds)]
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


def natural_kind(arrow_type: pa.DataType) -> str:
    """Encoding of a column with no declared manifest type (mart groupings): by its Arrow type.

    Integers stay numbers here: mart money is integer cents and the manifests serve it as integer.
    """
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return "datetime"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "number"
    if pa.types.is_nested(arrow_type):
        return "json"
    return "string"


def encode_table(table: pa.Table) -> list[dict[str, Any]]:
    """Rows with each column encoded by its own Arrow type (see `natural_kind`)."""
    return encode_rows(table, [natural_kind(f.type) for f in table.schema])
