"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import typer

ProjectOption = typer.Option(
    Path("."), "--project", "-p", help="Project folder (holding canon.yml); default: the current folder."
)
FormatOption = typer.Option("table", "--format", "-f", help="Output format: table, csv, json.")
