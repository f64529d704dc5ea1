"""`canon load`: load source files into the warehouse; quarantined rows fail the command.

Exit codes: 0 all rows loaded (or quarantine accepted with --allow-quarantine), 1 rows were
quarantined (the valid rows ARE loaded; the exit code tells CI someone must look), 2 bad
input (nothing changed in the warehouse).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from canon.cli import app
from canon.errors import CheckFailed
from canon.project import load_project


@app.command("load")
def load_cmd(
    files: list[str] = typer.Argument(
        None,
        metavar="FILES",
        help="Files to load: FILE named after its table (raw_invoices.csv) or TABLE=PATH. "
        "Default: seeds/<table>.csv or data/<table>.csv|.parquet for every declared source table.",
    ),
    project: Path = typer.Option(Path("."), "--project", help="The project folder (dbt project and/or canon.yml)."),
    engine: str = typer.Option(None, "--engine", help="duckdb (default: warehouse.duckdb in the project) or postgres."),
    dsn: str = typer.Option(None, "--dsn", help="PostgreSQL DSN (implies --engine postgres)."),
    allow_quarantine: bool = typer.Option(False, "--allow-quarantine", help="Exit 0 even when rows were quarantined."),
    only: list[str] = typer.Option(None, "--only", help="Load only this table (repeatable)."),
    memory_limit: str = typer.Option(
        None, "--memory-limit", help="DuckDB memory cap, e.g. 2GB (beyond it, work spills to disk)."
    ),
) -> None:
    """Load CSV/Parquet sources; rows that break the declared schema go to canon_quarantine."""
    console = Console()
    with console.status("loading…") as status:
        report = load_project(project, require_config=False).load(
            files or (),
            engine=engine,
            dsn=dsn,
            only=only or (),
            memory_limit=memory_limit,
            progress=lambda msg: status.update(msg),
        )
    report.render(console)
    if report.quarantined and not allow_quarantine:
        tables = sum(1 for t in report.tables if t.rows_quarantined)
        raise CheckFailed(
            f"{report.quarantined:,} row(s) quarantined in {tables} table(s); see "
            f"{report.quarantine_table} where load_id = '{report.load_id}'. "
            "Fix the source rows, or rerun with --allow-quarantine to accept."
        )
