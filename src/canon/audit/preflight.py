"""What must hold before an audit starts, checked in milliseconds instead of failing mid-way.

An audit of a name nobody defined would list every money aggregate in the project, and an
audit of a warehouse that was never built fails deep inside with an engine error; both are
said up front, as one message naming the parameter or the contract line and the fix.
"""

from __future__ import annotations

from canon.errors import Location, UserError, hint_or_list
from canon.kb.model import knowledge_base
from canon.project import Project


def require_auditable(project: Project, metric: str) -> None:
    """`metric` has a contract whose tables exist, or is one the standards know (no contract yet)."""
    if metric in project.metrics:
        project.check_catalog([metric])
        return
    if knowledge_base().metric(metric) is not None:
        return
    names = sorted({*project.metrics, *knowledge_base().metrics})
    raise UserError(
        f"no contract `{metric}` in {project.config.metrics_dir}/ and no standard definition of it",
        location=Location(parameter="metric"),
        fix=hint_or_list(metric, names, "audit one of"),
    )
