"""Questions about metrics: several metrics, one grain, a breakdown, a filter, a period range.

Each metric compiles to its own subquery (declarative, SQL or derived); several are then
joined on period and dimensions with NULL-safe full outer joins so a period present in one
metric and absent in another still appears.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import sqlglot
from sqlglot import exp

from canon.compiler import balances, movements, windows
from canon.compiler import compare as comparing
from canon.compiler.compare import Comparison
from canon.compiler.filters import validate_filter
from canon.compiler.joins import JoinGraph
from canon.compiler.periods import Grain, Period, period_start_sql
from canon.compiler.relations import Relations
from canon.compiler.trees import parse_duckdb
from canon.compiler.vector import BIGINT, DATE, DECIMAL, PERIOD_COLUMN, VectorQuery, compile_vector, literal, scaled
from canon.contracts.model import DimensionRef, Metric
from canon.contracts.names import metric_key
from canon.contracts.refs import ColumnRef
from canon.contracts.spec import DeclarativeComposition, DerivedComposition, MovementComposition, SqlComposition
from canon.errors import Location, QueryError, did_you_mean, hint_or_list

ValueKind = Literal["money", "count", "ratio", "bps"]


@dataclass(frozen=True)
class Question:
    metrics: tuple[str, ...]
    grain: Grain = "month"
    by: tuple[str, ...] = ()
    where: str | None = None
    first: Period | None = None
    last: Period | None = None
    compare: Comparison | None = None  # each period beside its previous one (`canon.compiler.compare`)
    window: windows.Window | None = None  # to-date or trailing sums over periods (`canon.compiler.windows`)


def value_kind(metric: Metric) -> ValueKind:
    comp = metric.composition
    if isinstance(comp, DeclarativeComposition):
        if comp.measure.aggregation in ("count", "count_distinct") or comp.measure.unit == "count":
            return "count"
        return "money"
    unit = comp.unit
    if unit in ("major", "minor"):
        return "money"
    if unit == "count":
        return "count"
    return "bps" if unit == "bps" else "ratio"


def value_column(metric: Metric) -> str:
    """The output column of a metric: `<name>_cents` for money, `<name>` otherwise."""
    return f"{metric.name}_cents" if value_kind(metric) == "money" else metric.name


def parse_where(text: str, metric: Metric) -> exp.Expression:
    """`--where` through the one filter validator: bare names are dimensions, `table.column`
    names a column of a table the metric reads (see `canon.compiler.filters`)."""
    dims = {name: exp.column(d.column.column, table=d.column.table) for name, d in metric.dimensions().items()}
    tables = {ref.table for ref, _ in referenced_columns(metric)}
    tree = validate_filter(text, dims, tables)
    assert isinstance(tree, exp.Expression)  # a condition: parse_filter refused anything else
    return tree


def find_metric(name: str, metrics: Mapping[str, Metric]) -> Metric | None:
    """The metric called `name` in any case (`MRR` is `mrr`), or None."""
    if name in metrics:
        return metrics[name]
    key = metric_key(name)
    return next((m for k, m in metrics.items() if metric_key(k) == key), None)


def lookup_metric(name: str, metrics: Mapping[str, Metric]) -> Metric:
    """The metric called `name` (case-insensitively), or the error that names the closest one."""
    found = find_metric(name, metrics)
    if found is None:
        raise QueryError(
            f"unknown metric `{name}`",
            location=Location(parameter="metric"),
            fix=hint_or_list(name, sorted(metrics), "known metrics"),
        )
    return found


def empty_period(first: Period, last: Period) -> QueryError:
    return QueryError(
        f"empty period: --from {first} is after --to {last}",
        location=Location(parameter="period_from"),
        fix="swap the two, or widen the range",
    )


def _dimensions_for(metric: Metric, by: Sequence[str]) -> tuple[DimensionRef, ...]:
    dims = metric.dimensions()
    out = []
    for name in by:
        if name not in dims:
            raise QueryError(
                f"metric `{metric.name}` has no dimension `{name}`",
                location=Location(parameter="by"),
                fix=hint_or_list(name, sorted(dims), empty="(none declared)"),
            )
        out.append(dims[name])
    return tuple(out)


def compile_metric(
    metric: Metric,
    question: Question,
    metrics: Mapping[str, Metric],
    graph: JoinGraph,
    relations: Relations,
) -> exp.Select:
    """One metric's subquery: period_start, the `by` dimensions, and its value column."""
    if metric.spec.window is not None:
        return _windowed_metric(
            metric, windows.Window.from_spec(metric.spec.window), question, metrics, graph, relations
        )
    return _compile_unwindowed(metric, question, metrics, graph, relations)


