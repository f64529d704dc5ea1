"""A rollup's answer against the source's, at 1M/10M invoice rows (target: ≥ 10× faster at 10M).

The ACME scale data (`canon generate acme`, as bench_mrr.py) loaded into DuckDB tables (setup,
not timed); the canonical MRR contract with `rollups: [{grain: month, dimensions: [segment]}]`.
For each question: the source query compiled from the contract (no rollup can be read) and
`Project.query`, which routes to the rollup — its time includes the route and the source
fingerprint check that proves the rollup is not older than its source. Both give the same
rows and cents (checked). Best of three runs in one process.

    python bench/bench_rollup.py --rows 1000000 [--rows 10000000] [--data bench/data]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_mrr import CANON_YML, MRR_YML, TABLES, parquet  # noqa: E402
from bench.common import canon_exe, machine, print_table  # noqa: E402

ENTERPRISE = "segment = 'enterprise'"
MONTHS = {"by": ["segment"], "period_from": "2025-05", "period_to": "2026-10"}
QUESTIONS: list[tuple[str, dict[str, Any]]] = [
    ("MRR by segment, by month (the rollup's own grain)", MONTHS),
    ("MRR by quarter (months re-aggregated)", {"grain": "quarter", "period_from": "2025-Q3", "period_to": "2026-Q3"}),
    (
        "MRR by year, enterprise only (--where on a kept dimension)",
        {"grain": "year", "where": "segment = 'enterprise'"},
    ),
]


def dataset(data: Path, rows: int) -> Path:
    import subprocess

    folder = data / f"acme-{rows}"
    if not (folder / "raw_invoices.parquet").exists() and not (folder / "raw_invoices").exists():
        subprocess.run([canon_exe(), "generate", "acme", "--rows", str(rows), "--out", str(folder)], check=True)
    return folder


def project_dir(folder: Path) -> Path:
    """A canon project whose DuckDB warehouse holds the Parquet files as tables."""
    import duckdb

    proj = Path(tempfile.mkdtemp(prefix="canon-bench-rollup-"))
    (proj / "metrics").mkdir()
    (proj / "canon.yml").write_text(CANON_YML)
    (proj / "metrics" / "mrr.yml").write_text(MRR_YML + "rollups:\n  - {grain: month, dimensions: [segment]}\n")
    con = duckdb.connect(str(proj / "views.duckdb"))
    for t in TABLES:
        con.execute(f"create table {t} as select * from read_parquet('{parquet(folder, t)}')")  # noqa: S608
    con.close()
    return proj


def best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    out, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        out = min(out, time.perf_counter() - t0)
    return out, result


def rows_of(table: Any) -> list[tuple[Any, ...]]:
    names = [c for c in table.column_names if c != "period"]
    return sorted(tuple(r[n] for n in names) for r in table.to_pylist())


def scenario(n: int, data: Path) -> list[list[str]]:
    """Build the rollup at `n` invoices, then time each question from the source and through the route."""
    from canon.project import load_project
    from canon.rollup.model import declared, fingerprint_query

    project = load_project(project_dir(dataset(data, n)))
    build_s, built = best(project.build_rollups, repeat=1)
    engine = project.engine
    rollup = declared(project.metrics)[0]
    relations = project.relations(engine)
    fp_s, _ = best(lambda: engine.execute(fingerprint_query(rollup, relations)))
    out = []
    for label, ask in QUESTIONS:
        q = project.question(["mrr"], **ask)
        source_s, source = best(lambda q=q: engine.execute(engine.render(project.compile(q, engine))))
        route = project.route(q)
        assert route.query is not None, route.reason
        rollup_s, answer = best(lambda q=q: project.query(q, check=False))
        assert answer.schema.metadata[b"canon.answered_from"].startswith(b"rollup")
        assert rows_of(answer) == rows_of(source), label
        out.append(
            [
                f"{n:,}",
                label,
                f"{source_s * 1000:.0f}",
                f"{rollup_s * 1000:.1f}",
                f"{fp_s * 1000:.1f}",
                f"{source_s / rollup_s:.0f}×",
            ]
        )
    print(f"{n:,} invoices: rollup built in {build_s:.2f} s ({built[0].rows} rows)")
    project.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append", default=None)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    table_rows = []
    for n in args.rows or [1_000_000]:
        table_rows += scenario(n, args.data)
    print_table(
        [
            "invoices",
            "question",
            "source ms",
            "rollup ms (route + freshness check + query)",
            "of which fingerprint ms",
            "speed-up",
        ],
        table_rows,
    )


if __name__ == "__main__":
    main()
