"""`canon rollup build` and `canon rollup explain`: materialize declared rollups, say which table answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from canon.cli import app
from canon.cli.options import ProjectOption, require_format
from canon.project import load_project

rollup_app = typer.Typer(help="Rollups: aggregate tables declared in contracts, used only when provably equal.")
app.add_typer(rollup_app, name="rollup")


@rollup_app.command("build")
def build_cmd(
    metrics: list[str] = typer.Argument(None, help="Metrics whose rollups to build (default: every declared one)."),
    project: Path = ProjectOption,
) -> None:
    """Build each declared rollup beside its table, swap it in, and record the source's fingerprint."""
    proj = load_project(project)
    built = proj.build_rollups(tuple(metrics or ()))
    table = Table("rollup", "table", "grain", "dimensions", "rows", "seconds", header_style="bold")
    for b in built:
        table.add_row(b.name, b.table, b.grain, ", ".join(b.dimensions) or "—", str(b.rows), f"{b.seconds:.2f}")
    Console().print(table)


@rollup_app.command("explain")
def explain_cmd(
    metrics: list[str] = typer.Argument(..., help="One or more metric names."),
    grain: str = typer.Option("month", "--grain", "-g", help="day, week, month, quarter, year or a fiscal grain."),
    by: list[str] = typer.Option([], "--by", "-b", help="Break down by a dimension (repeatable)."),
    where: str | None = typer.Option(None, "--where", "-w", help="SQL condition over dimensions."),
    period_from: str | None = typer.Option(None, "--from", help="First period, e.g. 2025-05."),
    period_to: str | None = typer.Option(None, "--to", help="Last period (inclusive), e.g. 2026-10."),
    fmt: str = typer.Option("table", "--format", "-f", help="Output format: table or json."),
    project: Path = ProjectOption,
) -> None:
    """Which table `canon query` would read for this question — a rollup or the source — and why."""
    require_format(fmt, ("table", "json"))
    proj = load_project(project)
    route = proj.route(metrics, grain=grain, by=tuple(by), where=where, period_from=period_from, period_to=period_to)
    if fmt == "json":
        data = {
            "answered_from": "rollup" if route.query is not None else "source",
            "rollups": list(route.rollups),
            "stale": bool(route.stale),
            "reason": route.reason,
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    Console().print(f"[bold]{route.answered_from}[/bold]: {route.reason}")
