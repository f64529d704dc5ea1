"""Compile speed: 1,000 compiles of a question in one process (target: median < 5 ms).

Baseline in the same process: sqlglot parsing and re-rendering the equivalent hand-written
SQL (the cheapest way to get dialect-correct SQL text without a compiler).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlglot
from tests.compiler.fixture import write_project

from bench.common import machine, median_ms, print_table
from canon.project import load_project

N = 1000


def main() -> None:
    root = write_project(Path(tempfile.mkdtemp(prefix="canon-bench-compile-")))
    project = load_project(root)
    question = project.question(["mrr"], by=["segment"], period_from="2025-05", period_to="2026-10")
    hand = project.sql(question, "duckdb")
    rows = []
    for dialect in ("duckdb", "postgres", "spark"):
        compile_ms = median_ms(lambda d=dialect: project.sql(question, d), N)  # type: ignore[misc]
        baseline_ms = median_ms(lambda d=dialect: sqlglot.transpile(hand, read="duckdb", write=d), N)  # type: ignore[misc]
        rows.append([dialect, f"{compile_ms:.2f}", f"{baseline_ms:.2f}", f"{compile_ms / baseline_ms:.2f}×"])
    print(f"machine: {machine()}; {N} compiles each")
    print_table(["dialect", "canon compile+render median ms", "sqlglot parse+render median ms", "ratio"], rows)
    acme_by_month()


def acme_by_month() -> None:
    """The ACME example's `mrr` by month on DuckDB (the issue's target: compile + render ≤ 0.6 ms)."""
    from canon.examples import ExampleOptions, init_example

    root = init_example("acme", Path(tempfile.mkdtemp(prefix="canon-bench-compile-")) / "acme", ExampleOptions())
    project = load_project(root)
    question = project.question(["mrr"])
    hand = project.sql(question, "duckdb")
    compile_ms = median_ms(lambda: project.sql(question, "duckdb"), N)
    baseline_ms = median_ms(lambda: sqlglot.transpile(hand, read="duckdb", write="duckdb"), N)
    print_table(
        ["ACME question", "canon compile+render median ms", "sqlglot parse+render median ms", "ratio"],
        [["mrr by month, duckdb", f"{compile_ms:.3f}", f"{baseline_ms:.3f}", f"{compile_ms / baseline_ms:.2f}×"]],
    )


if __name__ == "__main__":
    main()
