"""Inline a model's upstream models as CTEs until only raw tables remain, then qualify it.

After inlining, one query holds the whole chain (refs, staging, CTEs, subqueries), so
lineage and predicates can be followed to raw columns through sqlglot's scopes. Every node
keeps the model and line it came from (for archaeology).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.qualify import qualify

from canon.audit import budget
from canon.audit.sources import ModelSet, ModelSource
from canon.errors import UserError

MODEL_KEY = "canon_model"
CTE_PREFIX = "__model__"


class ParseFailure(UserError):
    """A model's SQL could not be parsed; the audit lists it instead of guessing."""


def parse_model(model: ModelSource) -> exp.Query:
    try:
        tree = sqlglot.parse_one(model.sql, read=model.dialect)
    except sqlglot.errors.ParseError as exc:
        raise ParseFailure(f"cannot parse model {model.name} ({model.path}): {str(exc).splitlines()[0]}") from None
    if not isinstance(tree, exp.Query):
        raise ParseFailure(f"model {model.name} is not a SELECT query")
    tree = dates_formatted(tree, model.dialect)
    for node in tree.walk():
        if node.meta.get("line") is not None:
            node.meta[MODEL_KEY] = model.name
    return tree


_DATE_TOKENS = re.compile(r"YYYY|YY|MM|DD|HH|MI|SS|Q|IW|MON", re.IGNORECASE)


def dates_formatted(tree: exp.Query, dialect: str | None) -> exp.Query:
    """`TO_CHAR(d, 'YYYY-MM')` as the date formatting it is, in the model's own format language.

    Without the column's type, sqlglot reads TO_CHAR as a number/text conversion and a
    DuckDB rendering drops the format (`CAST(d AS TEXT)`); a period key built that way
    compares whole dates with months. A format made of date tokens settles it.
    """
    read = Dialect.get_or_raise(dialect)

    def fix(node: exp.Expr) -> exp.Expr:
        fmt = node.args.get("format") if isinstance(node, exp.ToChar) else None
        if isinstance(fmt, exp.Literal) and fmt.is_string and _DATE_TOKENS.search(fmt.this):
            converted = read.format_time(fmt)
            if converted is not None:
                return exp.TimeToStr(this=node.this, format=converted)
        return node

    fixed = tree.transform(fix)
    assert isinstance(fixed, exp.Query)
    return fixed


def aggregates_money_kind(tree: exp.Query) -> bool:
    """Whether a model's own SQL aggregates with anything but COUNT (cheap first sort of models)."""
    return any(not isinstance(agg, exp.Count) for agg in tree.find_all(exp.AggFunc))


def cte_name(model: str) -> str:
    return f"{CTE_PREFIX}{model}"


def model_of_cte(name: str) -> str | None:
    return name[len(CTE_PREFIX) :] if name.startswith(CTE_PREFIX) else None


class Inliner:
    """Caches parsed models; builds the inlined query for any model."""

    def __init__(self, models: ModelSet) -> None:
        self.models = models
        self._parsed: dict[str, exp.Query] = {}
        self._rewritten: dict[str, tuple[exp.Query, dict[str, None]]] = {}

    def parsed(self, name: str) -> exp.Query:
        if name not in self._parsed:
            self._parsed[name] = parse_model(self.models.models[name])
        return self._parsed[name]

    def _rewrite_refs(self, tree: exp.Query, needed: dict[str, None]) -> exp.Query:
        """Point table references at model CTEs or bare raw identifiers; record models needed."""
        tree = tree.copy()
        local_ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for table in list(tree.find_all(exp.Table)):
            if not table.name or (not table.db and table.name.lower() in local_ctes):
                continue
            target = self.models.match(table)
            if target is None:
                continue
            alias = table.alias or table.name
            if isinstance(target, ModelSource):
                needed.setdefault(target.name, None)
                new = exp.table_(cte_name(target.name))
            else:
                new = exp.table_(target)
            new.this.meta.update(table.this.meta)
            new.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
            table.replace(new)
        return tree

    def inline(self, name: str) -> exp.Query:
        """The model as one query over raw tables (upstream models as CTEs, in dependency order)."""
        needed: dict[str, None] = {}
        root = self._rewrite_refs(self.parsed(name), needed)
        bodies: dict[str, exp.Query] = {}
        order: list[str] = []
        stack: list[str] = list(needed)
        while stack:
            budget.check()  # a model with hundreds of upstream models stops at its budget
            current = stack.pop()
            if current in bodies or current == name:
                continue
            if current not in self._rewritten:
                deps: dict[str, None] = {}
                self._rewritten[current] = (self._rewrite_refs(self.parsed(current), deps), deps)
            body, deps = self._rewritten[current]
            bodies[current] = body.copy()
            stack.extend(d for d in deps if d not in bodies)
        order = _topological(bodies, self)
        if not order:
            return root
        ctes = [exp.CTE(this=bodies[m], alias=exp.TableAlias(this=exp.to_identifier(cte_name(m)))) for m in order]
        existing = root.args.get("with_")
        if existing is not None:
            ctes.extend(existing.expressions)
        root.set("with_", exp.With(expressions=ctes))
        return root


