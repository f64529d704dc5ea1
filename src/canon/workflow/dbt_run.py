"""Run real dbt (`dbt build`) for verification and report failing nodes by name."""

from __future__ import annotations

from canon.dbt.runner import run_dbt
from canon.project import Project
from canon.workflow.verify import Check


def run_dbt_build(project: Project, select: list[str] | None = None) -> Check:
    project.close()  # dbt opens the warehouse file itself
    args = ["build", *(["--select", *select] if select else [])]
    run = run_dbt(project.root, args, check=False)
    failed = [f"{n.resource_type} {n.name}: {n.status} {(n.message or '').strip()}".strip() for n in run.failed()]
    if not run.results and run.errors:
        failed.extend(run.errors)
    detail = f"{len(run.results) - len(run.failed())} of {len(run.results)} nodes passed"
    return Check("dbt build", run.success and not failed, detail, failed)
