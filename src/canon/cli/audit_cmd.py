"""`canon audit`: every definition of a metric, its decisions, reproduction, bridge, history, usage."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from canon.audit.load import load_models
from canon.audit.preflight import require_auditable
from canon.audit.runner import AuditOptions, run_audit
from canon.cli import app
from canon.cli.options import ProjectOption, require_format
from canon.compiler.periods import parse_period
from canon.errors import Location, UserError
from canon.fsutil import atomic_write_text
from canon.project import load_project
from canon.serve.audit_store import store_audit

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
    if query_log is not None and not query_log.is_file():
        raise UserError(
            f"query log {query_log} does not exist",
            location=Location(parameter="--query-log"),
            fix="pass a CSV or JSONL file with timestamp, user, team and query columns",
        )
    proj = load_project(project)
    require_auditable(proj, metric)
    label = period or proj.config.current_period
    if not label:
        raise UserError("no period given", location=Location(parameter="--period"), fix="pass --period 2026-10")
    try:
        the_period = parse_period(label, "month" if len(label) == 7 else None)
    except ValueError as exc:
        raise UserError(str(exc), location=Location(parameter="--period")) from None
    log = query_log
    if log is None and proj.config.query_log and (proj.root / proj.config.query_log).exists():
        log = proj.root / proj.config.query_log
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading models", total=None)
        models = load_models(proj, sql_dir, dialect)

        def progress(stage: str, i: int, n: int) -> None:
            bar.update(task, description=stage, completed=i + 1, total=n)

        result = run_audit(
            proj,
            AuditOptions(
                metric,
                the_period,
                models,
                query_log=log,
                compare=(compare[0], compare[1]) if compare else None,
                progress=progress,
            ),
        )
    store_audit(proj.root, result.metric, render(result, "json"))  # the catalog page shows the last audit
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


def render(result: object, fmt: str) -> str:
    from canon.audit.result import AuditResult

    assert isinstance(result, AuditResult)
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


def _print_terminal(result: object, console: Console | None = None) -> None:
    from canon.audit.report.terminal import print_report
    from canon.audit.result import AuditResult

    assert isinstance(result, AuditResult)
    print_report(result, console or Console())
