"""`canon load`: load source files into the warehouse, all or nothing, within an error budget.

Exit codes: 0 loaded (every row, or quarantined rows within the error budget); 1 refused —
no table changed — because rows were over the budget (default 0), a table would shrink by
more than the limit or be emptied, existing child rows would lose their parent, or the
file's records do not add up (an unterminated quote); 2 bad input (nothing changed).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from canon.cli import app
from canon.errors import CheckFailed, Location, UserError
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
    max_bad_rows: int = typer.Option(
        None, "--max-bad-rows", help="Error budget per table: load when at most N rows are quarantined (default 0)."
    ),
    max_bad_fraction: float = typer.Option(
        None, "--max-bad-fraction", help="Error budget per table as a fraction of the rows read, e.g. 0.01."
    ),
    allow_quarantine: bool = typer.Option(
        False, "--allow-quarantine", help="No error budget: load the valid rows however many are quarantined."
    ),
    allow_shrink: bool = typer.Option(
        False, "--allow-shrink", help="Allow a table to shrink by more than --shrink-limit, or to be emptied."
    ),
    shrink_limit: float = typer.Option(
        0.5, "--shrink-limit", help="Refuse a replacement losing more than this fraction of the table's rows."
    ),
    only: list[str] = typer.Option(None, "--only", help="Load only this table (repeatable)."),
    memory_limit: str = typer.Option(
        None, "--memory-limit", help="DuckDB memory cap, e.g. 2GB (beyond it, work spills to disk)."
    ),
) -> None:
    """Load CSV/Parquet sources; rows that break the declared schema go to canon_quarantine."""
    if allow_quarantine and (max_bad_rows is not None or max_bad_fraction is not None):
        raise UserError(
            "--allow-quarantine removes the error budget, so it cannot be combined with a budget",
            location=Location(parameter="--allow-quarantine"),
            fix="give either --allow-quarantine or --max-bad-rows/--max-bad-fraction",
        )
    console = Console()
    try:
        with console.status("loading…") as status:
            report = load_project(project, require_config=False).load(
                files or (),
                engine=engine,
                dsn=dsn,
                only=only or (),
                memory_limit=memory_limit,
                progress=lambda msg: status.update(msg),
                max_bad_rows=max_bad_rows,
                max_bad_fraction=1.0 if allow_quarantine else max_bad_fraction,
                allow_shrink=allow_shrink,
                shrink_limit=shrink_limit,
            )
    except CheckFailed as exc:  # a refused load carries its report: what was found, table by table
        refused = getattr(exc, "report", None)
        if refused is not None:
            refused.render(console)
        raise
    report.render(console)
