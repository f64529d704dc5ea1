"""`canon propose | approve | build | verify | baseline | postmortem`: the path from three numbers to one.

Each command parses its flags, calls one `Project` method and presents the typed result.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console

from canon.cli import CLI_SPELLING, app
from canon.cli.options import ProjectOption, key_values, require_format
from canon.errors import CanonError, CheckFailed, Location, UserError
from canon.present.errors import error_json
from canon.project import load_project
from canon.workflow import present


def _print_json(data: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


@contextmanager
def _json_errors(fmt: str) -> Iterator[None]:
    """With `--format json`, an error is also printed as JSON on stdout (location and fix kept, parameters
    spelled as flags); the exit code and the paragraph on stderr stay as for any command."""
    try:
        yield
    except CanonError as exc:
        if fmt == "json":
            _print_json(error_json(exc.spelled(CLI_SPELLING) if isinstance(exc, UserError) else exc))
        raise


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
    proposal: str | None = typer.Option(
        None,
        "--proposal",
        help="Sign the sign-off request ID an agent made (its decisions, bound to its definition hash).",
    ),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json."),
    project: Path = ProjectOption,
) -> None:
    """Record the sign-off in the contract: who, role, when, the decisions, the definition hash."""
    require_format(fmt, ("terminal", "json"))
    with _json_errors(fmt):
        decisions = key_values(decide, "--decide", "e.g. --decide pending=no")
        record = load_project(project).approve(metric, by, role, decisions, note=note, proposal=proposal)
    if fmt == "json":
        _print_json(present.approve_json(record))
        return
    signed = f" (sign-off request {record.proposal})" if record.proposal else ""
    Console().print(
        f"[green]approved[/] {metric} by {record.by} ({record.role}){signed}; definition {record.definition_hash[:23]}…"
    )


@app.command("build")
def build_cmd(
    metric: str = typer.Argument(...),
    rewire: list[str] = typer.Option([], "--rewire", help="Rewrite this team model to read the canonical one."),
    draft: bool = typer.Option(False, "--draft", help="Build even though the contract is not signed."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json."),
    project: Path = ProjectOption,
) -> None:
    """Write the canonical dbt model, docs, semantic layer and tests; deprecate the orphans."""
    require_format(fmt, ("terminal", "json"))
    with _json_errors(fmt):
        report = load_project(project).build(metric, rewire=rewire, draft=draft)
    if fmt == "json":
        _print_json(present.build_json(metric, report))
    else:
        present.print_build(report, Console())


@app.command("baseline")
def baseline_cmd(
    metrics: list[str] = typer.Argument(None, help="Metrics to record (default: every signed one)."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json."),
    project: Path = ProjectOption,
) -> None:
    """Store every period's figure so `canon verify` reports any later change."""
    require_format(fmt, ("terminal", "json"))
    with _json_errors(fmt):
        proj = load_project(project)
        data = proj.baseline(metrics or ())
    if fmt == "json":
        _print_json(present.baseline_json(proj.config.baseline, data))
        return
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
