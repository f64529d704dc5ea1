"""`canon demo --dir DIR`: the ACME story end to end on the embedded DuckDB (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from canon.cli import app


@app.command("demo")
def demo_cmd(
    directory: Path = typer.Option(Path("demo"), "--dir", help="Folder for the demo project (replaced each run)."),
    current_period: str | None = typer.Option(None, "--current-period", help="The current month, YYYY-MM."),
    interactive: bool = typer.Option(False, "--interactive", help="Show the proposal and wait for 'ship it'."),
) -> None:
    """The ACME story end to end: three MRRs, the audit, the proposal, one sign-off, the layer, verify, drift."""
    import shutil

    from canon.demo import Timeline, run_demo

    if current_period is not None:
        Timeline.parse(current_period, parameter="current_period")
    width = max(shutil.get_terminal_size((130, 40)).columns, 110)
    run_demo(directory, Console(highlight=False, width=width), current_period, interactive)
