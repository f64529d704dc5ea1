"""`canon query mrr --by segment` as a whole process against the least a person could run instead.

The alternative: a plain Python script that opens the same DuckDB file with the duckdb module
and runs the SQL canon generates (`canon query mrr --by segment --sql --dialect duckdb`),
printing the rows. Both are whole processes timed from the outside (median of interleaved
runs), at 1M and 10M invoice rows: the difference is canon's startup, compile, catalog check
and rendering. Targets: ≤ 2× at 1M, ≤ 1.3× at 10M.

In process at 1M: `project.query(q)` against DuckDB running canon's own SQL on the same
connection (target ≤ 1.05×), and the compile + render median.

The data is `canon generate acme --rows N` (Parquet, shared with bench_mrr.py), loaded once into
a DuckDB warehouse file outside the timed region, as `canon load` would leave a project.

    python bench/bench_query_process.py [--rows 1000000 10000000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_mrr import CANON_YML, MRR_YML, TABLES, dataset, parquet  # noqa: E402
from bench.common import (  # noqa: E402
    absolute_pythonpath,
    canon_exe,
    canon_under_test,
    load_average,
    machine,
    print_table,
    process_medians,
)

PLAIN_SCRIPT = '''\
"""The alternative to `canon query`: the same SQL, run by the duckdb module on the same file."""
import sys

import duckdb

con = duckdb.connect(sys.argv[1], read_only=True)
for row in con.execute(open(sys.argv[2]).read()).fetchall():
    print(*row, sep="\\t")
'''


def project(rows: int) -> Path:
    """A canon project whose warehouse file holds the generated tables (built once, not timed)."""
    folder = dataset(rows)
    proj = folder / "process-project"
    done = proj / ".loaded"
    if not done.exists():
        import duckdb

        (proj / "metrics").mkdir(parents=True, exist_ok=True)
        (proj / "canon.yml").write_text(CANON_YML.replace("path: views.duckdb", "path: warehouse.duckdb"))
        (proj / "metrics" / "mrr.yml").write_text(MRR_YML)
        (proj / "warehouse.duckdb").unlink(missing_ok=True)
        con = duckdb.connect(str(proj / "warehouse.duckdb"))
        for t in TABLES:
            con.execute(f"create table {t} as select * from read_parquet('{parquet(folder, t)}')")  # noqa: S608
        con.execute("checkpoint")
        con.close()
        done.write_text("tables loaded\n")
    (proj / "plain_mrr.py").write_text(PLAIN_SCRIPT)
    return proj


def canon_sql(proj: Path) -> Path:
    out = subprocess.run(
        [canon_exe(), "query", "mrr", "--by", "segment", "--sql", "--dialect", "duckdb"],
        cwd=proj,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = proj / "mrr_by_segment.sql"
    path.write_text(out)
    return path


def same_answer(proj: Path, sql: Path) -> str:
    """canon's CSV and the plain script's rows: same row count and the same total of cents."""
    canon_csv = subprocess.run(
        [canon_exe(), "query", "mrr", "--by", "segment", "--format", "csv"],
        cwd=proj,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    plain = subprocess.run(
        [sys.executable, "plain_mrr.py", "warehouse.duckdb", str(sql)], cwd=proj, capture_output=True, text=True
    ).stdout.splitlines()
    header = canon_csv[0].split(",")
    cents = header.index("mrr_cents")
    canon_total = sum(int(line.split(",")[cents]) for line in canon_csv[1:])
    plain_total = sum(int(line.split("\t")[-1]) for line in plain)
    same = len(canon_csv) - 1 == len(plain) and canon_total == plain_total
    return "same" if same else f"DIFFERS ({len(canon_csv) - 1} vs {len(plain)} rows)"


def whole_process(rows: int, runs: int) -> list[str]:
    proj = project(rows)
    sql = canon_sql(proj)
    commands: dict[str, tuple[list[str], str | None]] = {
        "canon": ([canon_exe(), "query", "mrr", "--by", "segment"], str(proj)),
        "plain": ([sys.executable, "plain_mrr.py", "warehouse.duckdb", str(sql)], str(proj)),
    }
    samples = process_medians(commands, runs)
    canon_s, plain_s = statistics.median(samples["canon"]), statistics.median(samples["plain"])
    return [
        f"{rows:,}",
        f"{canon_s:.3f}",
        f"{plain_s:.3f}",
        f"{canon_s / plain_s:.2f}×",
        "≤ 2×" if rows < 5_000_000 else "≤ 1.3×",
        same_answer(proj, sql),
    ]


def in_process(rows: int, runs: int) -> list[list[str]]:
    """project.query(q) and DuckDB running canon's SQL on the same connection, interleaved."""
    from canon.project import load_project

    p = load_project(project(rows))
    q = p.question(["mrr"], by=["segment"])
    sql = p.engine.render(p.compile(q, p.engine))
    con = p.engine.conn  # type: ignore[attr-defined]
    methods = {
        "project.query(q)": lambda: p.query(q),
        "project.query(q, check=False)": lambda: p.query(q, check=False),
        "duckdb: con.sql(canon's SQL).to_arrow_table()": lambda: con.sql(sql).to_arrow_table(),
    }
    for fn in methods.values():  # warm-up: buffer pool, catalog
        fn()
    samples: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(runs):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    base = statistics.median(samples["duckdb: con.sql(canon's SQL).to_arrow_table()"])
    out = [
        [name, f"{rows:,}", f"{statistics.median(s) * 1000:.1f}", f"{statistics.median(s) / base:.3f}×"]
        for name, s in samples.items()
    ]
    by_month = p.question(["mrr"])
    for label, question in (("mrr by month", by_month), ("mrr by month and segment", q)):
        compile_s = []
        for _ in range(1000):
            t0 = time.perf_counter()
            p.sql(question, "duckdb")
            compile_s.append(time.perf_counter() - t0)
        out.append([f"compile + render ({label}), 1,000×", "", f"{statistics.median(compile_s) * 1000:.3f}", ""])
    p.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (median kept)")
    parser.add_argument("--in-process-runs", type=int, default=21)
    args = parser.parse_args()
    absolute_pythonpath()
    print(f"machine: {machine()}; {args.runs} interleaved runs each; {load_average()} before")
    print(f"canon under test: {canon_under_test(str(ROOT / 'bench'))}")
    for rows in args.rows:  # setup outside every timed region
        project(rows)
    table = [whole_process(rows, args.runs) for rows in args.rows]
    print_table(["invoice rows", "canon query s", "plain duckdb script s", "ratio", "target", "answer"], table)
    print(f"{load_average()} after the whole-process runs")
    print_table(
        ["in process", "invoice rows", "median ms", "vs DuckDB on canon's SQL"],
        in_process(min(args.rows), args.in_process_runs),
    )
    print(f"{load_average()} after")


if __name__ == "__main__":
    main()
