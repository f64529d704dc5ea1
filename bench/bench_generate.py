"""Benchmark: ACME data generation at scale (`canon generate acme`) against a row-at-a-time writer.

The obvious alternative is what one writes first: a Python loop that draws each contract,
each invoice and each payment with `random` and writes it with `csv.writer`. Both run in
this process, one after the other; peak RSS is measured per scenario by resetting the
kernel's high-water mark (/proc/self/clear_refs) before each run. CPU seconds (all threads)
are printed too: on a shared machine wall time depends on the neighbours, CPU time much less.

    .venv/bin/python bench/bench_generate.py               # 1M and 10M
    .venv/bin/python bench/bench_generate.py --with-100m   # and 100M (a few minutes, ~2 GB of disk)

Output goes to bench/data/ (gitignored) and is deleted after each scenario unless --keep.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import resource
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from canon.examples.acme.scale import generate_acme

DATA = Path(__file__).resolve().parent / "data"


def reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def peak_rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def row_at_a_time_csv(rows: int, out: Path) -> None:
    """The obvious alternative: draw and write one row at a time (same tables, same mix)."""
    rng = random.Random(7)
    out.mkdir(parents=True, exist_ok=True)
    first = date(2025, 5, 1)
    accounts = round(rows * 85 / 480)

    def month_day(month: int, day: int) -> date:
        year, mon = divmod(first.month - 1 + month, 12)
        return date(first.year + year, mon + 1, day)

    with (
        open(out / "raw_contracts.csv", "w", newline="") as fc,
        open(out / "raw_invoices.csv", "w", newline="") as fi,
        open(out / "raw_payments.csv", "w", newline="") as fp,
    ):
        contracts, invoices, payments = csv.writer(fc), csv.writer(fi), csv.writer(fp)
        contracts.writerow(["contract_id", "account_id", "start_date", "end_date", "annual_value", "type", "status"])
        invoices.writerow(["invoice_id", "account_id", "contract_id", "invoice_date", "amount", "type", "status"])
        payments.writerow(["payment_id", "account_id", "invoice_id", "payment_date", "amount", "refunded"])
        n_contract = n_invoice = n_payment = 0
        while n_invoice < rows:
            kind = rng.choices(range(6), weights=[49, 10, 2.5, 5.8, 25, 7.7])[0]
            account = f"ACC-{rng.randrange(accounts):09d}"
            contract = f"CTR-{n_contract:09d}"
            n_contract += 1
            installment = rng.randint(120, 5500) * 1000
            start = 17 - int(18 * rng.random() ** 2.5) if kind == 0 else rng.randrange(18)
            months = 0 if kind >= 4 else (18 - start if kind == 0 else rng.randint(1, 3))
            day = rng.randint(1, 28)
            annual = installment * 12 if kind != 4 else rng.randint(10, 80) * 60_000
            contracts.writerow(
                [contract, account, month_day(start, day), month_day(start, day) + timedelta(days=730),
                 f"{annual / 100:.2f}", ["recurring", "pilot", "one-time"][[0, 0, 1, 1, 2, 0][kind]],
                 ["active", "churned", "active", "churned", "active", "pending"][kind]]
            )  # fmt: skip
            lines = [(month, installment, "subscription") for month in range(max(start, 0), max(start, 0) + months)]
            if kind == 4 or rng.random() < 0.2:
                lines.append((min(start, 17), annual if kind == 4 else 500_000, "setup"))
            for month, amount, type_ in lines:
                if n_invoice >= rows:
                    break
                invoice = f"INV-{n_invoice:09d}"
                n_invoice += 1
                status = rng.choices(["paid", "pending", "void"], weights=[97, 1.3, 1.7])[0]
                when = month_day(min(month, 17), day)
                invoices.writerow([invoice, account, contract, when, f"{amount / 100:.2f}", type_, status])
                if status == "paid":
                    paid_on = when + timedelta(days=rng.randint(0, 9))
                    refunded = "true" if rng.random() < 0.015 else "false"
                    payments.writerow(
                        [f"PAY-{n_payment:09d}", account, invoice, paid_on, f"{amount / 100:.2f}", refunded]
                    )
                    n_payment += 1
    with open(out / "raw_accounts.csv", "w", newline="") as fa:
        writer = csv.writer(fa)
        writer.writerow(["account_id", "name", "segment", "industry", "sales_rep", "created_at"])
        for n in range(accounts):
            segment = rng.choice(["enterprise", "mid-market", "smb"])
            created = first - timedelta(days=rng.randint(30, 700))
            writer.writerow([f"ACC-{n:09d}", "Northwind Labs", segment, "software", "Alicia Moreno", created])


def canon_generate(rows: int, out: Path) -> None:
    generate_acme(rows, out)


@dataclass(frozen=True)
class Result:
    scenario: str
    rows: int
    seconds: float
    cpu: float
    rss_mib: float
    output_mib: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def measure(name: str, rows: int, run: Callable[[int, Path], None], keep: bool) -> Result:
    out = DATA / f"{name.replace(' ', '-')}-{rows}"
    shutil.rmtree(out, ignore_errors=True)
    reset_peak_rss()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    run(rows, out)
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    peak = peak_rss_mib()
    size = sum(p.stat().st_size for p in out.iterdir()) / 2**20
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return Result(name, rows, seconds, cpu, peak, size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--with-100m", action="store_true", help="also generate 100M invoice rows")
    parser.add_argument("--keep", action="store_true", help="keep the generated files in bench/data/")
    args = parser.parse_args()
    results = [measure("row-at-a-time csv", 1_000_000, row_at_a_time_csv, args.keep)]
    sizes = [1_000_000, 10_000_000] + ([100_000_000] if args.with_100m else [])
    results += [measure("canon generate", rows, canon_generate, args.keep) for rows in sizes]
    baseline = results[0].rows_per_s
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    python = platform.python_version()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {python}, load average {load}")
    print("| scenario | invoice rows | wall s | rows/s | vs baseline | CPU s | rows/CPU-s | peak RSS | output |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.scenario} | {r.rows:,} | {r.seconds:.1f} | {r.rows_per_s:,.0f} "
            f"| {r.rows_per_s / baseline:.1f}× | {r.cpu:.1f} | {r.rows / r.cpu:,.0f} "
            f"| {r.rss_mib:,.0f} MiB | {r.output_mib:,.0f} MiB |"
        )


if __name__ == "__main__":
    main()
