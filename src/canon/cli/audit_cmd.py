"""`canon audit`: every definition of a metric, its decisions, reproduction, bridge, history, usage."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from canon.cli import app
from canon.cli.options import ProjectOption, require_format
from canon.errors import Location, UserError
from canon.fsutil import atomic_write_text
from canon.project import load_project

if TYPE_CHECKING:
    from canon.audit.result import AuditResult

FORMATS = ("terminal", "markdown", "json", "html")


@app.command("audit")
def audit_cmd(
    metric: str = typer.Option(..., "--metric", "-m", help="The metric to audit, e.g. mrr."),
    period: str | None = typer.Option(None, "--period", help="Period to price, e.g. 2026-10 (default: current)."),
    sql_dir: Path | None = typer.Option(None, "--sql-dir", help="Audit a folder of plain SQL files instead of dbt."),
    dialect: str | None = typer.Option(
        None, "--dialect", help="Dialect the models are written in (default: the dbt adapter's, or canon.yml's)."
    ),
    query_log: Path | None = typer.Option(None, "--query-log", help="BI query log (CSV or JSONL) for usage."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal, markdown, json or html."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here (html defaults to audit.html)."
    ),
    compare: list[str] = typer.Option([], "--compare", help="Bridge between two definitions: --compare A --compare B."),
    timings: bool = typer.Option(False, "--timings", help="Print each stage's time."),
    manifest: Path | None = typer.Option(
        None, "--manifest", help="Read the models from this dbt manifest.json as it is (no dbt compile)."
    ),
    select: list[str] = typer.Option([], "--select", "-s", help="dbt selection syntax: audit only these models."),
    exclude: list[str] = typer.Option([], "--exclude", help="dbt selection syntax: leave these models out."),
    include_analyses: bool = typer.Option(False, "--include-analyses", help="Read dbt analyses as models too."),
    model_timeout: float = typer.Option(
        20.0, "--model-timeout", help="Seconds of work per model before it is reported as too complex."
    ),
    static: bool = typer.Option(
        False,
        "--static",
        help="Read no warehouse: decision points from the SQL alone (literals), nothing priced.",
    ),
    fail_on_divergence: bool = typer.Option(
        False, "--fail-on-divergence", help="Exit 1 when the definitions found differ (for CI)."
    ),
    project: Path = ProjectOption,
) -> None:
    """Find every definition of METRIC, explain each divergence and price it to the cent.

    With --static, or when the warehouse cannot be reached (the headline says so), definitions
    are mapped from SQL alone and nothing is priced. Exit 0 when the audit ran; 1 when no
    definition was found (every model skipped or not read) or, with --fail-on-divergence, when
    definitions differ; 2 for usage errors.
    """
    require_format(fmt, FORMATS)
    if compare and len(compare) != 2:
        raise UserError("--compare takes exactly two models", location=Location(parameter="--compare"))
    if model_timeout <= 0:
        raise UserError(
            f"--model-timeout must be a positive number of seconds, not {model_timeout:g}",
            location=Location(parameter="model_timeout"),
        )
    proj = load_project(project)
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading models", total=None)

        def progress(stage: str, i: int, n: int) -> None:
            # `stage` is "discover fct_revenue": on a terminal, the model being read is named
            bar.update(task, description=stage, completed=i + 1, total=n)

        result = proj.audit(
            metric,
            period,
            sql_dir=sql_dir,
            dialect=dialect,
            query_log=query_log,
            compare=(compare[0], compare[1]) if compare else None,
            progress=progress,
            manifest=manifest,
            select=select,
            exclude=exclude,
            include_analyses=include_analyses,
            model_timeout=model_timeout,
            static=static,
        )
    text = render(result, fmt)
    if fmt == "html":
        target = output or Path("audit.html")
        atomic_write_text(target, text)
        Console().print(f"wrote {target}")
    elif output is not None:
        atomic_write_text(output, text)
        Console().print(f"wrote {output}")
    elif fmt == "terminal":
        _print_terminal(result)
    else:
        sys.stdout.write(text + ("\n" if not text.endswith("\n") else ""))
    if timings:
        Console(stderr=True).print("timings (s): " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))
    code = exit_code(result, fail_on_divergence)
    if code:
        reason = result.headline() if result.nothing_found else "the definitions differ (--fail-on-divergence)"
        Console(stderr=True, highlight=False).print(f"failed: {reason}")
        raise typer.Exit(code)


def exit_code(result: AuditResult, fail_on_divergence: bool) -> int:
    """0 when the audit ran; 1 when nothing was found, or definitions differ and CI asked to fail.

    Usage errors (exit 2) are raised before any model is read; a model's own failure is a row
    of the report, never an exit code.
    """
    if result.nothing_found:
        return 1
    return 1 if fail_on_divergence and result.diverges() else 0


def render(result: AuditResult, fmt: str) -> str:
    if fmt == "json":
        return orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode()
    if fmt == "markdown":
        from canon.audit.report.markdown import render_markdown

        return render_markdown(result)
    if fmt == "html":
        from canon.audit.report.html import render_html

        return render_html(result)
    from io import StringIO

    buf = StringIO()
    _print_terminal(result, Console(file=buf, width=140, force_terminal=False))
    return buf.getvalue()


def _print_terminal(result: AuditResult, console: Console | None = None) -> None:
    from canon.audit.report.terminal import print_report

    print_report(result, console or Console())
