"""`canon lessons-init DIR`: write the lessons marketplace example (to become `canon init --example lessons`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from canon.cli import app
from canon.errors import Location, UserError


@app.command("lessons-init")
def lessons_init_cmd(
    dest: Path = typer.Argument(..., help="Folder to write the example project into."),
    scale: int = typer.Option(
        1, "--scale", help="Volume multiplier (1 ≈ 33k recognitions and 40k leads; 305 ≈ 10M recognitions)."
    ),
    seed: int = typer.Option(7, "--seed", help="Random seed; the same seed and scale give the same rows."),
    force: bool = typer.Option(False, "--force", help="Replace an existing project in DIR."),
) -> None:
    """Generate the lessons marketplace silver layer, its canon.yml and the finance-mart contracts."""
    from canon.examples.lessons import write_example

    if scale < 1:
        raise UserError(f"--scale must be at least 1 (got {scale})", location=Location(parameter="--scale"))
    if (dest / "canon.yml").exists() and not force:
        raise UserError(
            f"{dest} already holds a canon project",
            location=Location(parameter="DIR"),
            fix="pick another folder, or pass --force to replace it",
        )
    console = Console(stderr=True)
    with console.status("generating") as status:
        write_example(dest, scale=scale, seed=seed, progress=lambda m: status.update(f"generating {m}"))
    Console().print(
        f"wrote {dest}/warehouse.duckdb, canon.yml, metrics/finance/*.yml and .canon/injected.json "
        f"(scale {scale}, seed {seed}). Next: canon mart build --project {dest}"
    )
