"""What a parsed dbt manifest already says about the raw tables: which they are, their keys, their joins.

A team's dbt project encodes this knowledge in tests and constraints (`unique` + `not_null` is
a primary key, `relationships` is a many-to-one edge); `canon init` reads it from dbt's own
parse instead of asking anyone to copy it into canon.yml by hand.

Raw tables are the project's sources **and seeds** (a seed is a table the project loads, not a
model it computes). Each is named by its physical identifier, as the audit names the raw
tables it inlines models down to; two declarations of one relation (a seed also declared as a
source) are one table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_SOURCE_CALL = re.compile(r"""source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)""")
_REF_CALL = re.compile(r"""ref\(\s*['"]([^'"]+)['"](?:\s*,\s*['"]([^'"]+)['"])?[^)]*\)""")
_EXPRESSION_FK = re.compile(r"""^\s*([\w."`\[\]]+)\s*\(\s*([^)]+)\)\s*$""")
_RAW_KINDS = ("source", "seed")


@dataclass
class RawTable:
    """One raw table of the project: a source or a seed, where it lives, what identifies its rows."""

    name: str  # the physical identifier: how contracts and the audit name it
    schema: str | None
    database: str | None
    kind: str  # "source" or "seed" (a seed also declared as a source stays "seed")
    unique_ids: list[str] = field(default_factory=list)  # dbt's ids of every declaration of it
    unique: set[str] = field(default_factory=set)  # columns tested or constrained unique
    not_null: set[str] = field(default_factory=set)
    primary_key: list[str] = field(default_factory=list)  # declared (constraint or composite test)

    @property
    def relation(self) -> str:
        """`schema.table` for canon.yml (the database is the connection's own)."""
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def key(self) -> list[str]:
        """The primary key: a declared one, else the one column tested `unique` and `not_null`."""
        if self.primary_key:
            return list(self.primary_key)
        both = sorted(self.unique & self.not_null)
        return [both[0]] if len(both) == 1 else []


@dataclass(frozen=True)
class Edge:
    """A many-to-one edge between raw tables: each `child` value finds one `parent` row."""

    child_table: str
    child_column: str
    parent_table: str
    parent_column: str
    origin: str  # "relationships test" or "foreign key constraint"


@dataclass
class RawSchema:
    """The raw tables of a project with their keys and edges, and what was left out and why."""

    tables: dict[str, RawTable]
    edges: list[Edge]
    skipped: list[str]


def read_raw_schema(manifest: Mapping[str, Any]) -> RawSchema:
    """Sources, seeds, keys and many-to-one edges from a parsed manifest (manifest.json's shape)."""
    tables, by_id = _raw_tables(manifest)
    names = _names(manifest)
    pending: list[tuple[str, str, str, str, str]] = []  # child id, column, parent id, column, origin
    for node in _tests(manifest):
        meta = node["test_metadata"]
        test, kwargs = str(meta.get("name") or ""), meta.get("kwargs") or {}
        child = _subject(node, kwargs, names)
        column = kwargs.get("column_name") or node.get("column_name")
        table = by_id.get(child or "")
        if test == "unique" and table and column:
            table.unique.add(str(column))
        elif test == "not_null" and table and column:
            table.not_null.add(str(column))
        elif test == "unique_combination_of_columns" and table:
            columns = kwargs.get("combination_of_columns") or []
            if columns and not table.primary_key:
                table.primary_key = [str(c) for c in columns]
        elif test == "relationships" and child and column:
            parent = _resolve(str(kwargs.get("to") or ""), names)
            field_name = kwargs.get("field")
            if parent and field_name:
                pending.append((child, str(column), parent, str(field_name), "relationships test"))
    for unique_id, node in _declared(manifest):
        pending.extend(_constraints(unique_id, node, by_id, names))
    edges: list[Edge] = []
    skipped: list[str] = []
    seen: set[Edge] = set()
    for child_id, column, parent_id, parent_column, origin in pending:
        child_table, parent_table = by_id.get(child_id), by_id.get(parent_id)
        if child_table is None or parent_table is None:
            continue  # an edge between models: canon joins raw tables
        if parent_column not in parent_table.unique and parent_table.key() != [parent_column]:
            skipped.append(
                f"{child_table.name}.{column} → {parent_table.name}.{parent_column} ({origin}): "
                f"{parent_table.name}.{parent_column} is not declared unique, so the join could fan out"
            )
            continue
        edge = Edge(child_table.name, column, parent_table.name, parent_column, origin)
        if edge not in seen and child_table.name != parent_table.name:
            seen.add(edge)
            edges.append(edge)
    return RawSchema(tables, sorted(edges, key=lambda e: (e.child_table, e.child_column)), skipped)


def _raw_tables(manifest: Mapping[str, Any]) -> tuple[dict[str, RawTable], dict[str, RawTable]]:
    """Raw tables by name and by every dbt id that declares them (seed and source of one relation merged)."""
    by_relation: dict[tuple[str, ...], RawTable] = {}
    declared = [(s, "source") for s in (manifest.get("sources") or {}).values()]
    declared += [(n, "seed") for n in (manifest.get("nodes") or {}).values() if n.get("resource_type") == "seed"]
    for node, kind in declared:
        if (node.get("config") or {}).get("enabled") is False:
            continue
        identifier = node.get("identifier") or node.get("alias") or node["name"]
        relation = tuple(str(p or "").lower() for p in (node.get("database"), node.get("schema"), identifier))
        table = by_relation.get(relation)
        if table is None:
            table = by_relation[relation] = RawTable(str(identifier), node.get("schema"), node.get("database"), kind)
        elif kind == "seed":
            table.kind = "seed"
        table.unique_ids.append(str(node["unique_id"]))
    tables: dict[str, RawTable] = {}
    for table in sorted(by_relation.values(), key=lambda t: (t.name, t.schema or "")):
        name = table.name
        if name in tables:  # the same identifier in two schemas: the second is named by both
            name = f"{table.schema}__{table.name}"
            table.name = name
        tables[name] = table
    by_id = {uid: t for t in tables.values() for uid in t.unique_ids}
    return tables, by_id


def _names(manifest: Mapping[str, Any]) -> dict[tuple[str, ...], str]:
    """`("source", source_name, table)` / `("ref", name)` → dbt unique id, to resolve `to:` strings."""
    names: dict[tuple[str, ...], str] = {}
    for src in (manifest.get("sources") or {}).values():
        names[("source", str(src["source_name"]), str(src["name"]))] = str(src["unique_id"])
    for node in (manifest.get("nodes") or {}).values():
        if node.get("resource_type") in ("model", "seed", "snapshot"):
            names.setdefault(("ref", str(node["name"])), str(node["unique_id"]))
    return names


def _resolve(text: str, names: Mapping[tuple[str, ...], str]) -> str | None:
    """The dbt id a `source('a', 'b')` / `ref('x')` string points to (None: neither)."""
    if found := _SOURCE_CALL.search(text):
        return names.get(("source", found.group(1), found.group(2)))
    if found := _REF_CALL.search(text):
        name = found.group(2) or found.group(1)  # ref('package', 'model') names the model second
        return names.get(("ref", name))
    return None


def _tests(manifest: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for node in (manifest.get("nodes") or {}).values():
        if node.get("resource_type") != "test" or not node.get("test_metadata"):
            continue
        if (node.get("config") or {}).get("enabled") is False:
            continue
        yield node


def _subject(node: Mapping[str, Any], kwargs: Mapping[str, Any], names: Mapping[tuple[str, ...], str]) -> str | None:
    """The node a generic test is attached to (its `model` argument, e.g. `source('app', 'x')`)."""
    attached = node.get("attached_node")
    if attached:
        return str(attached)
    return _resolve(str(kwargs.get("model") or ""), names)


def _declared(manifest: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every node that may carry constraints (models, seeds, snapshots, sources)."""
    for uid, node in (manifest.get("nodes") or {}).items():
        if node.get("resource_type") in ("model", "seed", "snapshot"):
            yield str(uid), node
    for uid, src in (manifest.get("sources") or {}).items():
        yield str(uid), src


def _constraints(
    unique_id: str,
    node: Mapping[str, Any],
    by_id: Mapping[str, RawTable],
    names: Mapping[tuple[str, ...], str],
) -> list[tuple[str, str, str, str, str]]:
    """Keys recorded on the raw table, and foreign keys returned as pending edges."""
    table = by_id.get(unique_id)
    found: list[tuple[str, str, str, str, str]] = []
    column_constraints = [
        (str(name), c) for name, col in (node.get("columns") or {}).items() for c in (col.get("constraints") or [])
    ]
    model_constraints = [(None, c) for c in (node.get("constraints") or [])]
    for column, constraint in column_constraints + model_constraints:
        kind = str(constraint.get("type") or "")
        columns = [column] if column else [str(c) for c in (constraint.get("columns") or [])]
        if kind == "primary_key" and table and columns:
            table.primary_key = columns
            if len(columns) == 1:
                table.unique.add(columns[0])
                table.not_null.add(columns[0])
        elif kind == "unique" and table and len(columns) == 1:
            table.unique.add(columns[0])
        elif kind == "not_null" and table and len(columns) == 1:
            table.not_null.add(columns[0])
        elif kind == "foreign_key" and len(columns) == 1:
            parent, parent_column = _foreign_target(constraint, names, by_id)
            if parent and parent_column:
                found.append((unique_id, columns[0], parent, parent_column, "foreign key constraint"))
    return found


def _foreign_target(
    constraint: Mapping[str, Any], names: Mapping[tuple[str, ...], str], by_id: Mapping[str, RawTable]
) -> tuple[str | None, str | None]:
    """(parent id, parent column) of a foreign key: `to: ref('x')` + `to_columns`, or `expression: "t (c)"`."""
    to_columns = [str(c) for c in (constraint.get("to_columns") or [])]
    if constraint.get("to"):
        return _resolve(str(constraint["to"]), names), (to_columns[0] if len(to_columns) == 1 else None)
    found = _EXPRESSION_FK.match(str(constraint.get("expression") or ""))
    if not found:
        return None, None
    table_name = found.group(1).replace('"', "").replace("`", "").split(".")[-1].lower()
    parent_columns = [c.strip().strip('"`') for c in found.group(2).split(",")]
    for uid, table in by_id.items():
        if table.name.lower() == table_name and len(parent_columns) == 1:
            return uid, parent_columns[0]
    return None, None
