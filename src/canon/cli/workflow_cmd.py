"""`canon propose | approve | build | verify | baseline | postmortem`: the path from three numbers to one."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import orjson
import typer
from rich.console import Console

from canon.audit.result import AuditResult
from canon.cli import app
from canon.cli.options import ProjectOption, require_format
from canon.errors import CheckFailed, Location, UserError
from canon.fsutil import atomic_write_text
from canon.project import Project, load_project
from canon.workflow import baseline as baselines
from canon.workflow import present
from canon.workflow.build import build
from canon.workflow.postmortem import render_postmortem
from canon.workflow.propose import propose
from canon.workflow.session import audit_session
from canon.workflow.signoff import approve, save_proposal, write_proposal_into_contract
from canon.workflow.verify import (
    VerifyReport,
    board_numbers,
    check_baseline,
    check_contract_tests,
    check_drift,
    check_signoffs,
    signed_metrics,
)


@app.command("propose")
def propose_cmd(
    metric: str = typer.Argument(..., help="Metric to propose a canonical definition for."),
    period: str | None = typer.Option(None, "--period", help="Period used to price the judgment calls."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal, markdown or json."),
    write: bool = typer.Option(
        True, "--write/--no-write", help="Mark the contract `proposed` and cite precedent in it."
    ),
    project: Path = ProjectOption,
) -> None:
    """Draft the canonical definition with cited precedent; score every model; price each judgment call."""
    require_format(fmt, ("terminal", "markdown", "json"))
    proj = load_project(project)
    session = audit_session(proj, metric, period, with_history=False)
    proposal = propose(proj, session.audit, session.evaluator, session.domains)
    data = proposal.to_json()
    save_proposal(proj, data)
    m = proj.metrics.get(metric)
    if write and m is not None and m.file is not None:
        write_proposal_into_contract(proj, m.file, data)
    if fmt == "json":
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif fmt == "markdown":
        sys.stdout.write(present.proposal_markdown(data))
    else:
        present.print_proposal(data, Console())


@app.command("approve")
def approve_cmd(
    metric: str = typer.Argument(...),
    by: str = typer.Option(..., "--by", help="Who signs (a person)."),
    role: str = typer.Option(..., "--role", help="Their role, e.g. CFO."),
    decide: list[str] = typer.Option([], "--decide", help="Judgment call KEY=yes|no (repeatable)."),
    note: str | None = typer.Option(None, "--note", help="A sentence kept with the sign-off."),
    project: Path = ProjectOption,
) -> None:
    """Record the sign-off in the contract: who, role, when, the decisions, the definition hash."""
    decisions: dict[str, str] = {}
    for item in decide:
        if "=" not in item:
            raise UserError(
                f"--decide `{item}` is not KEY=VALUE",
                location=Location(parameter="--decide"),
                fix="e.g. --decide pending=no",
            )
        key, value = item.split("=", 1)
        decisions[key.strip()] = value.strip()
    proj = load_project(project)
    record = approve(proj, metric, by, role, decisions, note=note)
    Console().print(
        f"[green]approved[/] {metric} by {record['by']} ({record['role']}); "
        f"definition {record['definition_hash'][:23]}…"
    )


@app.command("build")
def build_cmd(
    metric: str = typer.Argument(...),
    rewire: list[str] = typer.Option([], "--rewire", help="Rewrite this team model to read the canonical one."),
    draft: bool = typer.Option(False, "--draft", help="Build even though the contract is not signed."),
    project: Path = ProjectOption,
) -> None:
    """Write the canonical dbt model, docs, semantic layer and tests; deprecate the orphans."""
    proj = load_project(project)
    from canon.workflow.build import require_signed

    require_signed(proj.metric(metric), draft)
    session = audit_session(proj, metric, with_history=False)
    report = build(proj, metric, session.audit, session.models, rewire=rewire, draft=draft)
    present.print_build(report, Console())


@app.command("baseline")
def baseline_cmd(
    metrics: list[str] = typer.Argument(None, help="Metrics to record (default: every signed one)."),
    project: Path = ProjectOption,
) -> None:
    """Store every period's figure so `canon verify` reports any later change."""
    proj = load_project(project)
    names = metrics or signed_metrics(proj)
    if not names:
        raise UserError("no metric to record", fix="approve a metric first or name one")
    data = baselines.write_baseline(proj, names)
    Console().print(
        f"baseline written to {proj.config.baseline}: "
        + ", ".join(f"{m} ({len(v)} periods)" for m, v in data["metrics"].items())
    )


@app.command("verify")
def verify_cmd(
    metrics: list[str] = typer.Argument(None, help="Metrics to verify (default: every signed one)."),
    expect: list[str] = typer.Option(
        [], "--expect", help="METRIC=AMOUNT the board number must equal, e.g. mrr=1260000.00."
    ),
    dbt: bool = typer.Option(True, "--dbt/--no-dbt", help="Run dbt build (models and tests) first."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json."),
    project: Path = ProjectOption,
) -> None:
    """Tests, board number, baseline and drift. Exit 0 pass, 1 fail, 2 usage error."""
    from canon.audit.load import is_dbt_project
    from canon.present.money import parse_money
    from canon.workflow.dbt_run import run_dbt_build

    proj = load_project(project)
    names = metrics or signed_metrics(proj)
    expected: dict[str, int] = {}
    for item in expect:
        if "=" not in item:
            raise UserError(f"--expect `{item}` is not METRIC=AMOUNT", location=Location(parameter="--expect"))
        k, v = item.split("=", 1)
        try:
            expected[k.strip()] = parse_money(v)
        except Exception:
            raise UserError(
                f"--expect `{item}`: `{v}` is not an amount", location=Location(parameter="--expect")
            ) from None
    checks = [check_signoffs(proj, names)]
    if dbt and is_dbt_project(proj.root):
        checks.append(run_dbt_build(proj))
    checks.append(check_contract_tests(proj, names))
    board_check, board = board_numbers(proj, names, expected)
    checks.append(board_check)
    checks.append(check_baseline(proj, names))
    for name in names:
        checks.append(check_drift(proj, name, partial(_drift_audit, proj, name)))
    report = VerifyReport(checks, board)
    if fmt == "json":
        sys.stdout.write(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        present.print_verify(report, Console())
    if not report.passed:
        failed = [c for c in report.checks if not c.passed]
        raise CheckFailed("; ".join(f"{c.name}: {c.detail}" for c in failed))


def _drift_audit(project: Project, metric: str) -> AuditResult:
    return audit_session(project, metric, with_history=False).audit


@app.command("postmortem")
def postmortem_cmd(
    metric: str = typer.Argument(...),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write (default analyses/05_postmortem.md)."
    ),
    project: Path = ProjectOption,
) -> None:
    """Write the postmortem: what diverged, by how much, why, what was decided, how it stays fixed."""
    proj = load_project(project)
    session = audit_session(proj, metric)
    text = render_postmortem(session.audit, proj.metrics.get(metric), f"fct_{metric}_canonical")
    target = output or (proj.root / "analyses" / "05_postmortem.md")
    atomic_write_text(target, text)
    Console().print(f"wrote {target}")
