"""Static mode: what an audit can say from SQL alone, when no warehouse is read.

A team whose warehouse nobody has granted access to yet still wants the map of its
definitions. Without a warehouse three things the audit normally asks it are unknown, and
each is replaced here by what the SQL itself states, never by a guess:

- the raw schema: the raw tables are the relations the SQL reads that are neither models nor
  CTEs, their columns the names the SQL uses on them; types are unknown except where the SQL
  treats a column as a date (a date function, a cast to a date, a date literal beside it).
- a column's domain: the literals the condition itself names. `status IN ('paid','pending')`
  admits exactly those values whatever else the column holds; `status <> 'cancelled'` admits
  every value but one of a domain nobody has read, so it is kept as a condition and marked
  unknown instead of being turned into a guessed set. Which kind a condition is, is decided by
  evaluating it (in an in-memory DuckDB, no warehouse) over its literals plus sentinel values
  no literal names: a condition a sentinel passes is open.
- figures: none. Definitions are grouped and their decision points compared; nothing is priced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlglot
import sqlglot.errors
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from canon.audit.domains import Domain, Domains
from canon.audit.sources import ModelSet
from canon.compiler.relations import Relations
from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar, format_value
from canon.engines.duckdb import DuckDBEngine
from canon.errors import CanonError

TEMPORAL_TYPE = "DATE"
_LOW_TEXT, _HIGH_TEXT = "", "\uffff canon: a value no literal names"
_DATE_FUNCTIONS: tuple[type[exp.Expr], ...] = (
    exp.DateTrunc,
    exp.TimestampTrunc,
    exp.DateAdd,
    exp.DateSub,
    exp.DateDiff,
    exp.TimestampAdd,
    exp.TimestampSub,
    exp.TimestampDiff,
    exp.TsOrDsToDate,
    exp.ConvertTimezone,
    exp.AtTimeZone,
    exp.Extract,
    exp.TimeToStr,
    exp.DateToDateStr,
    exp.LastDay,
)
_DATE_TYPES = {exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ}
_DATE_TYPES |= {exp.DataType.Type.TIMESTAMPLTZ, exp.DataType.Type.TIMESTAMPNTZ, exp.DataType.Type.DATETIME}
_DATE_SUFFIXES = ("_date", "_at", "_ts", "_on")


def parsed_models(models: ModelSet) -> dict[str, exp.Expr]:
    """Each model's SQL parsed once in its dialect (a model sqlglot cannot read is left out here;
    the audit's own stages report it as a failure with sqlglot's message)."""
    trees: dict[str, exp.Expr] = {}
    for name, model in models.models.items():
        try:
            tree = sqlglot.parse_one(model.sql, read=model.dialect)
        except sqlglot.errors.SqlglotError:
            continue
        if tree is not None:
            trees[name] = tree
    return trees


def raw_tables_in_sql(trees: dict[str, exp.Expr], models: set[str]) -> list[str]:
    """Relations the SQL reads that are neither models nor CTEs: the raw tables of a SQL folder."""
    lowered = {m.lower() for m in models}
    found: set[str] = set()
    for tree in trees.values():
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            name = table.name.lower()
            if name and name not in ctes and name not in lowered and isinstance(table.this, exp.Identifier):
                found.add(name)
    return sorted(found)


def static_schema(models: ModelSet) -> dict[str, dict[str, str]]:
    """Raw table → {column: type} from the SQL alone: names as used, `DATE` where used as a date.

    A column is attributed to a raw table when it is qualified by that table's alias, or read
    unqualified from a scope whose only source is that table. A model that passes a raw table
    through with `SELECT *` lends that table the columns its readers use on it.
    """
    trees = parsed_models(models)
    raw_of: dict[str, set[str]] = {}  # model → raw tables it passes through with *
    used_on_model: dict[str, set[str]] = {}  # model → column names its readers use on it
    columns: dict[str, dict[str, str]] = {}
    dates: set[str] = set()
    for name, tree in trees.items():
        try:
            scopes = traverse_scope(tree)
        except (sqlglot.errors.SqlglotError, RecursionError):
            continue
        for scope in scopes:
            targets: dict[str, tuple[str, str]] = {}  # alias → ("raw"|"model", name)
            for alias, source in scope.sources.items():
                if isinstance(source, exp.Table):
                    found = models.match(source)
                    if isinstance(found, str):
                        targets[alias] = ("raw", found)
                    elif found is not None:
                        targets[alias] = ("model", found.name)
            only = next(iter(targets.values())) if len(scope.sources) == 1 and targets else None
            if only is not None and only[0] == "raw" and any(isinstance(s, exp.Star) for s in _selects(scope)):
                raw_of.setdefault(name, set()).add(only[1])
            # a name the SELECT itself defines is its own (a lateral alias: `x AS a, f(a) AS b`), not the table's
            defined = {sel.alias.lower() for sel in _selects(scope) if isinstance(sel, exp.Alias) and sel.alias}
            for col in scope.columns:
                target = targets.get(col.table) if col.table else only
                if target is None or not col.name:
                    continue
                if not col.table and col.name.lower() in defined and not _selected_as_is(col):
                    continue
                if _used_as_date(col):
                    dates.add(col.name.lower())
                name_ = col.name.lower()  # unquoted names are case-insensitive in every dialect read here
                if target[0] == "raw":
                    columns.setdefault(target[1], {})[name_] = ""
                else:
                    used_on_model.setdefault(target[1], set()).add(name_)
    changed = True
    while changed:  # pass-through chains: readers of stg (select * from raw) name raw's columns
        changed = False
        for model, names in list(used_on_model.items()):
            for raw in raw_of.get(model, ()):
                for used in names:
                    if used not in columns.setdefault(raw, {}):
                        columns[raw][used] = ""
                        changed = True
    # a raw table whose columns the SQL never names is left out: a schema without columns is no schema
    return {
        table: {c: TEMPORAL_TYPE if _is_date_name(c, dates) else "" for c in cols}
        for table, cols in columns.items()
        if cols
    }


def _selects(scope: Any) -> list[exp.Expr]:
    expression = scope.expression
    return list(expression.expressions) if isinstance(expression, exp.Select) else []


def _used_as_date(col: exp.Column) -> bool:
    """The SQL treats this column as a date: inside a date function, cast to a date, or beside one."""
    node: exp.Expr | None = col.parent
    for _ in range(3):
        if node is None:
            return False
        if isinstance(node, _DATE_FUNCTIONS):
            return True
        if isinstance(node, exp.Cast) and node.to.this in _DATE_TYPES:
            return True
        if isinstance(node, exp.Binary) and not isinstance(node, exp.Connector):
            other = node.expression if node.this is col else node.this
            if isinstance(other, exp.Cast) and other.to.this in _DATE_TYPES and not other.find(exp.Column):
                return True
            if isinstance(other, exp.CurrentDate | exp.CurrentTimestamp):
                return True
        node = node.parent
    return False


def _is_date_name(column: str, dates: set[str]) -> bool:
    lowered = column.lower()
    return lowered in dates or lowered.endswith(_DATE_SUFFIXES)


@dataclass
class StaticDomains(Domains):
    """Domains decided by the literals of each condition, evaluated without the warehouse.

    `admitted` returns the values a closed condition admits (`IN`, `=`, `ILIKE` a literal),
    None for an open one (`<>`, `NOT IN`) whose result depends on values nobody has read;
    `unknown(ref, condition)` then says in words what the condition keeps, for the report.
    """

    engine: DuckDBEngine = field(default_factory=DuckDBEngine)
    relations: Relations = field(default_factory=Relations)
    open: dict[tuple[ColumnRef, str], str] = field(default_factory=dict)
    # the values a project's `accepted_values` tests declare, by (raw table, column) lower-cased:
    # a closed domain any condition on the column is evaluated against
    declared: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def domain(self, ref: ColumnRef) -> Domain:
        """Never read: an unknown domain (capped, so no caller treats it as the full set)."""
        return Domain([], False, capped=True, unknown=True)

    def excludes_nothing(self, condition: exp.Expr, refs: set[ColumnRef]) -> bool:
        """Whether a condition keeps every row depends on the data: static mode cannot say."""
        return False

    def is_date_key(self, ref: ColumnRef) -> bool:
        """Whether an integer column holds YYYYMMDD days is in the data: static mode cannot say."""
        return False

    def calendar_key(self, key: ColumnRef, date: ColumnRef) -> str | None:
        """Whether a table is a calendar is in the data: static mode cannot say."""
        return None

    def admitted(self, ref: ColumnRef, condition: exp.Expr, raw_node_match: Any) -> frozenset[Scalar] | None:
        declared = self.declared.get((ref.table.lower(), ref.column.lower()))
        literals = ([*declared], []) if declared else _literals(condition)
        if literals is None:
            self.open[(ref, condition.sql())] = "a condition on values the SQL does not name (domain not read)"
            return None
        named, sentinels = literals
        # a declared domain is what the column holds (NULL is not declared); otherwise NULL may be there
        candidates: list[Scalar] = [*named, *sentinels] if declared else [*named, *sentinels, None]
        substituted = condition.copy().transform(lambda n: exp.column("v", table="d") if raw_node_match(n) else n)
        rows = [exp.Tuple(expressions=[exp.Literal.number(i), _literal(v)]) for i, v in enumerate(candidates)]
        values = exp.Values(
            expressions=rows,
            alias=exp.TableAlias(this=exp.to_identifier("d"), columns=[exp.to_identifier("i"), exp.to_identifier("v")]),
        )
        query = exp.select(exp.column("i", table="d")).from_(values).where(substituted)
        try:
            hits = {candidates[i] for i in self.engine.execute(query).column("i").to_pylist()}
        except (CanonError, sqlglot.errors.SqlglotError):
            self.open[(ref, condition.sql())] = "a condition static mode cannot evaluate (domain not read)"
            return None
        if any(s in hits for s in sentinels):
            kept_out = [v for v in named if v not in hits]
            listed = "{" + ", ".join(format_value(v) for v in kept_out) + "}"
            self.open[(ref, condition.sql())] = (
                f"all values but {listed} of a domain not read (static: unknown)"
                if kept_out
                else "values beyond those the SQL names, of a domain not read (static: unknown)"
            )
            return None
        return frozenset(hits)

    def unknown(self, ref: ColumnRef, condition: exp.Expr) -> str | None:
        return self.open.get((ref, condition.sql()))


def _literals(condition: exp.Expr) -> tuple[list[Scalar], list[Scalar]] | None:
    """The values a condition names and sentinels it does not (None: nothing to evaluate with).

    Booleans have a closed domain (no sentinel); text and numbers get one value below and one
    above every literal, so a range condition cannot pass unseen either.
    """
    if any(isinstance(n, exp.Boolean) for n in condition.walk()) or _bare_column(condition):
        return [True, False], []
    texts = sorted({n.this for n in condition.find_all(exp.Literal) if n.is_string})
    numbers = sorted({_number(n.this) for n in condition.find_all(exp.Literal) if not n.is_string})
    if texts and not numbers:
        return list(texts), [_LOW_TEXT, _HIGH_TEXT] if _LOW_TEXT not in texts else [_HIGH_TEXT]
    if numbers and not texts:
        return list(numbers), [min(numbers) - 1, max(numbers) + 1]
    return None


def _bare_column(condition: exp.Expr) -> bool:
    node = condition.this if isinstance(condition, exp.Not) else condition
    return isinstance(node, exp.Column)


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _literal(value: Scalar) -> exp.Expr:
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def _selected_as_is(col: exp.Column) -> bool:
    """`amount::NUMBER AS amount` reads the table's `amount`: a column inside the very select item
    whose alias it shares is the table's, not a lateral reference to itself."""
    item = col.find_ancestor(exp.Alias)
    return item is not None and item.alias.lower() == col.name.lower()
