"""MRR movements (new, expansion, contraction, churn, reactivation) for 2026-01..2026-10 at scale.

canon (compile + run the five movement contracts of the ACME example as one question on
DuckDB) against a hand-written DuckDB query for the same answer, on the same Parquet files
from `canon generate acme` (views in a DuckDB file). Each method runs in its own process, best
of three runs (the first pays for cold caches); the five sums per month must agree to the cent.
Target: canon ≤ 1.5× the hand-written query.

    python bench/bench_movements.py --rows 1000000 [10000000] [--data bench/data]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_mrr import CANON_YML, MRR_YML, TABLES, parquet  # noqa: E402
from bench.common import canon_exe, load_average, machine, print_table  # noqa: E402

REPEAT = 3
OUT = ROOT / "bench" / "out"
TEMPLATES = ROOT / "src" / "canon" / "examples" / "acme" / "templates" / "metrics"
MOVEMENTS = ("new_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr", "reactivation_mrr")
HAND_SQL = """
with m as (
  select c.account_id, date_trunc('month', i.invoice_date)::date as month, sum(i.amount) as mrr
  from raw_invoices i join raw_contracts c on c.contract_id = i.contract_id
  where i.type = 'subscription' and i.status = 'paid' and c.type = 'recurring' and c.status = 'active'
    and i.invoice_date < date '2026-11-01'
  group by all
),
firsts as (select account_id, min(month) as first_month from m where mrr <> 0 group by 1),
spine as (select unnest(generate_series(date '2025-12-01', date '2026-10-01', interval 1 month))::date as month),
grid as (
  select f.account_id, f.first_month, s.month, coalesce(m.mrr, 0) as mrr
  from firsts f cross join spine s left join m on m.account_id = f.account_id and m.month = s.month
),
l as (select *, lag(mrr, 1, 0) over (partition by account_id order by month) as prev from grid)
select month,
  cast(sum(case when prev = 0 and mrr <> 0 and first_month = month then mrr else 0 end) * 100 as bigint),
  cast(sum(case when prev <> 0 and mrr > prev then mrr - prev else 0 end) * 100 as bigint),
  cast(sum(case when prev <> 0 and mrr <> 0 and mrr < prev then mrr - prev else 0 end) * 100 as bigint),
  cast(sum(case when prev <> 0 and mrr = 0 then -prev else 0 end) * 100 as bigint),
  cast(sum(case when prev = 0 and mrr <> 0 and first_month < month then mrr else 0 end) * 100 as bigint)
from l where month >= date '2026-01-01'
group by 1 order by 1
"""


def dataset(data: Path, rows: int) -> Path:
    """The generated ACME Parquet files at `rows` invoices (generated once, kept in `data`)."""
    import subprocess

    folder = data / f"acme-{rows}"
    if not (folder / "raw_invoices.parquet").exists() and not (folder / "raw_invoices").exists():
        subprocess.run([canon_exe(), "generate", "acme", "--rows", str(rows), "--out", str(folder)], check=True)
    return folder


def project_dir(folder: Path, rows: int) -> Path:
    """A canon project (mrr + the five movement contracts) whose warehouse is views over the Parquet files."""
    import duckdb

    proj = OUT / f"movements-{rows}"
    (proj / "metrics").mkdir(parents=True, exist_ok=True)
    (proj / "canon.yml").write_text(CANON_YML)
    (proj / "metrics" / "mrr.yml").write_text(MRR_YML)
    for name in MOVEMENTS:
        (proj / "metrics" / f"{name}.yml").write_text((TEMPLATES / f"{name}.yml").read_text())
    con = duckdb.connect(str(proj / "views.duckdb"))
    for t in TABLES:
        con.execute(f"create or replace view {t} as select * from read_parquet('{parquet(folder, t)}')")  # noqa: S608
    con.close()
    return proj


def run_canon(proj: Path) -> Any:
    from canon.project import load_project

    p = load_project(proj)
    q = p.question(list(MOVEMENTS), period_from="2026-01", period_to="2026-10")

    def run() -> Any:
        table = p.query(q, check=False)  # compile + execute
        return [tuple(r[f"{m}_cents"] for m in MOVEMENTS) for r in table.to_pylist()]

    return run


def run_hand(proj: Path) -> Any:
    import duckdb

    con = duckdb.connect(str(proj / "views.duckdb"), read_only=True)

    def run() -> Any:
        return [tuple(int(v) for v in r[1:]) for r in con.execute(HAND_SQL).fetchall()]

    return run


METHODS = {"canon (DuckDB)": run_canon, "hand-written DuckDB SQL": run_hand}


def _child(name: str, proj: str, queue: Any) -> None:
    try:
        run = METHODS[name](Path(proj))
        best, result = float("inf"), None
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            result = run()
            best = min(best, time.perf_counter() - t0)
        queue.put({"seconds": best, "result": result})
    except Exception as exc:  # report, don't crash the table
        queue.put({"error": f"{type(exc).__name__}: {exc}"[:200]})


def measure(name: str, proj: Path) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, str(proj), queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data")
    args = parser.parse_args()
    print(machine(), "|", load_average())
    rows_out = []
    for rows in args.rows:
        proj = project_dir(dataset(args.data, rows), rows)
        canon = measure("canon (DuckDB)", proj)
        hand = measure("hand-written DuckDB SQL", proj)
        if "error" in canon or "error" in hand:
            raise SystemExit(f"failed: canon {canon.get('error')} / hand {hand.get('error')}")
        same = canon["result"] == hand["result"]
        ratio = canon["seconds"] / hand["seconds"]
        rows_out.append(
            [
                f"{rows:,}",
                f"{canon['seconds']:.2f}",
                f"{hand['seconds']:.2f}",
                f"**{ratio:.2f}×** {'✓' if ratio <= 1.5 else '✗'}",
                "same cents" if same else "DIFFERENT",
            ]
        )
        if not same:
            raise SystemExit(f"canon and the hand query disagree: {canon['result']} vs {hand['result']}")
    print(load_average())
    print_table(["invoice rows", "canon s", "hand-written DuckDB s", "ratio (≤ 1.5×)", "check"], rows_out)


if __name__ == "__main__":
    main()
