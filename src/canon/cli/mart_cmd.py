"""`canon mart build` and `canon mart show`: materialize a section's groupings, read them back."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from canon.cli import app
from canon.cli.options import FormatOption, ProjectOption, key_values, require_format
from canon.present.results import render_csv, render_json, render_rich
from canon.project import load_project

mart_app = typer.Typer(help="The mart: build every grouping of a section atomically, and read groupings.")
app.add_typer(mart_app, name="mart")

EngineOption = typer.Option(None, "--engine", help="duckdb or postgres (default: canon.yml's warehouse).")
DsnOption = typer.Option(None, "--dsn", help="PostgreSQL DSN (implies --engine postgres).")
SectionOption = typer.Option("finance", "--section", "-s", help="Section: the folder under metrics/ to build.")


@mart_app.command("build")
def build_cmd(
    project: Path = ProjectOption,
    section: str = SectionOption,
    engine: str | None = EngineOption,
    dsn: str | None = DsnOption,
) -> None:
    """Build every grouping aside, validate each served column, then swap them in one transaction."""
    proj = load_project(project)
    with Console(stderr=True).status(f"building section {section}") as status:
        report = proj.build_mart(section, engine=engine, dsn=dsn, progress=status.update)
    Console().print(report.rich())


@mart_app.command("show")
def show_cmd(
    grouping: str = typer.Argument(..., help="Grouping (contract) name, e.g. pnl_summary."),
    level: str | None = typer.Option(None, "--level", "-l", help="Rollup level, e.g. organization or portfolio."),
    key: str | None = typer.Option(
        None, "--key", "-k", help="One entity of the section's coordination key (its contracts' mart.key)."
    ),
    where: list[str] = typer.Option([], "--where", "-w", help="column=value filter (repeatable)."),
    limit: int = typer.Option(50, "--limit", min=1, help="Rows to show."),
    fmt: str = FormatOption,
    project: Path = ProjectOption,
    section: str = SectionOption,
    engine: str | None = EngineOption,
    dsn: str | None = DsnOption,
) -> None:
    """Print a served grouping, filtered, at its own grain or rolled up a level (the API's read path)."""
    require_format(fmt, ("table", "csv", "json"))
    filters = key_values(where, "--where", "e.g. --where org_market_id=om-1", what="column=value")
    table = load_project(project).read_grouping(
        grouping, section=section, level=level, key=key, filters=filters, limit=limit, engine=engine, dsn=dsn
    )
    if fmt == "json":
        sys.stdout.write(render_json(table) + "\n")
    elif fmt == "csv":
        sys.stdout.write(render_csv(table))
    else:
        Console().print(render_rich(table, title=grouping + (f" by {level}" if level else "")))
