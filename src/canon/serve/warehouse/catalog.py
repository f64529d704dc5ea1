"""The whitelist resolved against the warehouse: every exposed table and its typed columns.

Configuration names tables and a few columns; the warehouse catalog supplies the rest (every
column, its engine type, its nullability). Resolution checks the two agree — each configured
table, key, date and overridden column exists, keys are served and dates are dates — and
reports every mismatch at once, located in canon.yml.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from canon.config import CONFIG_FILE
from canon.config.serve import ColumnType, DomainConfig, ServeConfig, TableConfig
from canon.contracts.yamlpos import load_positioned
from canon.engines import Engine
from canon.errors import ConfigError, Location, Problem, did_you_mean, hint_or_list
from canon.serve.encoding import manifest_type


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool
    description: str | None
    engine_type: str
    source: str | None = None  # the warehouse column, when an API version serves it renamed

    @property
    def physical(self) -> str:
        return self.source or self.name


@dataclass(frozen=True)
class DateColumn:
    name: str
    kind: str  # "date", "timestamp" or "timestamptz"


@dataclass(frozen=True)
class Table:
    """One exposed table with everything a page query and the manifest need."""

    name: str
    schema: str
    relation: str
    description: str
    primary_key: str
    cursor_column: str
    date: DateColumn | None
    columns: tuple[Column, ...]
    keyset: tuple[str, ...]

    def column(self, physical: str) -> Column:
        """The served column reading warehouse column `physical`."""
        return next(c for c in self.columns if c.physical == physical)

    def served_name(self, physical: str) -> str:
        return self.column(physical).name

    @property
    def kinds(self) -> list[str]:
        """Encodings: the manifest type, except engine JSON columns embedded without re-parsing."""
        return ["json_raw" if c.type == "json" and "json" in c.engine_type.lower() else c.type for c in self.columns]

    def ref(self) -> exp.Table:
        return exp.table_(self.relation, db=self.schema)


@dataclass(frozen=True)
class Domain:
    name: str
    schema: str
    description: str
    tables: dict[str, Table]


def catalog_columns(engine: Engine, schema: str, table: str) -> list[tuple[str, str, bool]]:
    """(name, engine type, nullable) of a table's columns in order; empty when it does not exist."""
    isc = exp.table_("columns", db="information_schema")
    query = (
        exp.select("column_name", "data_type", "is_nullable")
        .from_(isc)
        .where(
            exp.and_(
                exp.column("table_schema").eq(exp.Literal.string(schema)),
                exp.column("table_name").eq(exp.Literal.string(table)),
            )
        )
        .order_by("ordinal_position")
    )
    rows = engine.execute(query).to_pylist()
    return [(r["column_name"], str(r["data_type"]), str(r["is_nullable"]).upper() != "NO") for r in rows]


def _date_kind(engine_type: str) -> str | None:
    t = engine_type.lower()
    if t == "date":
        return "date"
    if t.startswith("timestamp"):
        return "timestamptz" if ("with time zone" in t or t.startswith("timestamptz")) else "timestamp"
    return None


class _Locator:
    """Positions in canon.yml for error messages (best effort: plain field paths otherwise)."""

    def __init__(self, root: Path | None) -> None:
        self._doc = None
        if root is not None and (root / CONFIG_FILE).exists():
            try:
                self._doc = load_positioned(root / CONFIG_FILE)
            except Exception:
                self._doc = None

    def __call__(self, *path: str) -> Location:
        full = ("serve", *path)
        if self._doc is not None:
            return self._doc.locate(full)
        return Location(file=CONFIG_FILE, field=".".join(full))


def resolve_table(
    engine: Engine, domain: str, schema: str, name: str, cfg: TableConfig, locate: _Locator
) -> tuple[Table | None, list[Problem]]:
    where = ("domains", domain, "tables", name)
    relation = cfg.relation or name
    found = catalog_columns(engine, schema, relation)
    if not found:
        known = _tables(engine, schema)
        hint = did_you_mean(relation, known)
        return None, [
            Problem(
                f"table `{schema}.{relation}` does not exist in the warehouse",
                locate(*where),
                fix=hint or f"tables in `{schema}`: {', '.join(known) or '(none)'}",
            )
        ]
    names = [c[0] for c in found]
    problems: list[Problem] = []

    def need(column: str | None, *field: str) -> None:
        if column is not None and column not in names:
            problems.append(
                Problem(
                    f"`{schema}.{relation}` has no column `{column}`",
                    locate(*where, *field),
                    fix=hint_or_list(column, names, "columns"),
                )
            )

    need(cfg.primary_key, "primary_key")
    need(cfg.cursor_column, "cursor_column")
    need(cfg.date_column, "date_column")
    for col in cfg.columns:
        need(col, "columns", col)
    for col in cfg.exclude_columns:
        need(col, "exclude_columns")
    for key in {*cfg.keyset(), *([cfg.date_column] if cfg.date_column else [])}:
        if key in cfg.exclude_columns:
            problems.append(
                Problem(f"`{key}` is a key or date column and must be served", locate(*where, "exclude_columns"))
            )
    if problems:
        return None, problems
    types = {c[0]: c[1] for c in found}
    date: DateColumn | None = None
    if cfg.date_column:
        kind = _date_kind(types[cfg.date_column])
        if kind is None:
            problems.append(
                Problem(
                    f"date column `{cfg.date_column}` is {types[cfg.date_column]}, not a date or timestamp",
                    locate(*where, "date_column"),
                    fix="name a DATE or TIMESTAMP column, or drop date_column",
                )
            )
            return None, problems
        date = DateColumn(cfg.date_column, kind)
    keys = set(cfg.keyset())
    columns = []
    for col_name, engine_type, nullable in found:
        if col_name in cfg.exclude_columns:
            continue
        over = cfg.columns.get(col_name)
        kind_ = (over.type if over else None) or manifest_type(engine_type)
        null_ = over.nullable if over and over.nullable is not None else nullable
        columns.append(
            Column(
                name=col_name,
                type=kind_,
                nullable=False if col_name in keys else null_,
                description=over.description if over else None,
                engine_type=engine_type,
            )
        )
    return (
        Table(
            name=name,
            schema=schema,
            relation=relation,
            description=cfg.description,
            primary_key=cfg.primary_key,
            cursor_column=cfg.cursor,
            date=date,
            columns=tuple(columns),
            keyset=cfg.keyset(),
        ),
        [],
    )


def _tables(engine: Engine, schema: str) -> list[str]:
    try:
        return engine.tables(schema)
    except Exception:
        return []


def resolve_domains(engine: Engine, serve: ServeConfig | None, root: Path | None = None) -> dict[str, Domain]:
    """Every configured domain checked against the warehouse; all problems raised together."""
    if serve is None:
        return {}
    locate = _Locator(root)
    problems: list[Problem] = []
    out: dict[str, Domain] = {}
    for dname, dcfg in serve.domains.items():
        out[dname] = _resolve_domain(engine, dname, dcfg, locate, problems)
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in the served warehouse domains", problems=problems)
    return out


def _resolve_domain(engine: Engine, name: str, cfg: DomainConfig, locate: _Locator, problems: list[Problem]) -> Domain:
    tables: dict[str, Table] = {}
    for tname, tcfg in cfg.tables.items():
        table, found = resolve_table(engine, name, cfg.schema_, tname, tcfg, locate)
        problems.extend(found)
        if table is not None:
            tables[tname] = table
    return Domain(name=name, schema=cfg.schema_, description=cfg.description, tables=tables)
