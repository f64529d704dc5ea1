"""Shared ACME projects for the example tests.

`acme_dir` is written once per worker (no dbt, under a second). `acme_built` is also built
with real dbt; tests that use it share `@pytest.mark.xdist_group("acme_dbt")` so one worker
builds it once. Helpers here read the seeds with DuckDB and explicit types, independently of
the generator's code, so every figure a test asserts comes from SQL written in the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from canon.dbt import DbtRun, run_dbt
from canon.examples import ExampleOptions, init_example

CURRENT = "2026-10"
MONTH_START = "2026-10-01"
MONTH_END = "2026-10-31"

SEED_TYPES = {
    "raw_accounts": {
        "account_id": "VARCHAR", "name": "VARCHAR", "segment": "VARCHAR", "industry": "VARCHAR",
        "sales_rep": "VARCHAR", "created_at": "DATE",
    },
    "raw_contracts": {
        "contract_id": "VARCHAR", "account_id": "VARCHAR", "start_date": "DATE", "end_date": "DATE",
        "annual_value": "DECIMAL(12,2)", "type": "VARCHAR", "status": "VARCHAR",
    },
    "raw_invoices": {
        "invoice_id": "VARCHAR", "account_id": "VARCHAR", "contract_id": "VARCHAR", "invoice_date": "DATE",
        "amount": "DECIMAL(12,2)", "type": "VARCHAR", "status": "VARCHAR",
    },
    "raw_payments": {
        "payment_id": "VARCHAR", "account_id": "VARCHAR", "invoice_id": "VARCHAR", "payment_date": "DATE",
        "amount": "DECIMAL(12,2)", "refunded": "BOOLEAN",
    },
}  # fmt: skip


def seeds_connection(root: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the four seed CSVs of a project, read with explicit types."""
    con = duckdb.connect()
    for table, columns in SEED_TYPES.items():
        con.read_csv(str(root / "seeds" / f"{table}.csv"), header=True, dtype=columns).create(table)
    return con


@pytest.fixture(scope="session")
def acme_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("acme-written") / "acme"
    init_example("acme", root, ExampleOptions())
    return root


@pytest.fixture(scope="session")
def acme_seeds(acme_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = seeds_connection(acme_dir)
    yield con
    con.close()


@pytest.fixture(scope="session")
def acme_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DbtRun]:
    root = tmp_path_factory.mktemp("acme-built") / "acme"
    init_example("acme", root, ExampleOptions())
    return root, run_dbt(root, ["build"])


@pytest.fixture(scope="session")
def warehouse(acme_built: tuple[Path, DbtRun]) -> Iterator[duckdb.DuckDBPyConnection]:
    """The built warehouse, read-only."""
    con = duckdb.connect(str(acme_built[0] / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()