def _compile_unwindowed(
    metric: Metric,
    question: Question,
    metrics: Mapping[str, Metric],
    graph: JoinGraph,
    relations: Relations,
) -> exp.Select:
    comp = metric.composition
    name = value_column(metric)
    if isinstance(comp, MovementComposition):
        batch = movements.batches([metric], metrics, value_column)[metric.name]
        return _compile_movements(batch, question, metrics, graph, relations)
    if isinstance(comp, DeclarativeComposition):
        dims = _dimensions_for(metric, question.by)
        where = parse_where(question.where, metric) if question.where else None
        vq = VectorQuery(
            vector=metric.decisions,
            value_name=name,
            grain=question.grain,
            dimensions=dims,
            where=where,
            first=question.first,
            last=question.last,
            extra_edges=metric.joins(),
        )
        as_cents = value_kind(metric) == "money"
        if balances.needs_period_end(question.grain) and windows.additivity(metric, metrics) == "balance":
            # MRR for a quarter is the MRR of its last month, never the sum of its three months
            return balances.balance_at_period_end(vq, question.first, question.last, graph, relations, as_cents)
        return compile_vector(vq, graph, relations, as_cents=as_cents)
    if isinstance(comp, SqlComposition):
        return _compile_sql(metric, comp, question, name)
    return _compile_derived(metric, comp, question, metrics, graph, relations, name)


def _compile_sql(metric: Metric, comp: SqlComposition, question: Question, name: str) -> exp.Select:
    if not comp.period_column or not comp.value_column:
        served = ", ".join(c.name for c in metric.spec.served_columns[:6])
        raise QueryError(
            f"`{metric.name}` is a grouping of several served columns ({served}…), not one value to aggregate",
            location=Location(parameter="metric"),
            fix=f"read it with `canon mart show {metric.name}`, or give its composition a `value_column` "
            "(and a date `period_column`) to query it like a metric",
        )
    try:
        inner = parse_duckdb(comp.sql)
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"the SQL of `{metric.name}` does not parse: {exc}") from None
    src = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("m")))
    period_col = exp.column(comp.period_column, table="m")
    period = period_start_sql(exp.cast(period_col.copy(), DATE.copy()), question.grain, question.first, question.last)
    dims = [exp.column(d, table="m").as_(d) for d in question.by]
    value = exp.Sum(this=exp.column(comp.value_column, table="m"))
    out: exp.Expression = value
    if value_kind(metric) == "money":
        out = scaled(value, 100 if comp.unit == "major" else 1, 1, round_to_integer=True)
    query = exp.select(period.as_(PERIOD_COLUMN), *dims, out.as_(name)).from_(src)
    conds: list[exp.Expr] = []
    if question.first is not None:
        conds.append(exp.GTE(this=period_col.copy(), expression=literal(question.first.start)))
    if question.last is not None:
        conds.append(exp.LT(this=period_col.copy(), expression=literal(question.last.end)))
    if question.where:
        # the SQL's output columns named as dimensions, nothing else: the same validator as declarative metrics
        outputs = {name: exp.column(name, table="m") for name in metric.spec.dimensions}
        conds.append(validate_filter(question.where, outputs))
    if conds:
        query = query.where(exp.and_(*conds))
    keys = [exp.Literal.number(i + 1) for i in range(1 + len(dims))]
    return query.group_by(*keys)


def _compile_derived(
    metric: Metric,
    comp: DerivedComposition,
    question: Question,
    metrics: Mapping[str, Metric],
    graph: JoinGraph,
    relations: Relations,
    name: str,
) -> exp.Select:
    inputs = derived_inputs(metric, comp, metrics)
    joined = join_on_keys([compile_metric(m, question, metrics, graph, relations) for m in inputs], question.by)
    value = derived_value(metric, comp, inputs)
    keys = [exp.column(PERIOD_COLUMN, table="j"), *[exp.column(d, table="j") for d in question.by]]
    sub = exp.Subquery(this=joined, alias=exp.TableAlias(this=exp.to_identifier("j")))
    return exp.select(*[k.as_(k.name) for k in keys], value.as_(name)).from_(sub)


