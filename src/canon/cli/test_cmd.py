"""`canon test`: run the tests generated from contracts against the warehouse."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table

from canon.cli import app
from canon.cli.options import FormatOption, ProjectOption, require_format
from canon.errors import CheckFailed
from canon.project import load_project


@app.command("test")
def test_cmd(
    metrics: list[str] = typer.Argument(None, help="Metrics to test (default: all)."),
    fmt: str = FormatOption,
    project: Path = ProjectOption,
) -> None:
    """Run the contract tests: admitted values, classified domains, nulls, keys, assertions, null rules."""
    require_format(fmt, ("table", "json"))
    results = load_project(project).test(metrics or ())
    failed = [r for r in results if not r.passed]
    if fmt == "json":
        payload = [
            {"metric": r.metric, "test": r.name, "passed": r.passed, "failures": r.failures, "sample": r.sample}
            for r in results
        ]
        sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
    else:
        console = Console()
        table = Table(title="contract tests", header_style="bold")
        for col in ("metric", "test", "result", "offending rows", "sample"):
            table.add_column(col)
        for r in results:
            status = "[green]pass[/]" if r.passed else "[red]FAIL[/]"
            sample = "; ".join(str(s) for s in r.sample[:2])
            table.add_row(r.metric, r.name, status, str(r.failures) if r.failures else "", sample)
        console.print(table)
        console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise CheckFailed(f"{len(failed)} contract test(s) failed: {', '.join(f'{r.metric}/{r.name}' for r in failed)}")
