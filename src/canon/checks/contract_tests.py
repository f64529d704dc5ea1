"""Tests that come from the contract itself: the business definition made executable.

Each test is a query for *offending rows*: zero rows is a pass; otherwise the count and a
small sample are reported. They cover what a definition silently depends on: admitted
values that no longer occur (a typo'd or dead filter), values the contract neither admits nor
excludes (a new enum value nobody decided about), rows that vanish because their measure or
date is NULL, join keys that are not unique (double counting), foreign keys with no parent
(rows silently dropped by a filter), business-rule assertions, and — on the table that
serves the metric — required columns, grain uniqueness and null rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from canon.compiler.relations import Relations
from canon.compiler.trees import join
from canon.compiler.vector import BaseRows, VectorQuery, admitted, base_rows
from canon.contracts.decisions import DecisionVector
from canon.contracts.model import Metric
from canon.contracts.refs import ColumnRef
from canon.contracts.spec import DeclarativeComposition

if TYPE_CHECKING:
    from canon.project import Project


SAMPLE = 5


@dataclass
class ContractTest:
    metric: str
    name: str
    description: str
    count_query: exp.Select
    sample_query: exp.Select
    offending: exp.Select | None = None


@dataclass
class TestResult:
    metric: str
    name: str
    description: str
    failures: int
    sample: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.failures == 0


def _count(query: exp.Select) -> exp.Select:
    sub = exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("offending")))
    return exp.select(exp.Count(this=exp.Star()).as_("failures")).from_(sub)


def _sample(query: exp.Select) -> exp.Select:
    return query.copy().limit(SAMPLE)


def _test(metric: str, name: str, description: str, offending: exp.Select) -> ContractTest:
    return ContractTest(metric, name, description, _count(offending), _sample(offending), offending)


def declarative_tests(project: Project, metric: Metric, relations: Relations | None = None) -> list[ContractTest]:
    """Offending-row queries; `relations` may map sources elsewhere (dbt `source()` placeholders)."""
    comp = metric.composition
    assert isinstance(comp, DeclarativeComposition)
    vector = metric.decisions
    graph = project.join_graph().merged(metric.joins())
    relations = relations or project.relations(project.engine)
    rows = base_rows(VectorQuery(vector, metric.name, extra_edges=metric.joins()), graph, relations)
    tests: list[ContractTest] = []
    name = metric.name

    for ref, values in vector.filter_items:
        table = relations.get(ref.table)
        col = exp.column(ref.column)
        seen = exp.select(col.copy().as_("value")).from_(table).where(admitted(col, values)).distinct()
        missing = [v for v in values if v is not None]
        present = exp.select("value").from_(exp.Subquery(this=seen, alias=exp.TableAlias(this=exp.to_identifier("s"))))
        tests.append(
            _AdmittedExist(
                name,
                f"admitted_values_exist:{ref}",
                f"every value admitted for {ref} ({', '.join(map(str, missing))}) occurs in the warehouse",
                present,
                missing,
            )
        )
    for key, excluded in comp.excluded().items():
        ref = ColumnRef.parse(key)
        known = [*comp.admitted()[key], *excluded]
        table = relations.get(ref.table)
        col = exp.column(ref.column)
        unknown = (
            exp.select(col.copy().as_("value"), exp.Count(this=exp.Star()).as_("rows"))
            .from_(table)
            .where(exp.Not(this=exp.Coalesce(this=admitted(col, known), expressions=[exp.false()])))
            .group_by(col.copy())
        )
        tests.append(
            _test(
                name,
                f"values_classified:{ref}",
                f"every value of {ref} is admitted or excluded by the contract",
                unknown,
            )
        )
    for ref, what in [(vector.measure.column, "measure"), *[(c, "time basis") for c in vector.time_basis.columns[:1]]]:
        offending = rows.select(
            *_row_identity(project, vector, rows), extra=exp.Is(this=rows.qualify(ref), expression=exp.null())
        )
        tests.append(_test(name, f"not_null:{ref}", f"no admitted row has a NULL {what} ({ref})", offending))
    for key_ref in _unique_keys(project, metric):
        table = relations.get(key_ref.table)
        col = exp.column(key_ref.column)
        dup = (
            exp.select(col.copy().as_(key_ref.column), exp.Count(this=exp.Star()).as_("copies"))
            .from_(table)
            .where(exp.Not(this=exp.Is(this=col.copy(), expression=exp.null())))
            .group_by(col.copy())
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        )
        tests.append(_test(name, f"unique:{key_ref}", f"{key_ref} is unique, so joins and counts never double", dup))
    for edge in _edges_used(project, metric):
        child, parent = relations.get(edge.child.table).as_("c"), relations.get(edge.parent.table).as_("p")
        orphans = join(
            exp.select(exp.column(edge.child.column, table="c").as_(edge.child.column)).from_(child),
            parent,
            exp.EQ(this=exp.column(edge.child.column, table="c"), expression=exp.column(edge.parent.column, table="p")),
            "left",
        ).where(
            exp.and_(
                exp.Not(this=exp.Is(this=exp.column(edge.child.column, table="c"), expression=exp.null())),
                exp.Is(this=exp.column(edge.parent.column, table="p"), expression=exp.null()),
            )
        )
        tests.append(_test(name, f"has_parent:{edge.child}", f"every {edge.child} finds its {edge.parent}", orphans))
    for assertion in metric.spec.assertions:
        cond = sqlglot.parse_one(assertion.condition, read="duckdb")
        requalified = cond.transform(
            lambda n: rows.qualify(ColumnRef(n.table, n.name)) if isinstance(n, exp.Column) and n.table else n
        )
        violated = exp.Not(this=exp.Coalesce(this=exp.Paren(this=requalified), expressions=[exp.false()]))
        offending = rows.select(*_row_identity(project, vector, rows), *_cols_in(cond, rows), extra=violated)
        tests.append(
            _test(name, f"assertion:{assertion.name}", assertion.description or assertion.condition, offending)
        )
    return tests


class _AdmittedExist(ContractTest):
    """Passes when every admitted value is found; the 'offending rows' are the missing values."""

    def __init__(
        self, metric: str, name: str, description: str, present: exp.Select, admitted_values: list[Any]
    ) -> None:
        super().__init__(metric, name, description, present, present)
        self.admitted_values = admitted_values


def _row_identity(project: Project, vector: DecisionVector, rows: BaseRows) -> list[exp.Expr]:
    root = vector.measure.column.table
    keys = project.config.sources.get(root)
    cols = [ColumnRef(root, k) for k in (keys.primary_key if keys else [])] or [vector.measure.column]
    return [rows.qualify(c).as_(f"{c.table}__{c.column}") for c in cols]


def _cols_in(tree: exp.Expr, rows: BaseRows) -> list[exp.Expr]:
    refs = sorted({ColumnRef(c.table, c.name) for c in tree.find_all(exp.Column) if c.table})
    return [rows.qualify(r).as_(f"{r.table}__{r.column}") for r in refs]


def _edges_used(project: Project, metric: Metric) -> list[Any]:
    graph = project.join_graph().merged(metric.joins())
    vector = metric.decisions
    root = vector.measure.column.table
    plan = graph.plan(root, vector.tables() | {d.column.table for d in metric.dimensions().values()})
    edges = {path[-1].edge for path in plan.outer.values()}
    return sorted(edges, key=str)


def _unique_keys(project: Project, metric: Metric) -> list[ColumnRef]:
    """The measure table's primary key and every parent key a many-to-one join relies on."""
    vector = metric.decisions
    keys: list[ColumnRef] = []
    root = vector.measure.column.table
    src = project.config.sources.get(root)
    if src and len(src.primary_key) == 1:
        keys.append(ColumnRef(root, src.primary_key[0]))
    keys.extend(e.parent for e in _edges_used(project, metric))
    return list(dict.fromkeys(keys))


