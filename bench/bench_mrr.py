"""Canonical MRR by month and segment at 1M/10M/100M invoice rows.

canon (compile + run on DuckDB) against, in the same script on the same Parquet files:
the best hand-written DuckDB SQL for the same answer, pandas, and polars (lazy). Each
(method, size) runs in its own process so peak RSS is that method's own. Optional:
PostgreSQL and Spark (local mode) at 10M rows, with the same canon question.

    python bench/bench_mrr.py --rows 1000000 10000000 [--rows 100000000] [--engines]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import canon_exe, machine, print_table  # noqa: E402

DATA = ROOT / "bench" / "data"
REPEAT = 3  # default: best of three runs in the same process (the first pays for cold caches)
TABLES = ("raw_accounts", "raw_contracts", "raw_invoices", "raw_payments")
MRR_YML = (ROOT / "src" / "canon" / "examples" / "acme" / "templates" / "metrics" / "mrr.yml").read_text()
CANON_YML = """\
name: bench
warehouse: {engine: duckdb, path: views.duckdb, schema: main}
current_period: "2026-10"
sources:
  raw_invoices: {primary_key: [invoice_id]}
  raw_contracts: {primary_key: [contract_id]}
  raw_accounts: {primary_key: [account_id]}
relationships:
  - {from: raw_invoices.contract_id, to: raw_contracts.contract_id}
  - {from: raw_invoices.account_id, to: raw_accounts.account_id}
  - {from: raw_contracts.account_id, to: raw_accounts.account_id}
  - {from: raw_payments.invoice_id, to: raw_invoices.invoice_id}
  - {from: raw_payments.account_id, to: raw_accounts.account_id}
"""
HAND_SQL = """
select date_trunc('month', i.invoice_date)::date as period_start, a.segment,
       cast(round(sum(i.amount) * 100) as bigint) as mrr_cents
from raw_invoices i
join raw_contracts c on c.contract_id = i.contract_id
join raw_accounts a on a.account_id = i.account_id
where i.type = 'subscription' and i.status = 'paid' and c.type = 'recurring' and c.status = 'active'
  and i.invoice_date >= date '2025-05-01' and i.invoice_date < date '2026-11-01'
