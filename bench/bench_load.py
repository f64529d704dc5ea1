"""Load throughput: `canon load` (all rules on) vs a plain, unvalidated load in the same process.

Data: an ACME-like invoices CSV (invoice_id, account_id, contract_id, invoice_date, amount,
type, status) at 1M and 10M rows plus its accounts parent, generated vectorised with
pyarrow/numpy, with ~0.1% bad rows (impossible dates, non-numeric amounts, unknown
statuses, duplicate ids, unknown accounts) and ~0.1% enum values needing normalisation.

Baselines, run in the same process on the same files:
- DuckDB: `CREATE TABLE … AS SELECT * FROM read_csv(…)` (auto-detected types, no rules);
- PostgreSQL: `COPY … FROM STDIN` of the raw file into an all-text table (no rules).

Peak memory is the process's resident high-water mark during each step (reset between
steps through /proc/self/clear_refs). Usage: python bench/bench_load.py [--rows 1000000 ...]
[--pg-rows 1000000] [--no-pg] [--capped 1GB]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402

from canon.load import load_sources  # noqa: E402
from canon.load.policy import LoadPolicy  # noqa: E402

ACCEPT = LoadPolicy.accept_all()  # the data carries ~0.1% defects on purpose: measure the quarantine path

DATA = ROOT / "bench" / "data" / "load"
CHUNK = 1_000_000
BAD_SHARE = 0.001

SCHEMA_YML = """\
version: 2
sources:
  - name: acme
    schema: main
    tables:
      - name: raw_accounts
        columns:
          - name: account_id
            data_type: varchar
            data_tests: [unique, not_null]
          - name: segment
            data_type: varchar
            data_tests:
              - accepted_values:
                  arguments: {values: [smb, mid_market, enterprise]}
      - name: raw_invoices
        columns:
          - name: invoice_id
            data_type: varchar
            data_tests: [unique, not_null]
          - name: account_id
            data_type: varchar
            data_tests:
              - not_null
              - relationships:
                  arguments: {to: "source('acme', 'raw_accounts')", field: account_id}
          - name: contract_id
            data_type: varchar
          - name: invoice_date
            data_type: date
            data_tests: [not_null]
          - name: amount
            data_type: numeric(12,2)
            data_tests: [not_null]
          - name: type
            data_type: varchar
            data_tests:
              - accepted_values:
                  arguments: {values: [subscription, setup, credit]}
          - name: status
            data_type: varchar
            data_tests:
              - accepted_values:
                  arguments: {values: [paid, pending, void]}