def derived_inputs(metric: Metric, comp: DerivedComposition, metrics: Mapping[str, Metric]) -> list[Metric]:
    """The metrics a derived metric's expression reads, found case-insensitively."""
    inputs = []
    for ref in comp.metrics:
        found = find_metric(ref, metrics)
        if found is None:
            raise QueryError(
                f"derived metric `{metric.name}` uses unknown metric `{ref}`", fix=did_you_mean(ref, metrics)
            )
        if metric_key(ref) == metric_key(metric.name):
            raise QueryError(f"derived metric `{metric.name}` refers to itself")
        inputs.append(found)
    return inputs


def derived_value(metric: Metric, comp: DerivedComposition, inputs: Sequence[Metric]) -> exp.Expression:
    """The derived expression over columns `j.<input value column>`, rounded once when money or a count."""
    try:
        expr = parse_duckdb(comp.expression)
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"the expression of `{metric.name}` does not parse: {exc}") from None
    columns = {m.name: value_column(m) for m in inputs}  # `m.name` is already folded (`MRR` → `mrr`)

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and metric_key(node.name) in columns:
            return exp.cast(exp.column(columns[metric_key(node.name)], table="j"), DECIMAL.copy(), copy=False)
        return node

    value: exp.Expression = expr.transform(swap)
    if value_kind(metric) in ("money", "count"):
        value = exp.cast(exp.Round(this=value, decimals=exp.Literal.number(0)), BIGINT.copy(), copy=False)
    return value


def compile_shared(
    chosen: Sequence[Metric],
    question: Question,
    metrics: Mapping[str, Metric],
    graph: JoinGraph,
    relations: Relations,
) -> tuple[exp.Select, int]:
    """Several metrics with every base metric compiled and scanned once, however many derive from it.

    Compiling each derived metric over its own inputs would scan a base metric once per path
    to it (80 derived metrics over 10 bases: hundreds of scans, and a compile that grows with
    every layer). Instead the base (declarative and SQL) metrics the question reaches are
    compiled once each and joined on period and dimensions; derived metrics are then computed
    as columns, one SELECT per layer of derivation, each layer carrying only the columns later
    layers or the answer still read. Returns the query and the number of base subqueries.
    """
    bases: dict[str, Metric] = {}
    layer_of: dict[str, int] = {}
    derived: dict[str, tuple[Metric, DerivedComposition, list[Metric]]] = {}

    def visit(metric: Metric, path: tuple[str, ...]) -> int:
        if metric.name in path:
            raise QueryError(f"derived metrics refer to each other in a cycle: {' → '.join((*path, metric.name))}")
        if metric.name in layer_of:
            return layer_of[metric.name]
        comp = metric.composition
        if not isinstance(comp, DerivedComposition):
            bases[metric.name] = metric
            layer_of[metric.name] = 0
            return 0
        inputs = derived_inputs(metric, comp, metrics)
        layer = 1 + max(visit(m, (*path, metric.name)) for m in inputs)
        derived[metric.name] = (metric, comp, inputs)
        layer_of[metric.name] = layer
        return layer

    for metric in chosen:
        visit(metric, ())
    query = join_on_keys([compile_metric(m, question, metrics, graph, relations) for m in bases.values()], question.by)
    depth = max(layer_of.values())
    if depth == 0:
        return query, len(bases)
    outputs = list(dict.fromkeys(m.name for m in chosen))
    # what each layer must still carry: read by a later layer, or asked for
    needed_after: dict[int, set[str]] = {}
    for layer in range(depth, 0, -1):
        later = needed_after.get(layer + 1, set(outputs)) if layer < depth else set(outputs)
        reads = {m.name for name, (_, _, ins) in derived.items() if layer_of[name] > layer for m in ins}
        needed_after[layer] = later | reads
    keys = [PERIOD_COLUMN, *question.by]
    available = list(bases)
    for layer in range(1, depth + 1):
        new = [name for name in derived if layer_of[name] == layer]
        carry = [name for name in available if name in needed_after[layer] or (layer == depth and name in outputs)]
        cols: dict[str, exp.Expr] = {}
        for name in carry:
            column = value_column(metrics_by_name(name, bases, derived))
            cols[name] = exp.column(column, table="j").as_(column, copy=False)
        for name in new:
            metric, comp, inputs = derived[name]
            cols[name] = derived_value(metric, comp, inputs).as_(value_column(metric), copy=False)
        order = [n for n in outputs if n in cols] + [n for n in cols if n not in outputs] if layer == depth else cols
        sub = exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("j")))
        selected = [exp.column(k, table="j").as_(k, copy=False) for k in keys] + [cols[n] for n in order]
        query = exp.select(*selected).from_(sub, copy=False)
        available = [n for n in [*carry, *new] if n in needed_after[layer] or n in outputs]
    return query, len(bases)


