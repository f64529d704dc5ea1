"""`canon init --example NAME DIR`: write an example project (a dbt project in a git repo)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from canon.cli import app
from canon.examples import ExampleOptions, examples, init_example
from canon.examples.acme.calendar import Timeline


@app.command("init")
def init_cmd(
    directory: Path = typer.Argument(..., metavar="DIR", help="Folder to create the project in."),
    example: str = typer.Option(..., "--example", help="Which example to write (e.g. `acme`)."),
    current_period: str | None = typer.Option(
        None,
        "--current-period",
        help="The current month, YYYY-MM (default 2026-10); all dates shift with it.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace DIR and everything in it if it is not empty."),
) -> None:
    """Write an example project: a dbt project with seed data, a query log and its git history."""
    if current_period is not None:
        Timeline.parse(current_period)  # validate before any work, naming the parameter
    root = init_example(example, directory, ExampleOptions(current_period=current_period), force=force)
    console = Console(highlight=False)
    description = examples()[example].description
    console.print(f"Wrote the [bold]{example}[/] example to {root}")
    console.print(f"  {description}")
    console.print(f"Next: cd {directory} && dbt build --profiles-dir .   (or `canon demo`)")
