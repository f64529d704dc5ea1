"""Admitted values of a filter: typed scalars with one total order so value lists sort stably."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

Scalar = str | bool | int | float | Decimal | date | datetime | None

_RANK = {type(None): 0, bool: 1, int: 2, float: 2, Decimal: 2, date: 3, datetime: 3, str: 4}


def value_sort_key(value: Scalar) -> tuple[int, Any]:
    """Nulls first, then booleans, numbers, dates, strings; mixed types never compare."""
    rank = _RANK.get(type(value), 5)
    if value is None:
        return (0, 0)
    if isinstance(value, datetime | date):
        return (rank, value.isoformat())
    if rank == 5:
        return (rank, str(value))
    return (rank, value)


def sorted_values(values: frozenset[Scalar] | set[Scalar] | list[Scalar]) -> list[Scalar]:
    return sorted(values, key=value_sort_key)


def to_json_value(value: Scalar) -> Any:
    """JSON form of an admitted value: dates as ISO strings, decimals as numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def format_value(value: Scalar) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(to_json_value(value))