def metrics_by_name(
    name: str, bases: Mapping[str, Metric], derived: Mapping[str, tuple[Metric, DerivedComposition, list[Metric]]]
) -> Metric:
    return bases[name] if name in bases else derived[name][0]


def join_on_keys(queries: Sequence[exp.Select], by: Sequence[str]) -> exp.Select:
    """Per-metric subqueries side by side on period_start and the `by` columns, NULL-safe.

    Each subquery has one row per key; its rows go into a UNION ALL with the other metrics'
    columns NULL, and one GROUP BY of the keys (which treats NULLs as equal) puts each key's
    values on one row: the rows a NULL-safe full outer join would give, and it runs on
    PostgreSQL, which refuses a FULL JOIN on `IS NOT DISTINCT FROM`.
    """
    if len(queries) == 1:
        return queries[0]
    keys = [PERIOD_COLUMN, *by]
    aliases = [f"q{i}" for i in range(len(queries))]
    owned = [[sel.alias_or_name for sel in q.selects if sel.alias_or_name not in keys] for q in queries]
    # The other metrics' columns are NULLs of the owner's type (PostgreSQL types a UNION pairwise
    # and refuses text against bigint): every money, count and basis-point column is a CAST to
    # BIGINT already; any other value (a ratio) is read as DECIMAL(38, 6) on every branch.
    types: dict[str, exp.DataType] = {}
    for q in queries:
        for sel in q.selects:
            inner = sel.unalias()
            types[sel.alias_or_name] = inner.to.copy() if isinstance(inner, exp.Cast) else DECIMAL.copy()
    union: exp.Expr | None = None
    for i, (q, alias) in enumerate(zip(queries, aliases, strict=True)):
        cols = [exp.column(k, table=alias).as_(k) for k in keys]
        for j, names in enumerate(owned):
            for name in names:
                value = exp.column(name, table=alias) if j == i else exp.null()
                cols.append(exp.cast(value, types[name].copy(), copy=False).as_(name))
        branch = exp.select(*cols).from_(exp.Subquery(this=q, alias=exp.TableAlias(this=exp.to_identifier(alias))))
        union = branch if union is None else exp.union(union, branch, distinct=False)
    assert union is not None
    values = [exp.Max(this=exp.column(name, table="u")).as_(name) for names in owned for name in names]
    out = exp.select(*[exp.column(k, table="u").as_(k) for k in keys], *values).from_(
        exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("u")))
    )
    return out.group_by(*[exp.Literal.number(i + 1) for i in range(len(keys))])


def compile_question(
    question: Question, metrics: Mapping[str, Metric], graph: JoinGraph, relations: Relations
) -> exp.Select:
    if not question.metrics:
        raise QueryError("name at least one metric", location=Location(parameter="metric"))
    chosen = [lookup_metric(name, metrics) for name in question.metrics]
    if question.first and question.last and question.first > question.last:
        raise empty_period(question.first, question.last)
    if question.compare is not None or question.window is not None:
        return _compile_over_time(question, chosen, metrics, graph, relations)
    if movements.batches(chosen, metrics, value_column):  # movements of one balance share their own query
        subqueries = _compile_chosen(chosen, question, metrics, graph, relations)
        joined, scans = join_on_keys(subqueries, question.by), len(subqueries)
    else:
        joined, scans = compile_shared(chosen, question, metrics, graph, relations)
    if len(chosen) == 1 and scans == 1:
        return joined
    keys = [exp.Ordered(this=exp.Literal.number(i + 1), nulls_first=False) for i in range(1 + len(question.by))]
    return joined.order_by(*keys, copy=False)


# -- movements, windows and comparisons (canon.compiler.movements / windows / compare) ---------------


def _compile_chosen(
    chosen: Sequence[Metric],
    question: Question,
    metrics: Mapping[str, Metric],
    graph: JoinGraph,
    relations: Relations,
) -> list[exp.Select]:
    """One subquery per metric, except movements of one balance, which share one query."""
    batches = movements.batches(chosen, metrics, value_column) if question.window is None else {}
    out: list[exp.Select] = []
    done: set[int] = set()
    for m in chosen:
        batch = batches.get(m.name)
        if batch is not None and m.spec.window is None:
            if id(batch) not in done:
                done.add(id(batch))
                out.append(_compile_movements(batch, question, metrics, graph, relations))
        elif question.window is not None:
            out.append(_windowed_metric(m, question.window, question, metrics, graph, relations))
        else:
            out.append(compile_metric(m, question, metrics, graph, relations))
    return out


