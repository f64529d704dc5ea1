"""The models an audit reads: compiled SQL per model, from dbt's own manifest or a SQL folder.

For dbt projects the SQL is what dbt compiled (`dbt compile`, dbt's parser and Jinja), never a
hand-rendered template. Each model knows its relation so references between models can be
matched however they are spelled (quoted, schema- or database-qualified).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from canon.errors import ConfigError, Location, UserError


@dataclass(frozen=True)
class ModelSource:
    name: str
    sql: str
    path: str  # file the SQL came from, relative to the project root
    relation: tuple[str, ...]  # lower-cased (database, schema, identifier), as many parts as known
    dialect: str = "duckdb"
    deprecated: bool = False
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    description: str = ""
    patch_path: str | None = None  # the YAML file documenting the model (dbt), relative to the project

    @property
    def identifier(self) -> str:
        return self.relation[-1]


@dataclass(frozen=True)
class Exposure:
    name: str
    type: str
    owner: str | None
    models: tuple[str, ...]
    url: str | None = None


@dataclass
class ModelSet:
    """All models of a project plus the raw source tables they read."""

    models: dict[str, ModelSource]
    raw_tables: dict[str, tuple[str, ...]]  # raw identifier → relation parts
    exposures: list[Exposure] = field(default_factory=list)
    dialect: str = "duckdb"
    source_refs: dict[str, tuple[str, str]] = field(default_factory=dict)  # raw identifier → (source, table)
    failed: dict[str, str] = field(default_factory=dict)  # model that did not compile → dbt's own message
    notes: list[str] = field(default_factory=list)  # what loading must tell the reader (missing packages)
    # (raw table, column), lower-cased → the values the project's `accepted_values` test declares
    accepted_values: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def match(self, table: exp.Table) -> ModelSource | str | None:
        """The model or raw table a table reference points to (None: neither, e.g. a CTE)."""
        parts = tuple(p.lower() for p in (table.catalog, table.db, table.name) if p)
        if not parts:
            return None
        for kind, target, relation in self._by_name().get(parts[-1], ()):
            if _suffix_match(parts, relation):
                return target if kind == "model" else str(target)
        return None

    def _by_name(self) -> dict[str, list[tuple[str, ModelSource | str, tuple[str, ...]]]]:
        """Relations indexed by their last name part (models first), built once."""
        index = self.__dict__.get("_index")
        if index is None:
            index = {}
            for model in self.models.values():
                index.setdefault(model.relation[-1], []).append(("model", model, model.relation))
            for ident, relation in self.raw_tables.items():
                index.setdefault(relation[-1], []).append(("raw", ident, relation))
            self.__dict__["_index"] = index
        return index


def _suffix_match(ref: tuple[str, ...], relation: tuple[str, ...]) -> bool:
    """`"main"."x"` matches (warehouse, main, x); bare `x` matches any relation named x."""
    if not ref or len(ref) > len(relation):
        return False
    return relation[-len(ref) :] == ref


def _relation_parts(relation_name: str | None, fallback: str) -> tuple[str, ...]:
    if not relation_name:
        return (fallback.lower(),)
    table = exp.to_table(relation_name, dialect="duckdb")
    return tuple(p.lower() for p in (table.catalog, table.db, table.name) if p)


def from_manifest(
    manifest_path: Path, project_root: Path, *, include_analyses: bool = False, dialect: str | None = None
) -> ModelSet:
    """Models and sources from a dbt manifest.json written by `dbt compile`.

    With `include_analyses`, dbt analyses (compiled, never built) are read as models too: teams
    keep board queries there. The SQL is read in the dialect of the manifest's adapter unless
    `dialect` says otherwise (a Snowflake project compiled against a local DuckDB profile).
    """
    kinds = {"model", "analysis"} if include_analyses else {"model"}
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    adapter = data.get("metadata", {}).get("adapter_type") or "duckdb"
    if dialect is None:
        from canon.dbt.adapter import ADAPTER_DIALECTS

        dialect = ADAPTER_DIALECTS.get(adapter, "duckdb")
    models: dict[str, ModelSource] = {}
    for node in data.get("nodes", {}).values():
        if node.get("resource_type") not in kinds:
            continue
        sql = node.get("compiled_code") or node.get("compiled_sql")
        if not sql:
            continue
        raw = node.get("raw_code") or ""
        deprecated = bool(node.get("deprecation_date")) or "-- DEPRECATED" in raw.upper()[:400]
        models[node["name"]] = ModelSource(
            name=node["name"],
            sql=sql,
            path=node.get("original_file_path") or node.get("path") or "",
            relation=_relation_parts(node.get("relation_name"), node["name"]),
            dialect=dialect,
            deprecated=deprecated,
            meta=node.get("meta") or node.get("config", {}).get("meta") or {},
            description=node.get("description") or "",
            patch_path=(node.get("patch_path") or "").split("://", 1)[-1] or None,
        )
    raw_tables = {
        src["identifier"] or src["name"]: _relation_parts(src.get("relation_name"), src["name"])
        for src in data.get("sources", {}).values()
    }
    # Seeds are raw data too: models `ref()` them, and a team's exclusion lists and test
    # fixtures live there. A source of the same name wins (it is the declared raw table).
    for node in data.get("nodes", {}).values():
        if node.get("resource_type") == "seed":
            ident = node.get("alias") or node["name"]
            raw_tables.setdefault(ident, _relation_parts(node.get("relation_name"), ident))
    source_refs = {
        src["identifier"] or src["name"]: (src["source_name"], src["name"]) for src in data.get("sources", {}).values()
    }
    exposures = []
    for e in data.get("exposures", {}).values():
        deps = tuple(n.split(".")[-1] for n in e.get("depends_on", {}).get("nodes", []) if n.startswith("model."))
        owner = (e.get("owner") or {}).get("name") or (e.get("owner") or {}).get("email")
        exposures.append(Exposure(e["name"], e.get("type", ""), owner, deps, e.get("url")))
    out = ModelSet(models, raw_tables, exposures, dialect, source_refs)
    out.accepted_values = _accepted_values(data)
    return out


def _accepted_values(manifest: dict[str, Any]) -> dict[tuple[str, str], tuple[str, ...]]:
    """The domains a project declares for its raw tables' columns (`accepted_values` on a source or seed).

    Static mode reads no data; a column's declared values are then what an open condition
    (`contract_type <> 'pilot'`) is evaluated against, instead of staying unknown.
    """
    raw: dict[str, str] = {}
    for key, src in manifest.get("sources", {}).items():
        raw[key] = (src.get("identifier") or src["name"]).lower()
    for key, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") == "seed":
            raw[key] = (node.get("alias") or node["name"]).lower()
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for node in manifest.get("nodes", {}).values():
        meta = node.get("test_metadata") or {}
        if node.get("resource_type") != "test" or meta.get("name") != "accepted_values" or meta.get("namespace"):
            continue
        kwargs = meta.get("kwargs") or {}
        column, values = kwargs.get("column_name") or node.get("column_name"), kwargs.get("values")
        parents = [n for n in (node.get("depends_on") or {}).get("nodes", []) if n in raw]
        if not column or not isinstance(values, list) or len(parents) != 1 or (node.get("config") or {}).get("where"):
            continue
        out[(raw[parents[0]], str(column).lower())] = tuple(str(v) for v in values)
    return out


def from_sql_dir(folder: Path, dialect: str, raw_tables: Iterable[str], project_root: Path | None = None) -> ModelSet:
    """Every `*.sql` file under `folder` is a model named after the file."""
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder", location=Location(parameter="sql_dir"))
    models: dict[str, ModelSource] = {}
    base = project_root or folder
    for path in sorted(folder.rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        if "{{" in text or "{%" in text:
            raise ConfigError(
                f"{path} contains Jinja; plain-SQL mode reads SQL only",
                location=Location(file=str(path)),
                fix="audit it as a dbt project (run canon inside the dbt project) or compile it first",
            )
        name = path.stem
        if name in models:
            raise ConfigError(
                f"two SQL files define model `{name}`", location=Location(file=str(path)), fix="rename one of them"
            )
        rel = str(path.relative_to(base)) if path.is_relative_to(base) else str(path)
        models[name] = ModelSource(
            name=name,
            sql=text,
            path=rel,
            relation=(name.lower(),),
            dialect=dialect,
            deprecated="-- DEPRECATED" in text.upper()[:400],
        )
    return ModelSet(models, {t: (t.lower(),) for t in raw_tables}, [], dialect)