def served_table_tests(project: Project, metric: Metric) -> list[ContractTest]:
    """Tests on the table serving the metric: required columns, enums, grain uniqueness, null rules."""
    spec = metric.spec
    if not spec.served_by:
        return []
    parts = spec.served_by.split(".")
    table = exp.table_(parts[-1], db=parts[-2] if len(parts) > 1 else project.relations(project.engine).default_schema)
    tests: list[ContractTest] = []
    for col in spec.served_columns:
        c = exp.column(col.name)
        if col.required and not col.nullable:
            q = exp.select(c.copy()).from_(table.copy()).where(exp.Is(this=c.copy(), expression=exp.null()))
            tests.append(_test(metric.name, f"required:{col.name}", f"{col.name} is never NULL", q))
        if col.enum:
            bad = (
                exp.select(c.copy())
                .from_(table.copy())
                .where(
                    exp.and_(
                        exp.Not(this=exp.Is(this=c.copy(), expression=exp.null())),
                        exp.Not(this=admitted(c, col.enum)),
                    )
                )
            )
            tests.append(_test(metric.name, f"enum:{col.name}", f"{col.name} is one of {', '.join(col.enum)}", bad))
    grain = [*([spec.grain.period_column] if spec.grain.period_column else []), *spec.grain.keys]
    if grain:
        cols = [exp.column(g) for g in grain]
        dup = (
            exp.select(*[c.copy() for c in cols], exp.Count(this=exp.Star()).as_("copies"))
            .from_(table.copy())
            .group_by(*[c.copy() for c in cols])
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        )
        tests.append(_test(metric.name, "grain_unique", f"one row per ({', '.join(grain)})", dup))
    for rule in spec.null_rules:
        cond = sqlglot.parse_one(rule.when, read="duckdb")
        c = exp.column(rule.column)
        reason = exp.column(rule.reason_column)
        broken = exp.or_(
            exp.and_(
                exp.Paren(this=cond.copy()),
                exp.or_(
                    exp.Not(this=exp.Is(this=c.copy(), expression=exp.null())),
                    exp.Not(this=exp.NullSafeEQ(this=reason.copy(), expression=exp.Literal.string(rule.reason))),
                ),
            ),
            exp.and_(
                exp.Not(this=exp.Coalesce(this=exp.Paren(this=cond.copy()), expressions=[exp.false()])),
                exp.Is(this=c.copy(), expression=exp.null()),
                exp.NullSafeEQ(this=reason.copy(), expression=exp.Literal.string(rule.reason)),
            ),
        )
        q = exp.select("*").from_(table.copy()).where(broken)
        tests.append(
            _test(
                metric.name,
                f"null_rule:{rule.column}",
                f"{rule.column} is NULL with {rule.reason} exactly when {rule.when}",
                q,
            )
        )
    return tests


def generate(project: Project, metric: Metric) -> list[ContractTest]:
    tests: list[ContractTest] = []
    if isinstance(metric.composition, DeclarativeComposition):
        tests.extend(declarative_tests(project, metric))
    tests.extend(served_table_tests(project, metric))
    return tests


def run(project: Project, names: Sequence[str] | None = None) -> list[TestResult]:
    chosen = names or sorted(project.metrics)
    project.check_catalog([n for n in chosen if project.metric(n).is_declarative])
    results: list[TestResult] = []
    for name in chosen:
        for test in generate(project, project.metric(name)):
            results.append(_run_one(project, test))
    return results


def _run_one(project: Project, test: ContractTest) -> TestResult:
    engine = project.engine
    if isinstance(test, _AdmittedExist):
        found = set(engine.execute(test.count_query).column("value").to_pylist())
        missing = [v for v in test.admitted_values if v not in found]
        return TestResult(test.metric, test.name, test.description, len(missing), [{"value": v} for v in missing])
    count = engine.scalar(test.count_query)
    failures = int(count) if isinstance(count, int) else 0
    sample = engine.execute(test.sample_query).to_pylist() if failures else []
    return TestResult(test.metric, test.name, test.description, failures, sample)
