"""The declared schema of raw tables: dbt source YAML (and `canon.yml` sources).

A dbt project already says what its raw tables must look like: each source column's
`data_type` and its data tests (`unique`, `not_null`, `accepted_values`, `relationships`).
Loading enforces exactly those declarations, so the rules live in one place the team
already reviews. Both spellings of tests are read: dbt 1.10+ (`data_tests:` with
`arguments:`) and the older `tests:` with inline arguments.

A test that only warns (`severity: warn`), is disabled, or is restricted by `where:` is not
enforced at load time (it would quarantine rows the project accepts); the table records
why, and the load report lists it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canon.config import CONFIG_FILE, ProjectConfig
from canon.contracts.yamlpos import PositionedDoc, load_positioned
from canon.errors import Location, UserError, did_you_mean
from canon.load.types import ColumnType, parse_data_type

_STR = r"""\s*['"]([^'"]+)['"]\s*"""
_SOURCE_RE = re.compile(rf"^source\({_STR},{_STR}\)$")
_REF_RE = re.compile(rf"^ref\({_STR}(?:,{_STR})?(?:,\s*v(?:ersion)?\s*=\s*[^)]*)?\)$")


@dataclass(frozen=True)
class DeclaredColumn:
    name: str
    type: ColumnType
    not_null: bool = False
    accepted_values: tuple[str, ...] | None = None
    location: Location = field(default_factory=Location)


@dataclass(frozen=True)
class ForeignKey:
    """`column` must match a row of the parent's `parent_column` (dbt `relationships`)."""

    column: str
    parent_column: str
    target: str  # as written: source('acme', 'raw_accounts') or ref('stg_accounts')
    parent_source: tuple[str, str] | None  # (source, table) when the parent is a source
    parent_model: str | None  # model name when the parent is a ref()
    location: Location = field(default_factory=Location)


@dataclass(eq=False)
class DeclaredTable:
    """One raw table as the project declares it; `columns` empty means "whatever the file has"."""

    name: str
    source: str | None
    schema: str | None
    identifier: str
    columns: list[DeclaredColumn] = field(default_factory=list)
    unique_keys: list[tuple[str, ...]] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()  # key columns that are also required (canon.yml, constraints)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    location: Location = field(default_factory=Location)
    unenforced: list[str] = field(default_factory=list)

    @property
    def qualified(self) -> str:
        return f"{self.source}.{self.name}" if self.source else self.name

    def column(self, name: str) -> DeclaredColumn | None:
        return next((c for c in self.columns if c.name.casefold() == name.casefold()), None)


@dataclass
class DeclaredSchema:
    """Every declared raw table, addressable by name (or `source.name` when names collide)."""

    tables: dict[str, DeclaredTable] = field(default_factory=dict)
    yaml_files: list[str] = field(default_factory=list)

    def find(self, name: str) -> DeclaredTable | None:
        if name in self.tables:
            return self.tables[name]
        matches = [t for t in self.tables.values() if name in (t.name, t.qualified, t.identifier)]
        return matches[0] if len(matches) == 1 else None

    def by_source(self, source: str, table: str) -> DeclaredTable | None:
        return next((t for t in self.tables.values() if t.source == source and t.name == table), None)

    def require(self, name: str, location: Location | None = None) -> DeclaredTable:
        found = self.find(name)
        if found is None:
            hint = did_you_mean(name, self.tables)
            where = ", ".join(self.yaml_files) or f"{CONFIG_FILE} `sources:`"
            raise UserError(
                f"table `{name}` is not declared as a source",
                location=location,
                fix=hint or f"declare it under `sources:` in {where}, or use one of: {', '.join(self.tables)}",
            )
        return found


# --------------------------------------------------------------------------- dbt YAML


def dbt_paths(root: Path) -> tuple[list[Path], list[Path]]:
    """Model and seed folders from `dbt_project.yml` (dbt's defaults when absent)."""
    models, seeds = ["models"], ["seeds"]
    project = root / "dbt_project.yml"
    if project.exists():
        data = load_positioned(project).data or {}
        if isinstance(data, dict):
            models = [str(p) for p in data.get("model-paths") or data.get("source-paths") or models]
            seeds = [str(p) for p in data.get("seed-paths") or data.get("data-paths") or seeds]
    return [root / p for p in models], [root / p for p in seeds]


def _is_jinja(value: object) -> bool:
    return isinstance(value, str) and "{{" in value


def _test_entries(node: Mapping[str, Any]) -> Iterable[tuple[int | str, Any, str]]:
    """(index, entry, key) of each test under `data_tests:` (dbt ≥ 1.8) or `tests:` (older)."""
    for key in ("data_tests", "tests"):
        for i, entry in enumerate(node.get(key) or []):
            yield i, entry, key


