"""`canon mart build` and `canon mart show`: materialize a section's groupings, read them back."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from canon.cli import app
from canon.cli.options import FormatOption, ProjectOption, require_format
from canon.engines import Engine, connect
from canon.errors import Location, UserError, hint_or_list
from canon.present.results import render_csv, render_json, render_rich
from canon.project import Project, load_project

mart_app = typer.Typer(help="The mart: build every grouping of a section atomically, and read groupings.")
app.add_typer(mart_app, name="mart")

EngineOption = typer.Option(None, "--engine", help="duckdb or postgres (default: canon.yml's warehouse).")
DsnOption = typer.Option(None, "--dsn", help="PostgreSQL DSN (implies --engine postgres).")
SectionOption = typer.Option("finance", "--section", "-s", help="Section: the folder under metrics/ to build.")


def _engine(proj: Project, engine: str | None, dsn: str | None) -> Engine:
    if dsn or engine == "postgres":
        if not dsn:
            raise UserError(
                "--engine postgres needs a DSN",
                location=Location(parameter="--dsn"),
                fix="pass --dsn postgresql://user@host:5432/db",
            )
        return connect("postgres", dsn=dsn)
    if engine not in (None, "duckdb"):
        raise UserError(
            f"unknown engine `{engine}`", location=Location(parameter="--engine"), fix="use duckdb or postgres"
        )
    return proj.engine


@mart_app.command("build")
def build_cmd(
    project: Path = ProjectOption,
    section: str = SectionOption,
    engine: str | None = EngineOption,
    dsn: str | None = DsnOption,
) -> None:
    """Build every grouping aside, validate each served column, then swap them in one transaction."""
    from canon.mart import build_mart, load_section

    proj = load_project(project)
    contracts = load_section(proj.metrics_dir, section)
    eng = _engine(proj, engine, dsn)
    err = Console(stderr=True)
    try:
        with err.status(f"building section {section}") as status:
            report = build_mart(eng, contracts, section=section, progress=status.update)
    finally:
        eng.close()
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
    from canon.mart import find_grouping, load_section, read_grouping

    require_format(fmt, ("table", "csv", "json"))
    filters: dict[str, str] = {}
    for item in where:
        column, sep, value = item.partition("=")
        if not sep or not column:
            raise UserError(f"--where `{item}` is not column=value", location=Location(parameter="--where"))
        filters[column.strip()] = value.strip()
    proj = load_project(project)
    model = find_grouping(grouping, load_section(proj.metrics_dir, section))
    if level is not None and level not in model.levels:
        raise UserError(
            f"`{grouping}` has no level `{level}`",
            location=Location(parameter="--level"),
            fix=hint_or_list(level, model.levels),
        )
    if key is not None and model.key is None:
        raise UserError(
            f"`{grouping}` declares no coordination key",
            location=Location(parameter="--key"),
            fix="filter with --where column=value, or declare `mart: {key: <column>}` in its contract",
        )
    if key is not None and level is not None and level != model.finest:
        raise UserError(
            f"--key selects {model.finest} rows; it cannot be combined with --level {level}",
            location=Location(parameter="--level"),
            fix=f"drop --level, or use --level {model.finest}",
        )
    eng = _engine(proj, engine, dsn)
    try:
        table = read_grouping(eng, model, level=level, key=key, filters=filters, limit=limit)
    finally:
        eng.close()
    if fmt == "json":
        sys.stdout.write(render_json(table) + "\n")
    elif fmt == "csv":
        sys.stdout.write(render_csv(table))
    else:
        Console().print(render_rich(table, title=grouping + (f" by {level}" if level else "")))
