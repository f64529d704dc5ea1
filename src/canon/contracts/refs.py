"""Typed references to raw columns (`<table>.<column>`), the unit every decision is stated in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_REF_RE = re.compile(rf"^({_IDENT})\.({_IDENT})$")


@dataclass(frozen=True, order=True)
class ColumnRef:
    """A column of a named source table, written `table.column` with the table's own identifier."""

    table: str
    column: str

    @classmethod
    def parse(cls, text: str) -> ColumnRef:
        return _parse(text) if cls is ColumnRef else cls(*_split(text))

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


def _split(text: str) -> tuple[str, str]:
    m = _REF_RE.match(text.strip())
    if not m:
        raise ValueError(f"`{text}` is not a column reference of the form `table.column`")
    return m.group(1), m.group(2)


@lru_cache(maxsize=4096)
def _parse(text: str) -> ColumnRef:
    """Cached: contracts are re-read into references on every compile, and a ColumnRef is immutable."""
    return ColumnRef(*_split(text))


def is_column_ref(text: str) -> bool:
    return bool(_REF_RE.match(text.strip()))
