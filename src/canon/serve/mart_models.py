"""Typed OpenAPI models of a mart section, built from its contracts' served columns.

Each grouping's row model lists the contract's served columns with their types and
nullability, so the published schema *is* the manifest, and the schemathesis run proves every
served row matches it. Extra columns (additive changes) are allowed; groupings configured
without a contract are described as free-form rows.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from canon.contracts.spec import ServedColumn
from canon.mart.model import MartGrouping, MartSection, level_columns

_PY: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "date": str,
    "timestamp": str,
    "json": Any,
    "bigint_string": str,
}


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def _field_type(col: ServedColumn) -> Any:
    if col.type == "string_enum" and col.enum:
        base: Any = Literal.__getitem__(tuple(col.enum))
    else:
        base = _PY.get(col.type, Any)
    return base | None if col.nullable and base is not Any else base


def row_model(
    section: str, path: tuple[str, ...], served: tuple[ServedColumn, ...], always: set[str] | None = None
) -> type[BaseModel]:
    """One row of a grouping; `always` (default: every served column) are those every level returns."""
    fields: dict[str, Any] = {}
    for i, col in enumerate(served):
        default = ... if col.required and (always is None or col.name in always) else None
        fields[f"f{i}_{re.sub(r'[^A-Za-z0-9_]', '_', col.name)}"] = (
            _field_type(col),
            Field(default, alias=col.name, description=col.notes),
        )
    name = _camel(section) + "".join(_camel(p) for p in path) + "Row"
    return create_model(name, __base__=_Row, **fields)


def _always(g: MartGrouping) -> set[str]:
    names = {c.name for c in g.served}
    for level in g.levels:
        names &= set(level_columns(g, level))
    return names


def section_model(section: MartSection) -> type[BaseModel]:
    """`{section, as_of, filters, groupings: {...nested row lists...}}` for one section."""
    tree: dict[str, Any] = {}
    for g in section.groupings:
        node = tree
        for part in g.path[:-1]:
            node = node.setdefault(part, {})
        row: Any = row_model(section.name, g.path, g.served, _always(g)) if g.served else dict[str, Any]
        node[g.path[-1]] = list.__class_getitem__(row)

    def build(prefix: str, node: dict[str, Any]) -> type[BaseModel]:
        fields: dict[str, Any] = {}
        for key, value in node.items():
            typ = build(prefix + _camel(key), value) if isinstance(value, dict) else value
            fields[f"g_{key}"] = (typ, Field(..., alias=key))
        return create_model(prefix + "Groupings", __config__=ConfigDict(populate_by_name=True), **fields)

    groupings = build(_camel(section.name), tree)
    name_type: Any = Literal.__getitem__(section.name)
    return create_model(
        _camel(section.name) + "Section",
        section=(name_type, ...),
        as_of=(str | None, Field(description="Refresh point of the materialized mart (UTC).")),
        filters=(dict[str, str | None], ...),
        groupings=(groupings, ...),
    )