def _split_test(entry: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A test entry → (name, arguments, config), accepting both dbt spellings."""
    if isinstance(entry, str):
        return entry, {}, {}
    if not isinstance(entry, dict) or len(entry) != 1:
        return "", {}, {}
    name, body = next(iter(entry.items()))
    body = dict(body or {}) if isinstance(body, dict) else {}
    config = dict(body.pop("config", None) or {})
    args = dict(body.pop("arguments", None) or {})
    for key in ("severity", "where", "enabled", "error_if", "warn_if"):
        if key in body:
            config.setdefault(key, body.pop(key))
    body.pop("name", None)
    return str(name), {**body, **args}, config


def _short_test_name(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _unenforced_reason(config: Mapping[str, Any]) -> str | None:
    if config.get("enabled") is False:
        return "disabled"
    if str(config.get("severity", "error")).lower() == "warn":
        return "severity: warn"
    if config.get("where"):
        return "restricted by `where:`"
    return None


class _TableReader:
    """Reads one `sources[].tables[]` entry of one YAML document."""

    def __init__(self, doc: PositionedDoc, source: Mapping[str, Any], si: int, default_schema: str | None):
        self.doc = doc
        self.source_name = str(source.get("name"))
        schema = source.get("schema")
        # dbt: a source's schema defaults to the source's name.
        self.schema = default_schema if _is_jinja(schema) else str(schema or self.source_name)
        self.si = si

    def read(self, table: Mapping[str, Any], ti: int) -> DeclaredTable:
        base: list[str | int] = ["sources", self.si, "tables", ti]
        name = str(table.get("name") or "")
        if not name:
            raise UserError(
                "a source table has no `name`",
                location=self.doc.locate(base),
                fix="give every entry under `tables:` a name",
            )
        ident = table.get("identifier")
        out = DeclaredTable(
            name=name,
            source=self.source_name,
            schema=self.schema,
            identifier=str(ident) if ident and not _is_jinja(ident) else name,
            location=self.doc.locate(base),
        )
        for ci, col in enumerate(table.get("columns") or []):
            out.columns.append(self._column(out, col, [*base, "columns", ci]))
        for i, entry, key in _test_entries(table):
            self._table_test(out, entry, [*base, key, i])
        return out

    def _column(self, table: DeclaredTable, col: Mapping[str, Any], path: list[str | int]) -> DeclaredColumn:
        name = str(col.get("name") or "")
        loc = self.doc.locate(path)
        if not name:
            raise UserError("a column has no `name`", location=loc, fix="name every entry under `columns:`")
        ctype = parse_data_type(col.get("data_type"), self.doc.locate([*path, "data_type"]))
        not_null = False
        accepted: tuple[str, ...] | None = None
        for constraint in col.get("constraints") or []:
            kind = str((constraint or {}).get("type", "")).lower()
            if kind in ("not_null", "primary_key"):
                not_null = True
            if kind in ("unique", "primary_key"):
                table.unique_keys.append((name,))
        for i, entry, key in _test_entries(col):
            tpath = [*path, key, i]
            test, args, config = _split_test(entry)
            short = _short_test_name(test)
            if short not in ("unique", "not_null", "accepted_values", "relationships"):
                continue
            why = _unenforced_reason(config)
            if why:
                table.unenforced.append(f"{short} on `{name}` ({why})")
                continue
            if short == "not_null":
                not_null = True
            elif short == "unique":
                table.unique_keys.append((name,))
            elif short == "accepted_values":
                values = args.get("values")
                if not isinstance(values, list) or not values:
                    raise UserError(
                        f"accepted_values on `{name}` has no `values` list",
                        location=self.doc.locate(tpath),
                        fix="write `arguments: {values: [...]}` (dbt ≥ 1.10) or `values: [...]`",
                    )
                accepted = tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
            else:
                table.foreign_keys.append(self._relationship(name, args, tpath))
        return DeclaredColumn(name=name, type=ctype, not_null=not_null, accepted_values=accepted, location=loc)

    def _relationship(self, column: str, args: Mapping[str, Any], path: list[str | int]) -> ForeignKey:
        loc = self.doc.locate(path)
        to = str(args.get("to") or "").strip()
        if to.startswith("{{") and to.endswith("}}"):
            to = to[2:-2].strip()
        field_ = args.get("field")
        if not to or not field_:
            raise UserError(
                f"relationships test on `{column}` needs `to` and `field`",
                location=loc,
                fix="write `arguments: {to: source('src', 'table'), field: id}`",
            )
        src = _SOURCE_RE.match(to)
        ref = _REF_RE.match(to)
        if not src and not ref:
            raise UserError(
                f"relationships `to: {to}` is neither source('…', '…') nor ref('…')",
                location=loc,
                fix="point `to` at source('source_name', 'table') or ref('model')",
            )
        return ForeignKey(
            column=column,
            parent_column=str(field_),
            target=to,
            parent_source=(src.group(1), src.group(2)) if src else None,
            parent_model=(ref.group(2) or ref.group(1)) if ref else None,
            location=loc,
        )

    def _table_test(self, table: DeclaredTable, entry: Any, path: list[str | int]) -> None:
        test, args, config = _split_test(entry)
        if _short_test_name(test) != "unique_combination_of_columns":
            return
        why = _unenforced_reason(config)
        cols = args.get("combination_of_columns")
        if why:
            table.unenforced.append(f"unique_combination_of_columns ({why})")
        elif isinstance(cols, list) and cols:
            table.unique_keys.append(tuple(str(c) for c in cols))
        else:
            raise UserError(
                "unique_combination_of_columns has no `combination_of_columns` list",
                location=self.doc.locate(path),
                fix="list the key columns under `combination_of_columns:`",
            )


def read_dbt_sources(root: Path, default_schema: str | None = None) -> DeclaredSchema:
    """Every source table declared in the project's model YAML files."""
    schema = DeclaredSchema()
    model_dirs, _ = dbt_paths(root)
    files = sorted({p for d in model_dirs if d.is_dir() for pattern in ("*.yml", "*.yaml") for p in d.rglob(pattern)})
    for path in files:
        text = path.read_text(encoding="utf-8")
        if "sources" not in text:
            continue
        doc = load_positioned(path, text)
        if not isinstance(doc.data, dict) or not isinstance(doc.data.get("sources"), list):
            continue
        doc.file = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        schema.yaml_files.append(doc.file)
        for si, source in enumerate(doc.data["sources"]):
            if not isinstance(source, dict) or not source.get("name"):
                continue
            reader = _TableReader(doc, source, si, default_schema)
            for ti, table in enumerate(source.get("tables") or []):
                if isinstance(table, dict):
                    _add(schema, reader.read(table, ti))
    return schema


def _add(schema: DeclaredSchema, table: DeclaredTable) -> None:
    key = table.name
    if key in schema.tables:
        other = schema.tables.pop(key)
        schema.tables[other.qualified] = other
        key = table.qualified
        if key in schema.tables:
            raise UserError(
                f"source table `{key}` is declared twice",
                location=table.location,
                fix=f"remove one of the declarations (the other is at {schema.tables[key].location})",
            )
    schema.tables[key] = table


# --------------------------------------------------------------------------- canon.yml


def merge_canon_sources(schema: DeclaredSchema, config: ProjectConfig) -> None:
    """Add `canon.yml` sources: a `primary_key` is a uniqueness rule (and implies not-null)."""
    for name, spec in config.sources.items():
        loc = Location(file=CONFIG_FILE, field=f"sources.{name}")
        sch, ident = None, name
        if spec.relation:
            parts = spec.relation.split(".")
            sch, ident = (parts[-2] if len(parts) > 1 else None), parts[-1]
        table = schema.find(name)
        if table is None:
            table = DeclaredTable(
                name=name,
                source=None,
                schema=sch or config.warehouse.schema_,
                identifier=ident,
                location=loc,
            )
            _add(schema, table)
        if not spec.primary_key:
            continue
        key = tuple(spec.primary_key)
        table.primary_key = key
        if key not in table.unique_keys:
            table.unique_keys.insert(0, key)
        if table.columns:
            for i, col in enumerate(table.columns):
                if col.name in key and not col.not_null:
                    table.columns[i] = DeclaredColumn(col.name, col.type, True, col.accepted_values, col.location)
            missing = [c for c in key if table.column(c) is None]
            if missing:
                raise UserError(
                    f"primary_key column `{missing[0]}` is not a declared column of `{name}`",
                    location=Location(file=CONFIG_FILE, field=f"sources.{name}.primary_key"),
                    fix=did_you_mean(missing[0], [c.name for c in table.columns]) or "list columns the table declares",
                )


def declared_schema(root: Path, config: ProjectConfig | None) -> DeclaredSchema:
    """The project's declared raw tables: dbt sources first, then canon.yml sources."""
    schema = read_dbt_sources(root, config.warehouse.schema_ if config else None)
    if config is not None:
        merge_canon_sources(schema, config)
    return schema
