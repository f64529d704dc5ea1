"""What must hold before an audit starts, checked in milliseconds instead of failing mid-way.

An audit of a name nobody defined would list every money aggregate in the project, and an
audit of a warehouse that was never built fails deep inside with an engine error; both are
said up front, as one message naming the parameter or the contract line and the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from canon.compiler.question import find_metric
from canon.contracts.names import metric_key
from canon.errors import Location, UserError, hint_or_list
from canon.kb.model import knowledge_base

if TYPE_CHECKING:
    from canon.project import Project  # annotations only: the facade stands above the audit


def require_auditable(project: Project, metric: str, *, static: bool = False) -> str:
    """`metric` has a contract whose tables exist, or is one the standards know (no contract yet).

    A `static` audit reads no warehouse, so the contract's tables are not checked.

    Returns the name as the project spells it: `MRR` audits the contract `mrr` (names are
    case-insensitive), and a metric only the standards know keeps its standard key.
    """
    contract = find_metric(metric, project.metrics)
    if contract is not None:
        if not static:
            project.check_catalog([contract.name])
        return contract.name
    standard = knowledge_base().metric(metric)
    if standard is not None:
        return standard.key if metric_key(standard.key) == metric_key(metric) else metric.lower()
    names = sorted({*project.metrics, *knowledge_base().metrics})
    raise UserError(
        f"no contract `{metric}` in {project.config.metrics_dir}/ and no standard definition of it",
        location=Location(parameter="metric"),
        fix=hint_or_list(metric, names, "audit one of"),
    )
