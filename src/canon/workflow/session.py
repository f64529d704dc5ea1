"""The audit a workflow step stands on, with the evaluator and domains it used.

`Project.audit/propose/build/verify` run it once per process and keep it: propose prices its
judgment calls with the same evaluator, build deprecates the models it found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from canon.audit.domains import Domains
from canon.audit.figures import Evaluator
from canon.audit.load import load_models
from canon.audit.result import AuditResult
from canon.audit.runner import AuditOptions, Progress, run_audit
from canon.audit.sources import ModelSet
from canon.compiler.periods import Period

if TYPE_CHECKING:
    from canon.project import Project


@dataclass
class AuditSession:
    project: Project
    audit: AuditResult
    models: ModelSet
    evaluator: Evaluator
    domains: Domains
    with_history: bool = True


def audit_session(
    project: Project,
    metric: str,
    period: Period | str | None = None,
    with_history: bool = True,
    sql_dir: Path | None = None,
    progress: Progress | None = None,
    dialect: str | None = None,
    query_log: Path | None = None,
    compare: tuple[str, str] | None = None,
) -> AuditSession:
    """Run the audit of `metric` for `period` (a Period, a label, or canon.yml's current period).

    The query log defaults to canon.yml's `query_log` when that file exists.
    """
    from canon.audit.preflight import require_auditable

    require_auditable(project, metric)
    the_period = period if isinstance(period, Period) else project.period(period)
    models = load_models(project, sql_dir, dialect)
    log = query_log
    if log is None and project.config.query_log and (project.root / project.config.query_log).exists():
        log = project.root / project.config.query_log
    result = run_audit(
        project,
        AuditOptions(
            metric,
            the_period,
            models,
            query_log=log,
            with_history=with_history,
            compare=compare,
            progress=progress,
        ),
    )
    relations = project.relations(project.engine)
    evaluator = Evaluator(project.engine, project.join_graph(), relations, the_period)
    return AuditSession(project, result, models, evaluator, Domains(project.engine, relations), with_history)