group by all order by 1, 2
"""


def dataset(rows: int) -> Path:
    folder = DATA / f"acme-{rows}"
    if not (folder / "raw_invoices.parquet").exists() and not (folder / "raw_invoices").exists():
        subprocess.run(
            [canon_exe(), "generate", "acme", "--rows", str(rows), "--out", str(folder)],
            check=True,
        )
    return folder


def parquet(folder: Path, table: str) -> str:
    single = folder / f"{table}.parquet"
    return str(single) if single.exists() else str(folder / table / "*.parquet")


def project_dir(folder: Path) -> Path:
    """A canon project whose DuckDB warehouse is views over the Parquet files."""
    import duckdb

    proj = folder / "project"
    (proj / "metrics").mkdir(parents=True, exist_ok=True)
    (proj / "canon.yml").write_text(CANON_YML)
    (proj / "metrics" / "mrr.yml").write_text(MRR_YML)
    con = duckdb.connect(str(proj / "views.duckdb"))
    for t in TABLES:
        con.execute(f"create or replace view {t} as select * from read_parquet('{parquet(folder, t)}')")  # noqa: S608
    con.close()
    return proj


def run_canon(folder: Path) -> Any:
    """Setup (not timed): open the project, build the question. Run: compile + execute."""
    from canon.project import load_project

    p = load_project(project_dir(folder))
    q = p.question(["mrr"], by=["segment"], period_from="2025-05", period_to="2026-10")

    def run() -> Any:
        table = p.query(q, check=False)
        return table.num_rows, sum(table.column("mrr_cents").to_pylist())

    return run


def run_hand(folder: Path) -> Any:
    import duckdb

    con = duckdb.connect(str(project_dir(folder) / "views.duckdb"), read_only=True)

    def run() -> Any:
        rows = con.execute(HAND_SQL).fetchall()
        return len(rows), sum(r[2] for r in rows)

    return run


def run_pandas(folder: Path) -> Any:
    import pandas as pd

    def run() -> Any:
        cols = ["contract_id", "account_id", "invoice_date", "amount", "type", "status"]
        inv = pd.read_parquet(parquet(folder, "raw_invoices"), columns=cols)
        dates = pd.to_datetime(inv["invoice_date"])
        inv = inv[
            (inv["type"] == "subscription")
            & (inv["status"] == "paid")
            & (dates >= "2025-05-01")
            & (dates < "2026-11-01")
        ]
        con = pd.read_parquet(parquet(folder, "raw_contracts"), columns=["contract_id", "type", "status"])
        con = con[(con["type"] == "recurring") & (con["status"] == "active")][["contract_id"]]
        acc = pd.read_parquet(parquet(folder, "raw_accounts"), columns=["account_id", "segment"])
        df = inv.merge(con, on="contract_id").merge(acc, on="account_id")
        df["period"] = pd.to_datetime(df["invoice_date"]).dt.to_period("M")
        out = df.groupby(["period", "segment"], observed=True)["amount"].sum()
        return len(out), sum(round(float(v) * 100) for v in out.to_numpy())

    return run


def run_polars(folder: Path) -> Any:
    import polars as pl

    def run() -> Any:
        inv = pl.scan_parquet(parquet(folder, "raw_invoices")).filter(
            (pl.col("type") == "subscription")
            & (pl.col("status") == "paid")
            & pl.col("invoice_date").is_between(date(2025, 5, 1), date(2026, 11, 1), closed="left")
        )
        con = (
            pl.scan_parquet(parquet(folder, "raw_contracts"))
            .filter((pl.col("type") == "recurring") & (pl.col("status") == "active"))
            .select("contract_id")
        )
        acc = pl.scan_parquet(parquet(folder, "raw_accounts")).select("account_id", "segment")
        out = (
            inv.join(con, on="contract_id")
            .join(acc, on="account_id")
            .group_by(pl.col("invoice_date").dt.truncate("1mo").alias("period"), "segment")
            .agg(pl.col("amount").sum())
            .collect()
        )
        return out.height, sum(round(float(v) * 100) for v in out["amount"].to_list())

    return run


METHODS = {"canon (DuckDB)": run_canon, "hand-written DuckDB SQL": run_hand, "pandas": run_pandas, "polars": run_polars}


def _child(name: str, folder: str, queue: Any, repeat: int) -> None:
    try:
        run = METHODS[name](Path(folder))  # setup, not timed
        best, result = float("inf"), None
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = run()
            best = min(best, time.perf_counter() - t0)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put({"seconds": best, "result": result, "rss": rss})
    except MemoryError:
        queue.put({"error": "out of memory"})
    except Exception as exc:  # report, don't crash the table
        queue.put({"error": f"{type(exc).__name__}: {exc}"[:120]})


def measure(name: str, folder: Path, repeat: int = REPEAT, mem_limit_gib: int = 20) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_limited, args=(name, str(folder), queue, mem_limit_gib, repeat))
    proc.start()
    result: dict[str, Any] = {}
    while not result:
        try:
            result = queue.get(timeout=2)
        except Exception:
            if not proc.is_alive():
                result = {"error": f"process died (exit {proc.exitcode})"}
    proc.join()
    return result


def _limited(name: str, folder: str, queue: Any, gib: int, repeat: int) -> None:
    if name == "pandas":  # address-space cap: pandas holds everything in memory; the engines reserve freely
        limit = gib * 2**30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _child(name, folder, queue, repeat)


def engines_at(rows: int) -> list[list[str]]:
    """canon on PostgreSQL and on Spark local mode at `rows`, beside DuckDB."""
    import tempfile

    from tests.support.postgres import fresh_database, throwaway_postgres

    from canon.engines import connect
    from canon.engines.duckdb import DuckDBEngine
    from canon.engines.transfer import copy_to_postgres, copy_to_spark
    from canon.project import load_project

    folder = dataset(rows)
    proj = project_dir(folder)
    out: list[list[str]] = []
    src = DuckDBEngine(proj / "views.duckdb", read_only=True)
    materialized = DuckDBEngine()
    for t in ("raw_accounts", "raw_contracts", "raw_invoices"):
        materialized.conn.execute(f"create table {t} as select * from read_parquet('{parquet(folder, t)}')")  # noqa: S608
    src.close()
    with throwaway_postgres() as admin:
        dsn = fresh_database(admin, "bench")
        pg = connect("postgres", dsn=dsn)
        t0 = time.perf_counter()
        copy_to_postgres(materialized, pg, ("raw_accounts", "raw_contracts", "raw_invoices"))  # type: ignore[arg-type]
        pg.run(["analyze"])
        load_s = time.perf_counter() - t0
        project = load_project(proj, engine=pg)
        q = project.question(["mrr"], by=["segment"], period_from="2025-05", period_to="2026-10")
        t0 = time.perf_counter()
        table = project.query(q, check=False)
        out.append(
            [
                "PostgreSQL 15",
                f"{rows:,}",
                f"{time.perf_counter() - t0:.2f}",
                f"load {load_s:.0f} s",
                str(sum(table.column("mrr_cents").to_pylist())),
            ]
        )
        pg.close()
    from canon.engines.spark import SparkEngine

    spark = SparkEngine()
    copy_to_spark(materialized, spark, ("raw_accounts", "raw_contracts", "raw_invoices"), Path(tempfile.mkdtemp()))
    project = load_project(proj, engine=spark)
    q = project.question(["mrr"], by=["segment"], period_from="2025-05", period_to="2026-10")
    project.query(q, check=False)  # warm-up: JVM and planning
    t0 = time.perf_counter()
    table = project.query(q, check=False)
    out.append(
        [
            "Spark 4.3 local[2]",
            f"{rows:,}",
            f"{time.perf_counter() - t0:.2f}",
            "warm",
            str(sum(table.column("mrr_cents").to_pylist())),
        ]
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--engines", action="store_true", help="also PostgreSQL and Spark at 10M rows")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="timed runs per method (best is kept)")
    parser.add_argument("--skip", nargs="*", default=[], help="methods to skip at 100M, e.g. pandas")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    rows_out = []
    for rows in args.rows:
        folder = dataset(rows)
        results = {}
        for name in METHODS:
            if rows >= 100_000_000 and name in args.skip:
                results[name] = {"error": "not run (see note)"}
                continue
            results[name] = measure(name, folder, args.repeat)
        base = results["hand-written DuckDB SQL"].get("seconds")
        answers = {json.dumps(r.get("result")) for r in results.values() if "result" in r}
        for name, r in results.items():
            if "error" in r:
                rows_out.append([name, f"{rows:,}", r["error"], "", "", ""])
                continue
            ratio = f"{r['seconds'] / base:.2f}×" if base else ""
            rows_out.append(
                [
                    name,
                    f"{rows:,}",
                    f"{r['seconds']:.3f}" if r["seconds"] < 1 else f"{r['seconds']:.2f}",
                    ratio,
                    f"{r['rss']:.0f} MiB",
                    "same" if len(answers) == 1 else "DIFFERS",
                ]
            )
    print_table(["method", "invoice rows", "seconds", "vs hand-written DuckDB", "peak RSS", "answer"], rows_out)
    if args.engines:
        print_table(["engine", "invoice rows", "canon query s", "note", "sum of cents"], engines_at(10_000_000))


if __name__ == "__main__":
    main()
