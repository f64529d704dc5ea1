"""`canon propose | approve | build | verify | baseline | postmortem`: the path from three numbers to one.

Each command parses its flags, calls one `Project` method and presents the typed result.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import typer
from rich.console import Console

from canon.cli import app
from canon.cli.options import ProjectOption, key_values, require_format
from canon.errors import CheckFailed, Location, UserError
from canon.project import load_project
from canon.workflow import present


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
    data = load_project(project).propose(metric, period, write=write).to_json()
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
    replace: bool = typer.Option(False, "--replace", help="Replace an existing sign-off (refused without it)."),
    project: Path = ProjectOption,
) -> None:
    """Record the sign-off in the contract: who, role, when, the decisions, the definition hash."""
    decisions = key_values(decide, "--decide", "e.g. --decide pending=no")
    record = load_project(project).approve(metric, by, role, decisions, note=note, replace=replace)
    Console().print(
        f"[green]approved[/] {metric} by {record.by} ({record.role}); definition {record.definition_hash[:23]}…"
    )


@app.command("build")
def build_cmd(
    metric: str = typer.Argument(...),
    rewire: list[str] = typer.Option([], "--rewire", help="Rewrite this team model to read the canonical one."),
    draft: bool = typer.Option(False, "--draft", help="Build even though the contract is not signed."),
    project: Path = ProjectOption,
) -> None:
    """Write the canonical dbt model, docs, semantic layer and tests; deprecate the orphans."""
    present.print_build(load_project(project).build(metric, rewire=rewire, draft=draft), Console())


@app.command("baseline")
def baseline_cmd(
    metrics: list[str] = typer.Argument(None, help="Metrics to record (default: every signed one)."),
    project: Path = ProjectOption,
) -> None:
    """Store every period's figure so `canon verify` reports any later change."""
    proj = load_project(project)
    data = proj.baseline(metrics or ())
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
    from canon.present.money import parse_money

    require_format(fmt, ("terminal", "json"))
    expected: dict[str, int] = {}
    for key, value in key_values(expect, "--expect", "e.g. --expect mrr=1260000.00", what="METRIC=AMOUNT").items():
        try:
            expected[key] = parse_money(value)
        except Exception:
            raise UserError(
                f"--expect `{key}={value}`: `{value}` is not an amount", location=Location(parameter="--expect")
            ) from None
    report = load_project(project).verify(metrics or (), expected, run_dbt=dbt)
    if fmt == "json":
        sys.stdout.write(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        present.print_verify(report, Console())
    if not report.passed:
        failed = [c for c in report.checks if not c.passed]
        raise CheckFailed("; ".join(f"{c.name}: {c.detail}" for c in failed))


@app.command("postmortem")
def postmortem_cmd(
    metric: str = typer.Argument(...),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write (default analyses/05_postmortem.md)."
    ),
    project: Path = ProjectOption,
) -> None:
    """Write the postmortem: what diverged, by how much, why, what was decided, how it stays fixed."""
    target = load_project(project).postmortem(metric, output)
    Console().print(f"wrote {target}")
