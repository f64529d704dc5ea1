"""The dbt files canon writes for a signed metric, generated from the contract's decisions.

The canonical model is compiled by the same compiler that answers queries (so the model and
`canon query` cannot disagree), with the definition spelled out in columns: the recognition
period, the dimensions, the raw values each filter reads, and flags such as `is_recurring` and
`is_pilot` named after what the values mean (from the knowledge base, by value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from canon.audit.domains import Domains
from canon.checks import contract_tests
from canon.compiler.relations import Relations
from canon.compiler.vector import VectorQuery, admitted, base_rows, scaled
from canon.contracts.model import Metric
from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar, sorted_values
from canon.dbt.model_sql import model_sql, ref_table, source_table
from canon.kb.model import knowledge_base

if TYPE_CHECKING:
    from canon.project import Project

FLAG_NAMES = {
    "recurring": "is_recurring",
    "one_time": "is_one_time",
    "credit": "is_credit",
    "usage": "is_usage",
    "paid": "is_paid",
    "pending": "is_pending",
    "void": "is_void",
    "live": "is_active",
    "churned": "is_churned",
    "not_live": "is_not_live",
    "paused": "is_paused",
    "refunded": "is_refunded",
}
TEST_NAMES = {
    "trial": "pilots",
    "one_time": "one_time",
    "credit": "credits",
    "usage": "usage",
    "void": "void",
    "pending": "pending",
    "churned": "churned",
    "not_live": "not_live",
}


@dataclass
class ColumnDoc:
    name: str
    description: str
    tests: list[Any] = field(default_factory=list)


@dataclass
class Entity:
    """A table the canonical rows join many-to-one, as a MetricFlow entity (`account`, `contract`).

    `column` is the canonical model's column holding the key (a foreign entity there);
    `dimensions` are the metric's dimensions read from that table, served by a small dimension
    model whose primary entity it is, so they are named by their entity (`account__segment`).
    """

    name: str
    table: str
    key: str  # the table's unique column the edge points to
    column: str  # the canonical model's column holding that key
    source: ColumnRef  # the raw column that column reads (the edge's many side, or the key itself)
    dimensions: list[tuple[str, ColumnRef]] = field(default_factory=list)
    model: str = ""  # the dimension model's name: dim_<metric>_<entity>, so metrics never share one


@dataclass
class Flag:
    name: str
    concept: str
    admitted: bool
    expression: exp.Expr
    description: str


def period_column(grain: str) -> str:
    return f"recognition_{grain}"


def amount_column(metric: Metric) -> str:
    return f"{metric.name}_amount"


def short_name(table: str) -> str:
    """raw_invoices → invoice (for readable output column names)."""
    name = re.sub(r"^(raw|src|stg|source|base)_", "", table.lower())
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def placeholder_relations(source_refs: dict[str, tuple[str, str]]) -> Relations:
    return Relations({ident: source_table(ident) for ident in source_refs})


def render(query: exp.Expression, dialect: str, source_refs: dict[str, tuple[str, str]] | None = None) -> str:
    return model_sql(query, dialect, source_refs)


def flags_for(metric: Metric, domains: Domains, qualify: Any) -> list[Flag]:
    kb = knowledge_base()
    vector = metric.decisions
    by_concept: dict[str, list[tuple[ColumnRef, list[Scalar], bool]]] = {}
    for column, values in vector.filter_items:
        dom = domains.domain(column)
        # in their total order, not the set's: a set of strings iterates in an order that
        # changes with PYTHONHASHSEED, and the flags (columns, tests) follow this order
        cls = kb.classify(sorted_values(list(dom.all)))
        if cls is None:
            continue
        for concept in dict.fromkeys(cls.concepts.values()):
            members = [v for v, c in cls.concepts.items() if c == concept]
            by_concept.setdefault(concept, []).append((column, members, set(members) <= set(values)))
    flags: list[Flag] = []
    for concept, entries in by_concept.items():
        if concept == "trial":
            pilots = any(str(v).strip().lower() in ("pilot", "pilots") for _, m, _ in entries for v in m)
            name = "is_pilot" if pilots else "is_trial"
        elif concept in FLAG_NAMES:
            name = FLAG_NAMES[concept]
        else:
            continue
        all_admitted = all(a for _, _, a in entries)
        parts = [admitted(qualify(col), members) for col, members, _ in entries]
        expression = exp.and_(*parts) if all_admitted else exp.or_(*parts)
        where = ", ".join(f"{col} ∈ {{{', '.join(str(v) for v in sorted_values(m))}}}" for col, m, _ in entries)
        flags.append(Flag(name, concept, all_admitted, expression, f"{concept.replace('_', ' ')}: {where}"))
    return flags


@dataclass
class CanonicalModel:
    sql: str
    docs: list[ColumnDoc]
    entities: list[Entity]


def canonical_model_sql(
    project: Project, metric: Metric, source_refs: dict[str, tuple[str, str]], domains: Domains
) -> CanonicalModel:
    vector = metric.decisions
    grain = metric.spec.grain.time
    first = last = None
    if vector.time_basis.kind == "range":
        cur = project.current_period
        if cur is not None:
            last = cur
            first = cur.shift(-35)
    dims = tuple(metric.dimensions().values())
    q = VectorQuery(vector, amount_column(metric), grain, dims, first=first, last=last, extra_edges=metric.joins())
    rows = base_rows(q, project.join_graph(), placeholder_relations(source_refs))
    period = period_column(grain)
    docs = [
        ColumnDoc(period, f"The {grain} the amount is recognized in: {vector.time_basis.describe()}.", ["not_null"])
    ]
    select: list[exp.Expr] = [rows.period.as_(period)]
    for d in dims:
        select.append(rows.qualify(d.column).as_(d.name))
        docs.append(ColumnDoc(d.name, f"Dimension `{d.name}` ({d.column})."))
    entities = entities_for(project, metric, set(rows.alias_of))
    taken = {period, *(d.name for d in dims)}
    for entity in entities:
        if entity.column in taken:
            continue
        select.append(rows.qualify(entity.source).as_(entity.column))
        taken.add(entity.column)
        docs.append(ColumnDoc(entity.column, f"The {entity.name} each row belongs to ({entity.source})."))
    for column, values in vector.filter_items:
        name = f"{short_name(column.table)}_{column.column}"
        select.append(rows.qualify(column).as_(name))
        vals = [v for v in sorted_values(list(values))]
        docs.append(
            ColumnDoc(
                name,
                f"{column}; the definition admits {', '.join(map(str, vals))}.",
                [{"accepted_values": {"arguments": {"values": vals}}}] if all(isinstance(v, str) for v in vals) else [],
            )
        )
    for flag in flags_for(metric, domains, rows.qualify):
        select.append(flag.expression.as_(flag.name))
        expect = [True] if flag.admitted else [False]
        docs.append(
            ColumnDoc(
                flag.name,
                f"True when the row is {flag.description}.",
                [{"accepted_values": {"arguments": {"values": expect, "quote": False}}}],
            )
        )
    amount = scaled(
        exp.Sum(this=rows.measure(vector.measure)),
        vector.measure.scale.numerator,
        vector.measure.scale.denominator,
        round_to_integer=False,
    )
    select.append(amount.as_(amount_column(metric)))
    docs.append(ColumnDoc(amount_column(metric), f"{metric.label}: sum of {vector.measure.describe()}.", ["not_null"]))
    query = rows.select(*select)
    keys = [exp.Literal.number(i + 1) for i in range(len(select) - 1)]
    query = query.group_by(*keys)
    return CanonicalModel(model_sql(query, project.engine.dialect, source_refs), docs, entities)


def entities_for(project: Project, metric: Metric, tables: set[str]) -> list[Entity]:
    """The tables the canonical rows reach many-to-one (canon.yml's relationships and the
    contract's joins), one entity each, named by the table (`raw_accounts` → `account`).

    An entity's key column is a dimension that already holds it when there is one (the contract
    says `account_id` is `raw_contracts.account_id`, an edge to `raw_accounts.account_id`),
    otherwise the edge's many side, added to the model under the key's own name. Edges are read
    in a fixed order so two builds choose alike.
    """
    dims = metric.dimensions()
    by_column = {d.column: name for name, d in dims.items()}
    root = metric.decisions.measure.column.table
    graph = project.join_graph().merged(metric.joins())
    edges = sorted(
        (e for e in graph.edges if e.child.table in tables and e.parent.table in tables and e.parent.table != root),
        key=lambda e: (e.parent.table, e.child not in by_column and e.parent not in by_column, str(e)),
    )
    out: dict[str, Entity] = {}
    for edge in edges:
        name = short_name(edge.parent.table)
        if name in out or any(e.table == edge.parent.table for e in out.values()):
            continue
        column = by_column.get(edge.child) or by_column.get(edge.parent) or edge.parent.column
        source = edge.child if edge.child in by_column or edge.parent not in by_column else edge.parent
        out[name] = Entity(
            name, edge.parent.table, edge.parent.column, column, source, model=f"dim_{metric.name}_{name}"
        )
    keys = {e.column for e in out.values()}
    for entity in out.values():
        entity.dimensions = [
            (n, d.column) for n, d in dims.items() if d.column.table == entity.table and n not in keys and not d.path
        ]
    return list(out.values())


def dimension_model_sql(entity: Entity, dialect: str, source_refs: dict[str, tuple[str, str]]) -> str:
    """One row per key of the entity's table with the metric's dimensions read from it."""
    table = source_table(entity.table)
    table.set("alias", exp.TableAlias(this=exp.to_identifier(entity.table)))
    select = [exp.column(entity.key, entity.table).as_(entity.key)]
    select += [exp.column(col.column, entity.table).as_(name) for name, col in entity.dimensions]
    return model_sql(exp.select(*select).from_(table), dialect, source_refs)


def contract_test_sql(project: Project, metric: Metric, source_refs: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The contract's offending-row tests as dbt singular tests (name → SQL)."""
    out: dict[str, str] = {}
    for test in contract_tests.declarative_tests(project, metric, placeholder_relations(source_refs)):
        if isinstance(test, contract_tests._AdmittedExist) or test.offending is None:
            continue
        name = re.sub(r"[^a-z0-9]+", "_", f"canon_{metric.name}__{test.name}".lower()).strip("_")
        text = model_sql(test.offending, project.engine.dialect, source_refs)
        out[name] = f"-- {test.description}\n" + text + "\n"
    return out


def business_rule_tests(metric: Metric, model: str, flags: list[str], dialect: str) -> dict[str, str]:
    """`assert_<metric>_no_<concept>` for every excluded concept the canonical model flags."""
    out: dict[str, str] = {}
    names = {
        "is_pilot": "pilots",
        "is_trial": "trials",
        "is_one_time": "one_time",
        "is_credit": "credits",
        "is_usage": "usage",
        "is_void": "void",
        "is_pending": "pending",
        "is_churned": "churned",
        "is_not_live": "not_live",
    }
    for flag in flags:
        if flag not in names:
            continue
        query = exp.select("*").from_(ref_table(model)).where(exp.column(flag))
        out[f"assert_{metric.name}_no_{names[flag]}"] = (
            f"-- {metric.label} never includes rows where {flag} (business rule from the signed contract)\n"
            + render(query, dialect)
            + "\n"
        )
    return out
