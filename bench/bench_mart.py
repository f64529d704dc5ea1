"""Finance mart build at benchmark scale (10M recognition rows), on DuckDB and PostgreSQL.

    python bench/bench_mart.py [--scale 305] [--pg-scale 30] [--memory-limit 3GB] [--skip-pg]

Targets: full build < 60 s and peak memory < 4 GiB on DuckDB. The alternative in the same
process: pull the silver tables out as Arrow and compute the same figures in polars (four
groupings: revenue_recognition, cash_position, revenue_per_active_student,
revenue_concentration); canon builds the same four for the ratio, and the polars results are
checked equal to the mart's. Each DuckDB measurement runs in a fresh child process so its peak
RSS is its own. Data is generated once into bench/data/lessons-<scale>/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, print_table

ROOT = Path(__file__).resolve().parent
PG_SETTINGS = (("work_mem", "256MB"), ("jit", "off"))
SUBSET = ("revenue_recognition", "cash_position", "revenue_per_active_student", "revenue_concentration")


def ensure_world(scale: int) -> Path:
    dest = ROOT / "data" / f"lessons-{scale}"
    if not (dest / "warehouse.duckdb").exists():
        t0 = time.perf_counter()
        canon = Path(sys.executable).parent / "canon"
        subprocess.run(
            [str(canon), "init", str(dest), "--example", "lessons", "--scale", str(scale), "--force"], check=True
        )
        print(f"generated scale {scale} in {time.perf_counter() - t0:.0f} s", flush=True)
    from canon.examples.lessons.writer import write_contracts

    write_contracts(dest)  # always the contracts of this checkout
    return dest


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_duckdb(dest: Path, memory_limit: str, what: str) -> dict[str, object]:
    """One measurement in this (fresh) process: `full` build, or the `subset` build then polars."""
    import duckdb

    from bench.mart_polars import check_against_mart, figures
    from canon.engines import connect
    from canon.mart import build_mart, load_section

    engine = connect("duckdb", path=dest / "warehouse.duckdb", memory_limit=memory_limit)
    contracts = load_section(dest / "metrics", "finance")
    out: dict[str, object] = {}
    rows = engine.scalar("SELECT count(*) FROM revenue.recognition")
    out["recognition_rows"] = rows
    if what == "full":
        t0 = time.perf_counter()
        report = build_mart(engine, contracts, section="finance")
        out["seconds"] = time.perf_counter() - t0
        out["groupings"] = {g.name: round(g.seconds, 2) for g in report.groupings}
        out["peak_mib"] = peak_mib()
        return out
    subset = [c for c in contracts if c.name in SUBSET]
    t0 = time.perf_counter()
    build_mart(engine, subset, section="finance")
    out["canon_subset_seconds"] = time.perf_counter() - t0
    out["canon_subset_peak_mib"] = peak_mib()
    engine.close()
    con = duckdb.connect(str(dest / "warehouse.duckdb"), read_only=True)
    t0 = time.perf_counter()
    got = figures(con)
    out["polars_seconds"] = time.perf_counter() - t0
    out["polars_peak_mib"] = peak_mib()
    out["polars_matches_mart"] = check_against_mart(con, got) == []
    return out


def run_child(dest: Path, memory_limit: str, what: str) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", what, "--dest", str(dest), "--memory-limit", memory_limit]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def postgres(dest: Path) -> dict[str, object]:
    import psycopg
    from psycopg import sql as pgsql
    from tests.support.postgres import fresh_database, throwaway_postgres

    from canon.engines import connect
    from canon.examples.lessons.pgcopy import copy_schemas
    from canon.mart import build_mart, load_section

    out: dict[str, object] = {}
    silver = connect("duckdb", path=dest / "warehouse.duckdb", read_only=True)
    with throwaway_postgres() as dsn:
        db = fresh_database(dsn, "bench_mart")
        with psycopg.connect(db, autocommit=True) as admin:  # server tuning for analytics, as a DBA would
            for name, value in PG_SETTINGS:
                admin.execute(
                    pgsql.SQL("ALTER DATABASE {} SET {} = {}").format(
                        pgsql.Identifier("bench_mart"), pgsql.Identifier(name), pgsql.Literal(value)
                    )
                )
        pg = connect("postgres", dsn=db)
        t0 = time.perf_counter()
        copy_schemas(silver, pg, schemas=["spine", "revenue", "coaching", "delivery", "finance"])  # type: ignore[arg-type]
        out["copy_seconds"] = time.perf_counter() - t0
        contracts = load_section(dest / "metrics", "finance")
        t0 = time.perf_counter()
        report = build_mart(pg, contracts, section="finance")
        out["seconds"] = time.perf_counter() - t0
        out["groupings"] = {g.name: round(g.seconds, 2) for g in report.groupings}
        t0 = time.perf_counter()
        build_mart(pg, [c for c in contracts if c.name in SUBSET], section="finance")
        out["canon_subset_seconds"] = time.perf_counter() - t0
        pg.close()
    out["recognition_rows"] = silver.scalar("SELECT count(*) FROM revenue.recognition")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=305, help="DuckDB scale (305 ≈ 10M recognition rows)")
    ap.add_argument("--pg-scale", type=int, default=30, help="PostgreSQL scale (30 ≈ 1M recognition rows)")
    ap.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit for the build")
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--child", choices=["full", "subset"])
    ap.add_argument("--dest", type=Path)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child_duckdb(args.dest, args.memory_limit, args.child)))
        return
    table: list[list[object]] = []
    details: dict[str, object] = {}
    for engine, scale in [("duckdb", args.scale), *([] if args.skip_pg else [("postgres", args.pg_scale)])]:
        dest = ensure_world(scale)
        alt = run_child(dest, args.memory_limit, "subset")
        if engine == "duckdb":
            full = run_child(dest, args.memory_limit, "full")
            peak = f"{full['peak_mib']:.0f}"
        else:
            full = postgres(dest)
            peak = "server-side"
            alt["canon_subset_seconds"] = full["canon_subset_seconds"]
        details[engine] = {"full": full, "subset_vs_polars": alt}
        ratio = float(alt["canon_subset_seconds"]) / float(alt["polars_seconds"])  # type: ignore[arg-type]
        table.append(
            [
                engine,
                f"{int(full['recognition_rows']):,}",  # type: ignore[call-overload]
                f"{float(full['seconds']):.1f}",  # type: ignore[arg-type]
                peak,
                f"{float(alt['canon_subset_seconds']):.1f}",  # type: ignore[arg-type]
                f"{float(alt['polars_seconds']):.1f}",  # type: ignore[arg-type]
                f"{ratio:.2f}×",
                "yes" if alt["polars_matches_mart"] else "NO",
            ]
        )
    print(
        f"machine: {machine()}; load average at end {os.getloadavg()[0]:.1f}; DuckDB memory_limit {args.memory_limit}"
    )
    print_table(
        [
            "engine",
            "recognition rows",
            "full mart build s (7 groupings)",
            "peak RSS MiB",
            "canon, 4 groupings s",
            "polars, same 4 s",
            "canon / polars",
            "polars = mart",
        ],
        table,
    )
    print(json.dumps(details, indent=1))


if __name__ == "__main__":
    main()
