"""`canon init --example NAME DIR`: write an example project (a dbt project in a git repo)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from canon.cli import app
from canon.project import example_help, init_example


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
    scale: int = typer.Option(
        1, "--scale", help="Volume multiplier for generated data (lessons: 1 ≈ 33k recognitions; 305 ≈ 10M)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed; the same seed and scale give the same rows."),
) -> None:
    """Write an example project: ACME (dbt project, seeds, query log, git history) or lessons (silver + mart)."""
    console = Console(highlight=False)
    with Console(stderr=True).status(f"writing the {example} example"):
        root = init_example(example, directory, current_period=current_period, scale=scale, seed=seed, force=force)
    description, next_step = example_help(example)
    console.print(f"Wrote the [bold]{example}[/] example to {root}")
    console.print(f"  {description}")
    console.print(f"Next: cd {directory} && {next_step}")
