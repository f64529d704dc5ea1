"""Typed references to raw columns (`<table>.<column>`), the unit every decision is stated in."""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_REF_RE = re.compile(rf"^({_IDENT})\.({_IDENT})$")


@dataclass(frozen=True, order=True)
class ColumnRef:
    """A column of a named source table, written `table.column` with the table's own identifier."""

    table: str
    column: str

    @classmethod
    def parse(cls, text: str) -> ColumnRef:
        m = _REF_RE.match(text.strip())
        if not m:
            raise ValueError(f"`{text}` is not a column reference of the form `table.column`")
        return cls(m.group(1), m.group(2))

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


def is_column_ref(text: str) -> bool:
    return bool(_REF_RE.match(text.strip()))
