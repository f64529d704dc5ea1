"""The audit a workflow command stands on, run once per command with the project's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from canon.audit.domains import Domains
from canon.audit.figures import Evaluator
from canon.audit.load import load_models
from canon.audit.preflight import require_auditable
from canon.audit.result import AuditResult
from canon.audit.runner import AuditOptions, Progress, run_audit
from canon.audit.sources import ModelSet
from canon.compiler.periods import Period, parse_period
from canon.errors import Location, UserError
from canon.project import Project


@dataclass
class AuditSession:
    project: Project
    audit: AuditResult
    models: ModelSet
    evaluator: Evaluator
    domains: Domains


def current_period(project: Project, period: str | None) -> Period:
    label = period or project.config.current_period
    if not label:
        raise UserError("no period given and no current_period in canon.yml", location=Location(parameter="--period"))
    try:
        return parse_period(label, "month")
    except ValueError as exc:
        raise UserError(str(exc), location=Location(parameter="--period")) from None


def audit_session(
    project: Project,
    metric: str,
    period: str | None = None,
    with_history: bool = True,
    sql_dir: Path | None = None,
    progress: Progress | None = None,
) -> AuditSession:
    require_auditable(project, metric)
    the_period = current_period(project, period)
    models = load_models(project, sql_dir)
    log = project.root / project.config.query_log if project.config.query_log else None
    result = run_audit(
        project,
        AuditOptions(
            metric,
            the_period,
            models,
            query_log=log if log is not None and log.exists() else None,
            with_history=with_history,
            progress=progress,
        ),
    )
    relations = project.relations(project.engine)
    evaluator = Evaluator(project.engine, project.join_graph(), relations, the_period)
    return AuditSession(project, result, models, evaluator, Domains(project.engine, relations))
