"""DuckDB loads under faults: `kill -9` mid-load, two loaders at once, a reader holding the file.

A loader subprocess is paused inside its transaction, after it replaced the tables (the worst
moment: the new rows are written, nothing committed), then killed with SIGKILL. The live file
must be byte-for-byte what it was, however many times this happens.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from canon.errors import BusyError
from canon.load import load_sources
from tests.load.conftest import CUSTOMERS_HEADER, ORDERS_HEADER, Project

SRC = str(Path(__file__).resolve().parents[2] / "src")
N = 60_000
CUSTOMERS = [[i, "free", "2025-01-10", "true"] for i in range(1, 1001)]
ORDERS = [[f"O{i}", 1 + i % 1000, "2026-01-01", f"{i % 9999}.{i % 100:02d}", "paid", i % 7] for i in range(1, N + 1)]

PAUSED = textwrap.dedent(
    """
    import sys, time
    from canon.load import duckdb_backend, load_sources
    real = duckdb_backend.DuckDBBackend.replace
    def paused(self, rel, query):
        real(self, rel, query)
        if rel.name == "orders":
            print("READY", flush=True)
            time.sleep(600)
    duckdb_backend.DuckDBBackend.replace = paused
    load_sources(sys.argv[1])
    """
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_paused(root: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSED, str(root)],
        env={**os.environ, "PYTHONPATH": SRC},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "READY" in line, proc.stderr.read() if proc.stderr else line
    return proc


def kill9(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture
def big(shop: Project) -> Project:
    shop.write_csv("customers", CUSTOMERS_HEADER, CUSTOMERS)
    shop.write_csv("orders", ORDERS_HEADER, ORDERS)
    load_sources(shop.root)
    return shop


@pytest.mark.slow
def test_repeated_kill_9_leaves_the_file_byte_for_byte_and_its_size(big: Project) -> None:
    live = big.warehouse
    size, before = live.stat().st_size, digest(live)
    for _ in range(3):
        kill9(start_paused(big.root))
        assert digest(live) == before and live.stat().st_size == size
        assert not (live.parent / (live.name + ".wal")).exists()
    assert big.query("SELECT count(*) FROM main.orders") == [(N,)]
    load_sources(big.root)  # the next load deletes the killed one's beside-file and publishes
    assert not (live.parent / (live.name + ".canon-next")).exists()
    after = live.stat().st_size
    print(f"\nlive file {size:,} B before, after 3 kills {size:,} B, after the next load {after:,} B")
    assert after <= 2 * size
    assert big.query("SELECT count(*) FROM main.orders") == [(N,)]


@pytest.mark.slow
def test_a_second_loader_is_refused_at_once_and_the_lock_dies_with_the_first(big: Project) -> None:
    first = start_paused(big.root)
    try:
        t0 = time.perf_counter()
        with pytest.raises(BusyError, match="already running canon load"):
            load_sources(big.root)
        assert time.perf_counter() - t0 < 5
    finally:
        kill9(first)
    t0 = time.perf_counter()
    load_sources(big.root)
    assert time.perf_counter() - t0 < 10


def test_a_load_publishes_while_a_reader_holds_the_file_and_the_reader_keeps_its_version(shop: Project) -> None:
    orders = [[f"O{i}", 1, "2026-01-01", "1.00", "paid", 1] for i in range(12)]
    shop.write_csv("orders", ORDERS_HEADER, orders[:10])
    load_sources(shop.root)
    reader = duckdb.connect(str(shop.warehouse), read_only=True)  # as `canon serve` holds it
    try:
        shop.write_csv("orders", ORDERS_HEADER, orders)
        load_sources(shop.root)  # an in-place load could not even open the file
        assert reader.execute("SELECT count(*) FROM main.orders").fetchall() == [(10,)]  # its version, whole
    finally:
        reader.close()
    # (DuckDB shares one open database per path within a process, so the new reader comes after)
    assert shop.query("SELECT count(*) FROM main.orders") == [(12,)]
