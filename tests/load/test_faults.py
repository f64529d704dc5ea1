"""One writer at a time, and a killed writer never outlives itself: real PostgreSQL, real `kill -9`.

A loader subprocess is paused at a known point (after it took the lock and staged its files,
before anything is committed), then a second loader runs, then the first is killed with
SIGKILL and the next load is timed. Nothing here simulates the lock: the second writer
meets the first one's own advisory lock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from canon.errors import BusyError
from canon.load import load_sources
from canon.load.policy import LoadPolicy
from tests.load.conftest import CUSTOMERS_HEADER, ORDERS_HEADER, Project

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("load-postgres")]

SRC = str(Path(__file__).resolve().parents[2] / "src")
CUSTOMERS = [[i, "free", "2025-01-10", "true"] for i in range(1, 201)]
ORDERS = [[f"O{i}", 1 + i % 200, "2026-01-01", f"{i}.00", "paid", 1] for i in range(1, 1001)]

# Loads, but stops after the lock is taken and every file is staged: prints READY and sleeps.
PAUSED_LOAD = textwrap.dedent(
    """
    import sys, time
    from canon.load import pipeline, load_sources
    real = pipeline._check_one
    def paused(backend, job, index):
        if index == 0:
            print("READY", flush=True)
            time.sleep(600)
        return real(backend, job, index)
    pipeline._check_one = paused
    load_sources(sys.argv[1], dsn=sys.argv[2] if len(sys.argv) > 2 else None)
    """
)


def pg(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as con:
        cur = con.execute(sql.encode())
        return cur.fetchall() if cur.description is not None else []


def start_paused(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "READY" not in line:
        proc.kill()
        raise AssertionError(f"the paused writer did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc


def kill9(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture
def loaded_pg(shop: Project, pg_dsn: str) -> tuple[Project, str]:
    shop.write_csv("customers", CUSTOMERS_HEADER, CUSTOMERS)
    shop.write_csv("orders", ORDERS_HEADER, ORDERS)
    load_sources(shop.root, dsn=pg_dsn)
    return shop, pg_dsn


def test_a_second_load_is_refused_at_once_and_a_killed_loaders_lock_dies_with_it(
    loaded_pg: tuple[Project, str],
) -> None:
    shop, dsn = loaded_pg
    before = pg(dsn, "SELECT count(*) FROM main.orders")
    first = start_paused(PAUSED_LOAD, str(shop.root), dsn)
    try:
        t0 = time.perf_counter()
        with pytest.raises(BusyError, match="already running canon load") as err:
            load_sources(shop.root, dsn=dsn)
        assert time.perf_counter() - t0 < 5  # refused at once, not after waiting for the first
        assert err.value.exit_code == 2
    finally:
        kill9(first)
    killed = time.perf_counter()
    while True:  # the next load is let in as soon as the server has noticed the dead client
        attempt = time.perf_counter()
        assert attempt - killed < 10, "a killed loader's lock outlived it by 10 s"
        try:
            load_sources(shop.root, dsn=dsn, policy=LoadPolicy())
            print(f"\nnext load let in {attempt - killed:.2f} s after kill -9")
            break
        except BusyError:
            time.sleep(0.2)
    assert pg(dsn, "SELECT count(*) FROM main.orders") == before
    # no half-built table and no staging table of the killed load is left
    leftovers = pg(dsn, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%%canon%%'")
    assert sorted(leftovers) == [("canon_quarantine",), ("canon_quarantine_refused",)]


def test_a_load_killed_between_swap_and_commit_leaves_the_previous_tables(
    loaded_pg: tuple[Project, str], tmp_path: Path
) -> None:
    shop, dsn = loaded_pg
    before = (pg(dsn, "SELECT * FROM main.customers ORDER BY 1"), pg(dsn, "SELECT * FROM main.orders ORDER BY 1"))
    script = textwrap.dedent(
        """
        import sys, time
        from canon.load import postgres_backend, load_sources
        real = postgres_backend.PostgresBackend.replace
        def paused(self, rel, query):
            real(self, rel, query)
            if rel.name == "orders":
                print("READY", flush=True)
                time.sleep(600)
        postgres_backend.PostgresBackend.replace = paused
        load_sources(sys.argv[1], dsn=sys.argv[2])
        """
    )
    shop.write_csv("orders", ORDERS_HEADER, ORDERS[:800])
    proc = start_paused(script, str(shop.root), dsn)
    kill9(proc)
    killed = time.perf_counter()
    # a reader waits for the killed transaction's table locks only until the server ends it
    after = (pg(dsn, "SELECT * FROM main.customers ORDER BY 1"), pg(dsn, "SELECT * FROM main.orders ORDER BY 1"))
    assert time.perf_counter() - killed < 10
    assert after == before
    load_sources(shop.root, dsn=dsn)  # the lock is free again
    assert pg(dsn, "SELECT count(*) FROM main.orders") == [(800,)]


BUSY_LOAD = textwrap.dedent(
    """
    import sys
    from canon.load import pipeline, load_sources
    real = pipeline._check_one
    def busy(backend, job, index):
        if index == 0:
            print("READY", flush=True)
            backend._execute("SELECT pg_sleep(600)")  # the server is busy for this client when it dies
        return real(backend, job, index)
    pipeline._check_one = busy
    load_sources(sys.argv[1], dsn=sys.argv[2])
    """
)


def test_a_loader_killed_while_its_server_backend_is_busy_frees_the_lock_within_10_seconds(
    loaded_pg: tuple[Project, str],
) -> None:
    """A backend running a statement for a dead client only notices when it checks the socket."""
    shop, dsn = loaded_pg
    proc = start_paused(BUSY_LOAD, str(shop.root), dsn)
    time.sleep(0.5)  # the statement is running in the server
    kill9(proc)
    killed = time.perf_counter()
    while True:
        attempt = time.perf_counter()
        assert attempt - killed < 10, "a killed loader's busy backend kept the lock for 10 s"
        try:
            load_sources(shop.root, dsn=dsn)
            print(f"\nnext load let in {attempt - killed:.2f} s after kill -9 (backend was busy)")
            break
        except BusyError:
            time.sleep(0.2)


def test_budget_and_parent_guard_refuse_on_postgres_and_leave_the_tables(loaded_pg: tuple[Project, str]) -> None:
    from canon.load.policy import LoadRefused

    shop, dsn = loaded_pg
    snapshot = "SELECT (SELECT count(*) FROM main.customers), (SELECT count(*) FROM main.orders), " + (
        "(SELECT count(*) FROM main.canon_quarantine)"
    )
    before = pg(dsn, snapshot)
    shop.write_csv("customers", CUSTOMERS_HEADER, [*CUSTOMERS, [999, "gold", "2025-01-01", "true"]])
    with pytest.raises(LoadRefused, match="error budget is 0"):
        load_sources(shop.root, dsn=dsn, only=["customers"])
    assert pg(dsn, snapshot) == before
    assert pg(dsn, "SELECT line, reason FROM main.canon_quarantine_refused") == [(len(CUSTOMERS) + 2, "unknown_value")]
    # dropping customer 200 would orphan the orders that reference it (integer key against integer column)
    orphans = sum(1 for r in ORDERS if r[1] == 200)
    shop.write_csv("customers", CUSTOMERS_HEADER, CUSTOMERS[:-1])
    with pytest.raises(LoadRefused, match=f"{orphans} row\\(s\\) of main.orders would lose their parent"):
        load_sources(shop.root, dsn=dsn, only=["customers"])
    assert pg(dsn, snapshot) == before
