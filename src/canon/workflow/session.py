"""The audit a workflow step stands on, with the evaluator and domains it used.

`Project.audit/propose/build/verify` run it once per process and keep it: propose prices its
judgment calls with the audit's own evaluator and domains (the ones its stages filled, caches
included), build deprecates the models it found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from canon.audit.domains import Domains
from canon.audit.figures import Evaluator
from canon.audit.load import LoadOptions, load_models
from canon.audit.result import AuditResult
from canon.audit.runner import DEFAULT_MODEL_TIMEOUT, AuditContext, AuditOptions, Progress, audit_context
from canon.audit.sources import ModelSet
from canon.compiler.periods import Period
from canon.errors import Location, UserError

if TYPE_CHECKING:
    from canon.engines.base import Engine
    from canon.project import Project
    from canon.workflow.propose import Proposal


@dataclass
class AuditSession:
    project: Project
    audit: AuditResult
    models: ModelSet
    evaluator: Evaluator | None  # the audit's own, with its cache of figures (None: a static audit)
    domains: Domains  # the audit's own, with its cache of column values
    with_history: bool = True
    context: AuditContext | None = None  # every stage's output, for callers that need more than the result

    def propose(self) -> Proposal:
        """The canonical definition proposed from this audit, priced with the audit's evaluator."""
        from canon.workflow.propose import propose

        return propose(self.project, self.audit, self.priced_evaluator(), self.domains)

    def reattach(self, engine: Engine) -> None:
        """Run on `engine` from now on: the one the audit ran on was closed (dbt or a load needed the file).

        The caches stay: they hold figures of the raw tables, which closing a connection does not change.
        """
        if self.evaluator is not None and self.evaluator.engine is not engine:
            self.evaluator.engine = engine
        if isinstance(self.domains, Domains) and getattr(self.domains, "engine", engine) is not engine:
            self.domains.engine = engine

    def priced_evaluator(self) -> Evaluator:
        """The evaluator a priced step needs; a static audit (no warehouse read) has none."""
        if self.evaluator is None:
            raise UserError(
                f"the audit of {self.audit.metric} was static: nothing was priced",
                location=Location(parameter="static"),
                fix="run the audit against the warehouse (without --static) before proposing",
            )
        return self.evaluator


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
    load: LoadOptions | None = None,
    model_timeout: float | None = DEFAULT_MODEL_TIMEOUT,
    static: bool = False,
    static_reason: str | None = None,
) -> AuditSession:
    """Run the audit of `metric` for `period` (a Period, a label, or canon.yml's current period).

    The query log defaults to canon.yml's `query_log` when that file exists. With `static`, no
    warehouse is read (see `canon.audit.static`); `static_reason` says why when it was not asked.
    """
    from canon.audit.preflight import require_auditable

    metric = require_auditable(project, metric, static=static)
    the_period = period if isinstance(period, Period) else project.period(period)
    models = load_models(project, sql_dir, dialect, load, static=static)
    log = query_log
    if log is None and project.config.query_log and (project.root / project.config.query_log).exists():
        log = project.root / project.config.query_log
    ctx = audit_context(
        project,
        AuditOptions(
            metric,
            the_period,
            models,
            query_log=log,
            with_history=with_history,
            compare=compare,
            progress=progress,
            model_timeout=model_timeout,
            static=static,
            static_reason=static_reason,
        ),
    )
    return AuditSession(project, ctx.result(), models, ctx.evaluator, ctx.domains, with_history, ctx)
