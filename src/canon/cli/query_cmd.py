"""`canon query`: ask metrics a question; `--sql` prints the SQL for any dialect instead."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from canon.cli import app
from canon.cli.options import FormatOption, ProjectOption, require_format
from canon.project import load_project

FORMATS = ("table", "csv", "json")


@app.command("query")
def query_cmd(
    metrics: list[str] = typer.Argument(..., help="One or more metric names."),
    grain: str = typer.Option("month", "--grain", "-g", help="day, week, month, quarter or year."),
    by: list[str] = typer.Option([], "--by", "-b", help="Break down by a dimension (repeatable)."),
    where: str | None = typer.Option(None, "--where", "-w", help="SQL condition over dimensions."),
    period_from: str | None = typer.Option(None, "--from", help="First period, e.g. 2025-05."),
    period_to: str | None = typer.Option(None, "--to", help="Last period (inclusive), e.g. 2026-10."),
    compare: str | None = typer.Option(
        None, "--compare", help="prior_period or prior_year: adds previous value, change and change in bps."
    ),
    window: str | None = typer.Option(None, "--window", help="mtd, qtd or ytd: to-date sums (additive metrics)."),
    trailing: int | None = typer.Option(None, "--trailing", help="Sum over the last N periods (additive metrics)."),
    fmt: str = FormatOption,
    sql: bool = typer.Option(False, "--sql", help="Print the SQL instead of running it."),
    dialect: str | None = typer.Option(
        None, "--dialect", help="SQL dialect for --sql: duckdb, postgres, spark, snowflake, bigquery, trino."
    ),
    project: Path = ProjectOption,
) -> None:
    """Answer a question about metrics: values per period, optionally broken down and filtered."""
    require_format(fmt, FORMATS)
    proj = load_project(project)
    ask: dict[str, Any] = {
        "grain": grain,
        "by": tuple(by),
        "where": where,
        "period_from": period_from,
        "period_to": period_to,
        **({"compare": compare} if compare else {}),
        **({"window": window} if window else {}),
        **({"trailing": trailing} if trailing is not None else {}),
    }
    if sql or dialect:
        sys.stdout.write(proj.sql(metrics, dialect, **ask) + "\n")
        return
    table = proj.query(metrics, **ask)
    if fmt == "json":
        from canon.present.results import render_json

        sys.stdout.write(render_json(table) + "\n")
    elif fmt == "csv":
        from canon.present.results import render_csv

        sys.stdout.write(render_csv(table))
    else:
        from rich.console import Console

        from canon.present.results import render_rich

        Console().print(render_rich(table, title=", ".join(metrics)))
