"""`canon version`: what is installed, for bug reports."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version

from rich.console import Console

from canon.cli import app


@app.command("version")
def version_cmd() -> None:
    """Print canon's version and the versions of the engines it drives."""
    console = Console()
    for dist in ("canon", "sqlglot", "duckdb", "dbt-core", "dbt-duckdb", "psycopg", "pyspark"):
        try:
            console.print(f"{dist} {dist_version(dist)}")
        except PackageNotFoundError:  # an engine extra (canon[postgres], canon[spark]) not installed
            console.print(f"{dist} not installed")
