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
        None, "--dialect", help="Dialect of --sql-dir files (duckdb, postgres, snowflake)."
    ),
    query_log: Path | None = typer.Option(None, "--query-log", help="BI query log (CSV or JSONL) for usage."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal, markdown, json or html."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here (html defaults to audit.html)."
    ),
    compare: list[str] = typer.Option([], "--compare", help="Bridge between two definitions: --compare A --compare B."),
    timings: bool = typer.Option(False, "--timings", help="Print each stage's time."),
    project: Path = ProjectOption,
) -> None:
    """Find every definition of METRIC, explain each divergence and price it to the cent."""
    require_format(fmt, FORMATS)
    if compare and len(compare) != 2:
        raise UserError("--compare takes exactly two models", location=Location(parameter="--compare"))
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
            bar.update(task, description=stage, completed=i + 1, total=n)

        result = proj.audit(
            metric,
            period,
            sql_dir=sql_dir,
            dialect=dialect,
            query_log=query_log,
            compare=(compare[0], compare[1]) if compare else None,
            progress=progress,
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