def _compile_movements(
    batch: movements.MovementBatch,
    question: Question,
    metrics: Mapping[str, Metric],
    graph: JoinGraph,
    relations: Relations,
) -> exp.Select:
    """The balance per customer and month, then its movements (one query for the batch)."""
    first, last = question.first, question.last
    movements.check_question(question.grain, first, last, question.by, batch.customer)
    assert first is not None and last is not None
    ask = Question(
        (batch.balance.name,),
        "month",
        (*question.by, batch.customer),
        question.where,
        movements.history_start(batch.balance, first),
        last,
    )
    balance = _compile_unwindowed(batch.balance, ask, metrics, graph, relations)
    balance.set("order", None)  # a CTE's order is lost anyway; sorting it cost a sixth of the query
    wanted = value_column(batch.balance)
    for sel in balance.selects:
        if sel.alias_or_name == wanted:
            sel.set("alias", exp.to_identifier("canon_value"))
    # CTE names unique per batch and range, so two batches in one tree never clash
    key = repr((batch.balance.name, batch.customer, batch.columns, first, last, question.by, question.where))
    prefix = "canon_mv" + hashlib.sha256(key.encode()).hexdigest()[:8]
    return movements.compile_movements(batch, first, last, question.by, balance, prefix)


def _windowed_metric(
    metric: Metric,
    window: windows.Window,
    question: Question,
    metrics: Mapping[str, Metric],
    graph: JoinGraph,
    relations: Relations,
) -> exp.Select:
    """A metric summed over a to-date or trailing window of periods (additive metrics only)."""
    windows.check_window(metric, metrics, window, question.grain)
    first, last = _closed_range(question, "window")
    plain = replace(question, window=None, compare=None)

    def inner(start: Period) -> exp.Select:
        return _compile_unwindowed(metric, replace(plain, first=start), metrics, graph, relations)

    return windows.windowed(window, first, last, question.by, [value_column(metric)], inner)


def _closed_range(question: Question, parameter: str) -> tuple[Period, Period]:
    if question.first is None or question.last is None:
        what = "comparison" if parameter == "compare" else "window"
        raise QueryError(
            f"a {what} needs a period range",
            location=Location(parameter=parameter),
            fix="pass --from and --to (or set current_period in canon.yml)",
        )
    return question.first, question.last


def _compile_over_time(
    question: Question,
    chosen: Sequence[Metric],
    metrics: Mapping[str, Metric],
    graph: JoinGraph,
    relations: Relations,
) -> exp.Select:
    """Windows and comparisons: values computed over a widened range, then paired or summed."""
    if question.compare is None:
        joined = join_on_keys(_compile_chosen(chosen, question, metrics, graph, relations), question.by)
        keys = [exp.Ordered(this=exp.Literal.number(i + 1), nulls_first=False) for i in range(1 + len(question.by))]
        return joined.order_by(*keys)
    first, last = _closed_range(question, "compare")
    wide = replace(question, first=comparing.widened_first(first, last, question.compare), compare=None)
    values = join_on_keys(_compile_chosen(chosen, wide, metrics, graph, relations), question.by)
    values.set("order", None)  # paired below and ordered there
    columns = [value_column(m) for m in chosen]
    return comparing.compared(values, first, last, question.by, columns, question.compare)


def referenced_columns(metric: Metric) -> list[tuple[ColumnRef, tuple[str | int, ...]]]:
    """Every raw column a declarative metric reads, with the contract field path naming it."""
    comp = metric.composition
    out: list[tuple[ColumnRef, tuple[str | int, ...]]] = []
    if not isinstance(comp, DeclarativeComposition):
        return out
    out.append((ColumnRef.parse(comp.measure.column), ("composition", "measure", "column")))
    if comp.time_basis.column:
        out.append((ColumnRef.parse(comp.time_basis.column), ("composition", "time_basis", "column")))
    if comp.time_basis.range:
        out.append((ColumnRef.parse(comp.time_basis.range.start), ("composition", "time_basis", "range", "start")))
        out.append((ColumnRef.parse(comp.time_basis.range.end), ("composition", "time_basis", "range", "end")))
    for key in comp.filters:
        out.append((ColumnRef.parse(key), ("composition", "filters", key)))
    for i, j in enumerate(comp.joins):
        out.append((ColumnRef.parse(j.from_), ("composition", "joins", i, "from")))
        out.append((ColumnRef.parse(j.to), ("composition", "joins", i, "to")))
    for name, dim in metric.spec.dimensions.items():
        out.append((ColumnRef.parse(dim.column), ("dimensions", name, "column")))
    return out
