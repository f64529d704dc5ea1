"""`canon demo --dir DIR`: the ACME story end to end on the embedded DuckDB (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from canon.cli import app
from canon.examples.acme.calendar import Timeline


@app.command("demo")
def demo_cmd(
    directory: Path = typer.Option(
        Path("demo"), "--dir", help="Folder for the demo project (replaced each run)."
    ),
    current_period: str | None = typer.Option(None, "--current-period", help="The current month, YYYY-MM."),
) -> None:
    """Write the ACME example, build it with dbt, and show three teams' MRR next to the canonical one."""
    from canon.demo import run_demo

    if current_period is not None:
        Timeline.parse(current_period)
    run_demo(directory, Console(highlight=False), current_period)
