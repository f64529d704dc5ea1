"""`canon generate acme --rows N --out DIR`: the example's data at benchmark scale, as Parquet."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from canon.cli import app
from canon.project import generate_example_data


@app.command("generate")
def generate_cmd(
    example: str = typer.Argument(..., metavar="EXAMPLE", help="Which example's data to generate (`acme`)."),
    rows: int = typer.Option(..., "--rows", help="Invoice rows to write (e.g. 1000000); other tables scale with it."),
    out: Path = typer.Option(..., "--out", help="Folder for the Parquet files (created if missing)."),
    current_period: str = typer.Option("2026-10", "--current-period", help="The current month, YYYY-MM."),
    seed: int = typer.Option(20_261_031, "--seed", help="Random seed; the same seed gives the same data."),
) -> None:
    """Write raw_accounts/contracts/invoices/payments.parquet with the example's distributions."""
    console = Console(highlight=False)
    started = time.perf_counter()
    with console.status(f"Generating {rows:,} invoice rows…"):
        written = generate_example_data(example, rows, out, current_period=current_period, seed=seed)
    seconds = time.perf_counter() - started
    for table, count in written.items():
        console.print(f"{table:14s} {count:>14,} rows  {out / (table + '.parquet')}")
    console.print(f"{rows:,} invoice rows in {seconds:.1f}s ({rows / seconds:,.0f} rows/s)")
