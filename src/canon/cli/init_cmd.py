"""`canon init [DIR]`: canon.yml for an existing dbt project; `canon init --example NAME DIR`: an example."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from canon.cli import app
from canon.errors import Location, UserError
from canon.project import example_help, init_dbt_project, init_example

if TYPE_CHECKING:
    from canon.project import InitReport


@app.command("init")
def init_cmd(
    directory: Path | None = typer.Argument(
        None,
        metavar="[DIR]",
        help="The dbt project folder (default: the current folder); with --example, the folder to create.",
    ),
    example: str | None = typer.Option(None, "--example", help="Write an example project instead (`acme`, `lessons`)."),
    profiles_dir: Path | None = typer.Option(
        None,
        "--profiles-dir",
        help="Folder holding profiles.yml (default as dbt: DBT_PROFILES_DIR, the project's own, ~/.dbt); recorded.",
    ),
    target: str | None = typer.Option(
        None, "--target", help="Profile target (default as dbt: DBT_TARGET, the profile's own); recorded."
    ),
    current_period: str | None = typer.Option(
        None,
        "--current-period",
        help="Examples only: the current month, YYYY-MM (default 2026-10); all dates shift with it.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace an existing canon.yml (examples: replace DIR and everything in it)."
    ),
    scale: int = typer.Option(
        1, "--scale", help="Volume multiplier for generated data (lessons: 1 ≈ 33k recognitions; 305 ≈ 10M)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed; the same seed and scale give the same rows."),
) -> None:
    """Start canon on a dbt project as it is (canon.yml from its profile, sources, seeds, tests), or an example."""
    console = Console(highlight=False)
    if example is None:
        report = init_dbt_project(directory or Path("."), profiles_dir=profiles_dir, target=target, force=force)
        _print_report(console, report)
        return
    if directory is None:
        raise UserError(
            "--example needs the folder to write it to",
            location=Location(parameter="folder"),
            fix="e.g. canon init --example acme acme",
        )
    with Console(stderr=True).status(f"writing the {example} example"):
        root = init_example(example, directory, current_period=current_period, scale=scale, seed=seed, force=force)
    description, next_step = example_help(example)
    console.print(f"Wrote the [bold]{example}[/] example to {root}")
    console.print(f"  {description}")
    console.print(f"Next: cd {directory} && {next_step}")


def _print_report(console: Console, report: InitReport) -> None:
    t = report.target
    verb = "Replaced" if report.replaced else "Wrote"
    console.print(f"{verb} {report.config_path}")
    console.print(
        f"  dbt profile [bold]{t.profile}[/] target [bold]{t.target}[/] ({t.adapter_type}) "
        f"from {t.profiles.path / 'profiles.yml'} ({_why(t.profiles.source)})"
    )
    if report.manifest:
        console.print(f"  project read from {report.manifest}", highlight=False)
    tables = report.schema.tables.values()
    keyed = sum(1 for table in tables if table.key())
    kinds = {kind: sum(1 for table in tables if table.kind == kind) for kind in ("source", "seed")}
    console.print(
        f"  raw tables: {kinds['source']} source(s), {kinds['seed']} seed(s); {keyed} with a primary key; "
        f"{len(report.schema.edges)} relationship(s)"
    )
    for note in report.notes:
        console.print(f"  left out: {note}")
    for warning in report.warnings:
        console.print(f"  [yellow]{warning}[/]", highlight=False)
    if report.period.period:
        console.print(f"  current_period: {report.period.period} (last complete month; {report.period.reason})")
    else:
        console.print(f"  current_period: not set — {report.period.reason}; pass --period to commands that need one")
    if report.gitignore_changed:
        console.print("  .canon/ added to .gitignore")
    console.print("Next: canon audit --metric mrr   (or your revenue metric; runs through the dbt profile above)")


def _why(source: str) -> str:
    return {
        "given": "--profiles-dir",
        "DBT_PROFILES_DIR": "DBT_PROFILES_DIR",
        "project": "the project's own",
        "home": "~/.dbt",
    }.get(source, source)