"""


# ----------------------------------------------------------------------------- data


def _prefixed(prefix: str, ids: np.ndarray, width: int) -> pa.Array:
    return pc.binary_join_element_wise(
        prefix, pc.utf8_lpad(pc.cast(pa.array(ids), pa.string()), width=width, padding="0"), ""
    )


def _pick(rng: np.random.Generator, values: list[str], n: int, p: list[float]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(rng.choice(len(values), n, p=p).astype(np.int32)), values).cast(
        pa.string()
    )


def _invoice_chunk(rng: np.random.Generator, start: int, n: int, accounts: int) -> tuple[pa.Table, int]:
    ids = np.arange(start, start + n)
    acct = rng.integers(0, accounts, n)
    cents = rng.integers(-50_000, 2_000_000, n)
    days = rng.integers(0, 540, n)
    dates = pc.strftime(
        pc.cast(
            pa.array(days + np.datetime64("2025-05-01", "D").astype(np.int64), pa.int32()).cast(pa.date32()),
            pa.timestamp("s"),
        ),
        format="%Y-%m-%d",
    )
    dollars = pc.cast(pa.array(np.abs(cents) // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(np.abs(cents) % 100), pa.string()), width=2, padding="0")
    sign = pa.array(np.where(cents < 0, "-", ""))
    amount = pc.binary_join_element_wise(sign, dollars, ".", frac, "")
    cols: dict[str, Any] = {
        "invoice_id": _prefixed("INV-", ids, 9),
        "account_id": _prefixed("ACC-", acct, 7),
        "contract_id": _prefixed("CTR-", rng.integers(0, accounts * 2, n), 7),
        "invoice_date": dates,
        "amount": amount,
        "type": _pick(rng, ["subscription", "setup", "credit"], n, [0.85, 0.1, 0.05]),
        "status": _pick(rng, ["paid", "pending", "void"], n, [0.9, 0.07, 0.03]),
    }
    # ~0.1% bad rows, one defect each, spread over six kinds; plus ~0.1% re-spelled enums.
    kind = np.where(rng.random(n) < BAD_SHARE, rng.integers(0, 6, n), -1)
    bad = int((kind >= 0).sum())

    def put(col: str, mask: np.ndarray, value: pa.Array | str) -> None:
        if mask.any():
            repl = value if isinstance(value, pa.Array) else pa.array([value] * int(mask.sum()))
            cols[col] = pc.replace_with_mask(cols[col], pa.array(mask), repl)

    put("invoice_date", kind == 0, "2026-02-30")
    put("amount", kind == 1, "12,50")
    put("status", kind == 2, "refunded")
    put(
        "invoice_id",
        (kind == 3) & (ids > 0),
        pc.filter(_prefixed("INV-", ids - 1, 9), pa.array((kind == 3) & (ids > 0))),
    )
    put("account_id", kind == 4, "ACC-9999999")
    put("amount", kind == 5, "")
    put("status", (kind < 0) & (rng.random(n) < 0.001), " Paid ")
    return pa.table(cols), bad


def generate(rows: int) -> tuple[Path, int]:
    """A project with raw_accounts + raw_invoices CSVs; returns (root, bad invoice rows)."""
    root = DATA / f"invoices_{rows}"
    marker = root / ".complete"
    if marker.exists():
        return root, int(marker.read_text())
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "seeds").mkdir(exist_ok=True)
    (root / "models" / "src_acme.yml").write_text(SCHEMA_YML, encoding="utf-8")
    rng = np.random.default_rng(42)
    accounts = max(1_000, rows // 100)
    acc = pa.table(
        {
            "account_id": _prefixed("ACC-", np.arange(accounts), 7),
            "segment": _pick(rng, ["smb", "mid_market", "enterprise"], accounts, [0.6, 0.3, 0.1]),
        }
    )
    pacsv.write_csv(acc, root / "seeds" / "raw_accounts.csv")
    bad_total = 0
    with pacsv.CSVWriter(root / "seeds" / "raw_invoices.csv", _invoice_chunk(rng, 0, 1, accounts)[0].schema) as w:
        for start in range(0, rows, CHUNK):
            chunk, bad = _invoice_chunk(rng, start, min(CHUNK, rows - start), accounts)
            w.write_table(chunk)
            bad_total += bad
    marker.write_text(str(bad_total))
    return root, bad_total


# ----------------------------------------------------------------------------- measuring


def _reset_peak() -> None:
    with contextlib.suppress(OSError):  # not Linux: the peak then covers the whole run
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Measure:
    wall: float  # seconds
    cpu: float  # CPU seconds of this process, all threads (DuckDB's work; not the PG server's)
    peak: float  # MiB
    result: Any


def measure(fn: Callable[[], Any]) -> Measure:
    _reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    return Measure(time.perf_counter() - t0, time.process_time() - c0, _peak_mib(), result)


def plain_duckdb(root: Path, db: Path) -> None:
    """The obvious alternative: let DuckDB sniff the types and create the tables, no rules."""
    db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute("SET enable_progress_bar = false")
        con.execute("CREATE TABLE raw_accounts AS SELECT * FROM read_csv(?)", [str(root / "seeds/raw_accounts.csv")])
        con.execute("CREATE TABLE raw_invoices AS SELECT * FROM read_csv(?)", [str(root / "seeds/raw_invoices.csv")])


PLAIN_PG = {
    "raw_accounts": "CREATE TABLE plain_raw_accounts (account_id text, segment text)",
    "raw_invoices": "CREATE TABLE plain_raw_invoices (invoice_id text, account_id text, contract_id text, "
    "invoice_date text, amount text, type text, status text)",
}


def plain_postgres(root: Path, dsn: str) -> None:
    """The obvious alternative: COPY the raw file into a text table (typed COPY would abort)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn, autocommit=True) as con:
        for table, ddl in PLAIN_PG.items():
            name = sql.Identifier("plain_" + table)
            con.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
            con.execute(ddl.encode())
            copy = sql.SQL("COPY {} FROM STDIN (FORMAT csv, HEADER true)").format(name)
            with (
                con.cursor() as cur,
                cur.copy(copy) as cp,
                (root / "seeds" / f"{table}.csv").open("rb") as fh,
            ):
                while block := fh.read(1 << 20):
                    cp.write(block)


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()} Linux, {os.cpu_count()} cores, {mem:.0f} GiB RAM, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 10_000_000])
    ap.add_argument("--pg-rows", type=int, default=1_000_000)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--capped", default="1GB", help="also run the largest size under this DuckDB memory cap")
    args = ap.parse_args()
    results: list[list[str]] = []

    def row(engine: str, n: int, what: str, m: Measure, base: Measure | None, extra: str = "") -> None:
        wall = f"{m.wall / base.wall:.2f}×" if base else "1.00×"
        cpu = f"{m.cpu / base.cpu:.2f}×" if base and engine == "duckdb" else ("1.00×" if engine == "duckdb" else "–")
        results.append(
            [
                engine,
                f"{n:,}",
                what,
                f"{m.wall:.2f}",
                f"{m.cpu:.2f}",
                f"{n / m.wall / 1e6:.2f}M",
                wall,
                cpu,
                f"{m.peak:,.0f}",
                extra,
            ]
        )
        print(results[-1], flush=True)

    for n in args.rows:
        t0 = time.perf_counter()
        root, bad = generate(n)
        print(f"data {n:,} rows ready in {time.perf_counter() - t0:.1f}s ({bad:,} bad rows)", flush=True)
        db = DATA / f"bench_{n}.duckdb"
        base = measure(lambda root=root, db=db: plain_duckdb(root, db))
        row("duckdb", n, "plain read_csv CTAS (no rules)", base, None)
        db.unlink(missing_ok=True)
        m = measure(lambda root=root, db=db: load_sources(root, database=db, policy=ACCEPT))
        inv = m.result.table("raw_invoices")
        assert inv.rows_read == n, (inv.rows_read, n)
        respelled = sum(inv.normalized.values())
        notes = f"{inv.rows_quarantined:,} quarantined ({bad:,} defects written), {respelled:,} normalized"
        row("duckdb", n, "canon load (all rules, quarantine, swap)", m, base, notes)
        db.unlink(missing_ok=True)
        if args.capped and n == max(args.rows):
            m = measure(
                lambda root=root, db=db: load_sources(root, database=db, memory_limit=args.capped, policy=ACCEPT)
            )
            row("duckdb", n, f"canon load, --memory-limit {args.capped}", m, base, "spills to disk")
            db.unlink(missing_ok=True)

    if not args.no_pg:
        from tests.support.postgres import throwaway_postgres

        n = args.pg_rows
        root, bad = generate(n)
        with throwaway_postgres() as dsn:
            base = measure(lambda: plain_postgres(root, dsn))
            row("postgres", n, "plain COPY into text table (no rules)", base, None)
            m = measure(lambda: load_sources(root, dsn=dsn, policy=ACCEPT))
            inv = m.result.table("raw_invoices")
            notes = f"{inv.rows_quarantined:,} quarantined ({bad:,} defects written)"
            row("postgres", n, "canon load (all rules, quarantine, swap)", m, base, notes)

    print(f"\nmachine: {machine()}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other jobs share the machine)")
    headers = [
        "engine",
        "invoice rows",
        "method",
        "wall s",
        "CPU s",
        "rows/s",
        "vs plain (wall)",
        "vs plain (CPU)",
        "peak RSS MiB",
        "notes",
    ]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in results]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
