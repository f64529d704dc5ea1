"""Load `metrics/*.yml` into validated specs, collecting every problem with its position."""

from __future__ import annotations

import contextlib
import hashlib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin

import sqlglot
from pydantic import BaseModel, ValidationError
from sqlglot import exp

from canon.contracts.names import metric_key
from canon.contracts.spec import ContractSpec, DeclarativeComposition, DerivedComposition, SqlComposition
from canon.contracts.yamlpos import PositionedDoc, load_positioned
from canon.errors import ContractError, Location, Problem, did_you_mean
from canon.sqltree import nesting_depth

if TYPE_CHECKING:
    from canon.contracts.model import Metric


def _fields_at(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """Field names (aliases) allowed at `path` inside `model`, for did-you-mean on extra keys."""
    current: Any = model
    for part in path:
        current = _descend(current, part)
        if current is None:
            return []
    current = _unwrap(current) if not isinstance(current, list) else current
    options = current if isinstance(current, list) else [current]
    names: list[str] = []
    for option in options:
        if isinstance(option, type) and issubclass(option, BaseModel):
            names.extend(f.alias or name for name, f in option.model_fields.items())
    return list(dict.fromkeys(names))


def _descend(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, list):  # a union: take the branch that knows the part
        for option in annotation:
            found = _descend(option, part)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, f in annotation.model_fields.items():
            if part in (name, f.alias):
                return f.annotation
        # discriminated union tags appear in pydantic locs: `declarative`, `sql`...
        return None
    origin = get_origin(annotation)
    if origin in (list, tuple):
        return get_args(annotation)[0] if isinstance(part, int) else None
    if origin is dict:
        return get_args(annotation)[1]
    return None


def _unwrap(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return _unwrap(options[0]) if len(options) == 1 else [_unwrap(o) for o in options]
    return annotation


_TAGS = {"declarative", "sql", "derived"}


def _problems_from_validation(doc: PositionedDoc, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        raw = tuple(err["loc"])
        loc = tuple(p for p in raw if not (isinstance(p, str) and (p in _TAGS or "[" in p)))
        kind = err["type"]
        fix: str | None = None
        if kind == "extra_forbidden" and raw:
            bad = str(raw[-1])  # the key itself, even when it is spelled like a tag (`sql:`) or has `[`
            loc = loc if loc and loc[-1] == raw[-1] else (*loc, raw[-1])
            allowed = _fields_at(ContractSpec, loc[:-1])
            hint = did_you_mean(bad, allowed)
            message = f"unknown key `{bad}`"
            fix = hint or (f"allowed keys here: {', '.join(sorted(allowed))}" if allowed else "remove it")
        elif kind == "missing" and loc:
            message = f"required key `{loc[-1]}` is missing"
            fix = f"add `{loc[-1]}:`"
        else:
            expected = err["msg"].removeprefix("Value error, ")
            message = f"{expected} (got {err.get('input')!r})" if kind != "value_error" else expected
        problems.append(Problem(message=message, location=doc.locate(loc), fix=fix))
    return problems


def load_contract_spec(
    path: Path, text: str | None = None, *, checked_dir: Path | None = None
) -> tuple[ContractSpec, PositionedDoc]:
    """Parse and validate one contract file; raise ContractError listing every problem.

    `checked_dir` (a project's `.canon/cache/checked`) remembers SQL texts already found sound,
    so a large SQL composition is parsed for checking once, not on every command.
    """
    doc = load_positioned(path, text)
    if not isinstance(doc.data, dict):
        raise ContractError("a contract must be a YAML mapping", location=doc.locate(()))
    try:
        spec = ContractSpec.model_validate(doc.data)
    except ValidationError as exc:
        problems = _problems_from_validation(doc, exc)
        raise ContractError(
            f"contract {path.name} has {len(problems)} problem{'s' if len(problems) != 1 else ''}",
            problems=problems,
        ) from None
    problems = sql_problems(spec, doc, checked_dir)
    if problems:
        raise ContractError(
            f"contract {path.name} has {len(problems)} problem{'s' if len(problems) != 1 else ''}",
            problems=problems,
        )
    return spec, doc


# -- SQL text in a contract: parsed when the contract loads, not when a query first needs it --

MAX_SQL_DEPTH = 200  # parentheses; deeper text would exhaust sqlglot's recursive parser
_FILE_READERS = ("read_", "glob", "getenv", "sniff_csv", "parquet_", "_scan", "query_table", "load_", "http")
_STATEMENTS = (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Command, exp.Set, exp.Copy)


def _texts(spec: ContractSpec) -> list[tuple[tuple[str | int, ...], str, str]]:
    """Every SQL text of a contract: (field path, text, what it is) — conditions and expressions."""
    comp = spec.composition
    out: list[tuple[tuple[str | int, ...], str, str]] = []
    if isinstance(comp, DeclarativeComposition):
        if comp.measure.expression:
            out.append((("composition", "measure", "expression"), comp.measure.expression, "expression"))
        out += [(("composition", "predicates", i), p, "condition") for i, p in enumerate(comp.predicates)]
    elif isinstance(comp, DerivedComposition):
        out.append((("composition", "expression"), comp.expression, "expression"))
    elif isinstance(comp, SqlComposition):
        out.append((("composition", "sql"), comp.sql, "query"))
    out += [(("assertions", i, "condition"), a.condition, "condition") for i, a in enumerate(spec.assertions)]
    out += [(("null_rules", i, "when"), r.when, "condition") for i, r in enumerate(spec.null_rules)]
    return out


def _file_reader(name: str) -> bool:
    low = name.lower()
    return any(low.startswith(p) or low.endswith(p) or p == low for p in _FILE_READERS)


def _check_key(spec: ContractSpec) -> str:
    """What the SQL checks depend on: the texts, the declared sources, sqlglot and this module."""
    comp = spec.composition
    sources = sorted([*comp.sources, *comp.optional_sources]) if isinstance(comp, SqlComposition) else []
    parts = [sqlglot.__version__, Path(__file__).read_text(encoding="utf-8"), *sources]
    parts += [f"{path}\x00{text}" for path, text, _ in _texts(spec)]
    return hashlib.sha256("\x01".join(parts).encode("utf-8")).hexdigest()


def sql_problems(spec: ContractSpec, doc: PositionedDoc, checked_dir: Path | None = None) -> list[Problem]:
    """`_sql_problems`, skipped for texts a previous run found sound (a marker in `checked_dir`)."""
    if not _texts(spec):
        return []
    marker = checked_dir / _check_key(spec) if checked_dir is not None else None
    if marker is not None and marker.exists():
        return []
    problems = _sql_problems(spec, doc)
    if marker is not None and not problems:
        with contextlib.suppress(OSError):  # a read-only project checks again next time
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    return problems


def _sql_problems(spec: ContractSpec, doc: PositionedDoc) -> list[Problem]:
    """Each SQL text parses; a SQL composition is one query reading only declared sources.

    Parse errors carry the contract's file:line (the key holding the text) and sqlglot's line
    within the text. A query may not call a table function or a file reader (`read_csv`…) and,
    when the composition lists `sources`/`optional_sources`, may read no other table.
    """
    problems: list[Problem] = []
    for path, text, what in _texts(spec):
        where = doc.locate(path)
        if nesting_depth(text) > MAX_SQL_DEPTH:
            problems.append(Problem(f"the {what} nests deeper than {MAX_SQL_DEPTH} parentheses", where))
            continue
        try:
            tree = sqlglot.parse_one(text, read="duckdb")
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:
            first = (str(exc).splitlines() or ["syntax error"])[0]
            problems.append(
                Problem(f"the {what} does not parse: {first}", where, fix="write it as DuckDB SQL over table.column")
            )
            continue
        except RecursionError:
            problems.append(Problem(f"the {what} nests too deep to parse", where))
            continue
        if what == "query":
            problems += _query_problems(spec, tree, where)
        elif tree is None or isinstance(tree, (exp.Query, *_STATEMENTS)):
            problems.append(Problem(f"the {what} must be an expression, not a statement or query", where))
    return problems


def _query_problems(spec: ContractSpec, tree: exp.Expr | None, where: Location) -> list[Problem]:
    comp = spec.composition
    assert isinstance(comp, SqlComposition)
    if not isinstance(tree, exp.Query):
        return [Problem("the SQL must be one SELECT query", where, fix="remove statements; canon wraps the query")]
    problems: list[Problem] = []
    for node in tree.walk():
        if isinstance(node, _STATEMENTS):
            problems.append(Problem(f"the SQL contains a `{node.key}` statement", where))
        elif isinstance(node, exp.Func):
            name = str(node.name) if isinstance(node, exp.Anonymous) else node.sql_name()
            if _file_reader(name):
                problems.append(
                    Problem(
                        f"the SQL calls `{name.lower()}`, which reads files or the environment",
                        where,
                        fix="read a declared source table instead (load the file with `canon load`)",
                    )
                )
        elif isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
            problems.append(Problem(f"the SQL reads from `{node.this.sql()[:60]}`, not a table", where))
    declared = {s.lower() for s in comp.sources} | {s.lower() for s in comp.optional_sources}
    if not declared:
        return problems  # nothing declared to check against (the warehouse catalog check applies)
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    allowed = declared | ctes | {"canon.reconciliation_targets"}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        name = ".".join(p for p in (table.db, table.name) if p).lower()
        if name not in allowed and table.name.lower() not in ctes:
            problems.append(
                Problem(
                    f"the SQL reads `{name}`, which is not among the composition's declared sources",
                    where,
                    fix=did_you_mean(name, sorted(declared)) or f"add it to `sources:` ({', '.join(sorted(declared))})",
                )
            )
    return problems


def derived_problems(metrics: Mapping[str, Metric]) -> list[Problem]:
    """Derived metrics name metrics that exist, never themselves, and form no cycle.

    Checked once all contracts are read (a cycle spans files): "found a cycle: a → b → a"
    with the file:line of the reference that closes it, instead of a `RecursionError` at the
    first query.
    """
    problems: list[Problem] = []
    edges: dict[str, list[str]] = {}
    for key, metric in metrics.items():
        comp = metric.spec.composition
        if not isinstance(comp, DerivedComposition):
            continue
        doc = metric.doc
        for i, ref in enumerate(comp.metrics):
            where = doc.locate(("composition", "metrics", i)) if doc is not None else Location(file=str(metric.file))
            target = metric_key(ref)
            if target == key:
                problems.append(
                    Problem(f"derived metric `{key}` refers to itself", where, fix="derive it from other metrics")
                )
            elif target not in metrics:
                problems.append(
                    Problem(
                        f"derived metric `{key}` uses unknown metric `{ref}`",
                        where,
                        fix=did_you_mean(target, metrics) or f"known metrics: {', '.join(sorted(metrics))}",
                    )
                )
            else:
                edges.setdefault(key, []).append(target)
    reported: set[frozenset[str]] = set()
    for start in sorted(edges):
        cycle = _cycle_from(start, edges)
        if cycle is None or frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        closer = metrics[cycle[-2]]
        comp = closer.spec.composition
        assert isinstance(comp, DerivedComposition)
        index = next(i for i, r in enumerate(comp.metrics) if metric_key(r) == cycle[-1])
        where = (
            closer.doc.locate(("composition", "metrics", index))
            if closer.doc is not None
            else Location(file=str(closer.file))
        )
        problems.append(
            Problem(
                f"found a cycle: {' → '.join(cycle)}",
                where,
                fix="a derived metric must be computable from metrics that do not depend on it",
            )
        )
    return problems


def _cycle_from(start: str, edges: Mapping[str, list[str]]) -> list[str] | None:
    """The first cycle through `start` (a path start → … → start), iteratively, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, []):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None
