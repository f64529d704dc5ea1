"""The metric catalog: every contract summarized for people and programs, with its value now.

Shared by `GET /api/metrics` and the catalog page so both say the same thing: the definition
in plain words, its decision points, owner, lifecycle status, sign-off (and whether the
signature still matches the definition), the definition hash, and the value for the project's
current period when the metric can be computed from the warehouse.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from canon.compiler.movements import describe
from canon.compiler.question import value_column, value_kind
from canon.contracts.decisions import describe_filter, format_fraction
from canon.contracts.model import Metric
from canon.contracts.spec import DeclarativeComposition, DerivedComposition, MovementComposition, SqlComposition
from canon.errors import CanonError
from canon.present.money import format_cents
from canon.project import Project


def decision_points(metric: Metric) -> list[dict[str, str]]:
    """The choices on which definitions of a metric split, as (decision, choice) in plain words."""
    comp = metric.composition
    if isinstance(comp, DeclarativeComposition):
        vec = metric.decisions
        points = [
            {"decision": "what is measured", "choice": vec.measure.describe()},
            {"decision": "date basis", "choice": vec.time_basis.describe()},
        ]
        for column, values in vec.filter_items:
            points.append({"decision": f"which {column} count", "choice": describe_filter(column, values)})
        for column, values in vec.slice_items:
            points.append({"decision": f"slice on {column}", "choice": describe_filter(column, values)})
        for predicate in vec.predicates:
            points.append({"decision": "condition", "choice": predicate})
        return points
    if isinstance(comp, DerivedComposition):
        return [{"decision": "formula", "choice": comp.expression}]
    points = [{"decision": f"policy {k}", "choice": str(v)} for k, v in metric.spec.policy.items()]
    for rule in metric.spec.null_rules:
        points.append({"decision": f"null rule on {rule.column}", "choice": f"{rule.reason} when {rule.when}"})
    return points


def plain_definition(metric: Metric) -> str:
    comp = metric.composition
    if isinstance(comp, DeclarativeComposition):
        vec = metric.decisions
        agg = {"sum": "Sum of", "count": "Count of", "count_distinct": "Distinct count of"}.get(
            vec.measure.aggregation, vec.measure.aggregation.capitalize() + " of"
        )
        scale = "" if vec.measure.scale == 1 else f" × {format_fraction(vec.measure.scale)}"
        text = f"{agg} {vec.measure.column}{scale}, {vec.time_basis.describe()}"
        kept = [describe_filter(c, v) for c, v in vec.filter_items]
        if kept:
            text += ", counting only rows where " + " and ".join(kept)
        if vec.predicates:
            text += ", and " + " and ".join(vec.predicates)
        return text + "."
    if isinstance(comp, DerivedComposition):
        return f"Computed from {', '.join(comp.metrics)}: {comp.expression}."
    if isinstance(comp, MovementComposition):
        return describe(comp)
    assert isinstance(comp, SqlComposition)
    desc = " ".join(metric.spec.description.split())
    sources = f" Reads {', '.join(comp.sources)}." if comp.sources else ""
    return (desc or f"A SQL-defined metric ({metric.name}).") + sources


def signoff_info(metric: Metric) -> dict[str, Any] | None:
    so = metric.spec.signoff
    if so is None:
        return None
    return {
        "by": so.by,
        "role": so.role,
        "at": so.at.isoformat(),
        "definition_hash": so.definition_hash,
        "valid": metric.signed,
    }


def computable(metric: Metric) -> str | None:
    """None when the compiler can answer for this metric; otherwise why not."""
    comp = metric.composition
    if isinstance(comp, SqlComposition) and (not comp.period_column or not comp.value_column):
        served = f" (served from {metric.spec.served_by})" if metric.spec.served_by else ""
        return f"a materialized grouping{served}, read through the mart API rather than computed here"
    return None


def format_value(kind: str, value: Any) -> str | None:
    if value is None:
        return None
    if kind == "money":
        return format_cents(int(value))
    if kind == "bps":
        return f"{value} bps"
    if kind == "count":
        return f"{int(value):,}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def current_value(project: Project, metric: Metric) -> tuple[dict[str, Any] | None, str | None]:
    """(value for the current period, or None with the reason)."""
    period = project.config.current_period
    if not period:
        return None, "the project sets no current_period in canon.yml"
    reason = computable(metric)
    if reason:
        return None, reason
    try:
        question = project.question([metric.name], "month", (), None, period, period)
        table: pa.Table = project.query(question)
    except CanonError as exc:
        return None, exc.render().splitlines()[0]
    kind = value_kind(metric)
    column = value_column(metric)
    values = [
        r[column]
        for r in table.select(["period", column]).to_pylist()
        if r["period"] == period and r[column] is not None
    ]
    value: Any = values[0] if values else None
    if value is not None and kind in ("money", "count"):
        value = int(value)
    elif value is not None:
        value = float(value)
    return {"period": period, "kind": kind, "value": value, "formatted": format_value(kind, value)}, (
        None if values else "no rows in the current period"
    )


def summarize(project: Project, metric: Metric, with_value: bool = True) -> dict[str, Any]:
    value, note = current_value(project, metric) if with_value else (None, None)
    comp = metric.composition
    return {
        "name": metric.name,
        "label": metric.label,
        "description": " ".join(metric.spec.description.split()),
        "owner": metric.spec.owner,
        "status": metric.spec.status.value,
        "version": metric.spec.version,
        "signoff": signoff_info(metric),
        "approved": metric.approved,
        "definition_hash": metric.definition_hash(),
        "composition": comp.type,
        "definition": plain_definition(metric),
        "decisions": metric.decisions.to_json() if isinstance(comp, DeclarativeComposition) else None,
        "decision_points": decision_points(metric),
        "dimensions": sorted(metric.spec.dimensions),
        "grain": metric.spec.grain.time,
        "served_by": metric.spec.served_by,
        "current_value": value,
        "current_value_note": note,
    }


def catalog(project: Project) -> dict[str, Any]:
    return {
        "current_period": project.config.current_period,
        "metrics": [summarize(project, m) for _, m in sorted(project.metrics.items())],
    }