def _topological(bodies: Mapping[str, exp.Query], inliner: Inliner) -> list[str]:
    deps = {
        m: {model_of_cte(t.name) for t in body.find_all(exp.Table) if model_of_cte(t.name)}
        for m, body in bodies.items()
    }
    order: list[str] = []
    done: set[str] = set()

    def visit(m: str, trail: tuple[str, ...]) -> None:
        if m in done:
            return
        if m in trail:
            raise ParseFailure(f"models reference each other in a cycle: {' → '.join((*trail, m))}")
        for d in sorted(x for x in deps.get(m, set()) if x):
            visit(d, (*trail, m))
        done.add(m)
        order.append(m)

    for m in sorted(bodies):
        visit(m, ())
    return order


def qualified(tree: exp.Query, schema: Mapping[str, Mapping[str, str]], dialect: str) -> exp.Query:
    """Qualify every column with its source alias and expand stars (raw schemas from the warehouse)."""
    try:
        out = qualify(
            tree,
            schema={k: dict(v) for k, v in schema.items()},
            dialect=dialect,
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
        )
    except sqlglot.errors.OptimizeError as exc:
        raise ParseFailure(f"cannot resolve columns: {exc}") from None
    assert isinstance(out, exp.Query)
    return decorrelated_projections(out)


def decorrelated_projections(tree: exp.Query) -> exp.Query:
    """Correlated scalar subqueries in SELECT lists as the LEFT JOINs they are equal to.

    `(SELECT SUM(i.price * i.qty) FROM items AS i WHERE i.order_id = o.id) AS gross` is the
    per-order sum of items LEFT-joined on the order: sqlglot's decorrelation writes it so, and
    the lineage then reads an amount and its join as in any other model. Subqueries in WHERE
    (semi- and anti-joins) are left as they are: the lineage reads those as matches.
    """
    from sqlglot.helper import name_sequence
    from sqlglot.optimizer.scope import traverse_scope
    from sqlglot.optimizer.unnest_subqueries import decorrelate

    if not any(isinstance(s.parent, exp.Subquery) for s in tree.find_all(exp.Select)):
        return tree
    names = name_sequence("_canon_sq_")
    for scope in traverse_scope(tree):
        select = scope.expression
        parent = select.parent_select if isinstance(select, exp.Select) else None
        if parent is None or not scope.external_columns or not isinstance(select.parent, exp.Subquery):
            continue
        node: exp.Expr = select.parent
        while node.parent is not None and node.parent is not parent:
            node = node.parent
        if node.arg_key != "expressions":  # not a projection of its parent (WHERE, JOIN, FROM)
            continue
        try:
            decorrelate(select, parent, scope.external_columns, names)
        except (sqlglot.errors.SqlglotError, ValueError, KeyError, AttributeError):
            continue  # a shape sqlglot does not rewrite: left as is (and said unmappable later)
    return tree
