"""All-or-nothing on DuckDB: an error or a crash mid-load leaves the previous tables intact."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from canon.load import duckdb_backend, load_sources
from tests.load.conftest import CUSTOMERS_HEADER, LENIENT, ORDERS_HEADER, Project

FIRST_CUSTOMERS = [[1, "free", "2025-01-10", "true"], [2, "pro", "2025-02-11", "false"]]
FIRST_ORDERS = [["O1", 1, "2026-01-01", "1.00", "paid", 1], ["O2", 2, "2026-01-02", "bad", "paid", 1]]
NEXT_CUSTOMERS = [
    [1, "free", "2025-01-10", "true"],
    [2, "pro", "2025-02-11", "false"],
    [3, "pro", "2025-03-01", "t"],
]
NEXT_ORDERS = [["O7", 3, "2026-02-01", "7.00", "void", 1]]


def _snapshot(p: Project) -> tuple[Any, ...]:
    return (
        p.query("SELECT * FROM main.customers ORDER BY 1"),
        p.query("SELECT * FROM main.orders ORDER BY 1"),
        p.query("SELECT * FROM main.canon_quarantine ORDER BY table_name, line"),
        p.query("SELECT table_name FROM information_schema.tables ORDER BY 1"),
    )


@pytest.fixture
def loaded(shop: Project) -> tuple[Project, tuple[Any, ...]]:
    shop.write_csv("customers", CUSTOMERS_HEADER, FIRST_CUSTOMERS)
    shop.write_csv("orders", ORDERS_HEADER, FIRST_ORDERS)
    load_sources(shop.root, policy=LENIENT)
    before = _snapshot(shop)
    assert len(before[0]) == 2 and len(before[1]) == 1 and len(before[2]) == 1
    shop.write_csv("customers", CUSTOMERS_HEADER, NEXT_CUSTOMERS)
    shop.write_csv("orders", ORDERS_HEADER, NEXT_ORDERS)
    return shop, before


def test_error_after_the_first_swap_rolls_back_every_table(
    loaded: tuple[Project, tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, before = loaded
    real = duckdb_backend.DuckDBBackend.replace
    swaps: list[str] = []

    def failing(self: duckdb_backend.DuckDBBackend, rel: Any, query: Any) -> None:
        real(self, rel, query)
        swaps.append(rel.name)
        if len(swaps) == 2:  # customers AND orders already swapped inside the transaction
            raise RuntimeError("injected failure before commit")

    monkeypatch.setattr(duckdb_backend.DuckDBBackend, "replace", failing)
    with pytest.raises(RuntimeError, match="injected"):
        load_sources(shop.root, policy=LENIENT)
    assert swaps == ["customers", "orders"]
    assert _snapshot(shop) == before
    monkeypatch.undo()
    load_sources(shop.root, policy=LENIENT)  # and the next load works normally
    assert shop.query("SELECT order_id FROM main.orders") == [("O7",)]


def test_process_killed_mid_load_leaves_previous_tables_readable(
    loaded: tuple[Project, tuple[Any, ...]], tmp_path: Path
) -> None:
    shop, before = loaded
    script = tmp_path / "crash.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, sys
            from canon.load import duckdb_backend, load_sources
            from canon.load.policy import LoadPolicy
            real = duckdb_backend.DuckDBBackend.replace
            def crash(self, rel, query):
                real(self, rel, query)
                if rel.name == "orders":
                    os._exit(17)  # die without rollback, commit or cleanup
            duckdb_backend.DuckDBBackend.replace = crash
            load_sources(sys.argv[1], policy=LoadPolicy.accept_all())
            """
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.run([sys.executable, str(script), str(shop.root)], env=env, capture_output=True, text=True)
    assert proc.returncode == 17, proc.stderr
    assert _snapshot(shop) == before
