"""Fixture projects for `canon load`: a small shop (customers → orders) declared as dbt sources.

The schema is written in either dbt spelling (1.10+ `data_tests:` + `arguments:`, or the
older `tests:` with inline arguments) so every rule is exercised through both. Files are
written row by row by the tests themselves, which therefore know — independently of the
loader — which lines are bad and why.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from canon.load.policy import LoadPolicy
from tests.support.postgres import fresh_database, throwaway_postgres

# The tests written before the error budget check what a load quarantines and loads; they
# load with no budget (`--allow-quarantine`). tests/load/test_guards.py tests the default.
LENIENT = LoadPolicy.accept_all()

CUSTOMERS_HEADER = ["customer_id", "tier", "signup_date", "active"]
ORDERS_HEADER = ["order_id", "customer_id", "ordered_at", "amount", "status", "qty"]


def _test(name: str, args: dict[str, Any], form: str) -> dict[str, Any]:
    return {name: {"arguments": args} if form == "new" else dict(args)}


def shop_schema(form: str = "new", source_schema: str | None = "main") -> dict[str, Any]:
    """The shop's source declaration as a dbt YAML document in the given spelling."""
    key = "data_tests" if form == "new" else "tests"
    customers = {
        "name": "customers",
        "columns": [
            {"name": "customer_id", "data_type": "integer", key: ["unique", "not_null"]},
            {
                "name": "tier",
                "data_type": "varchar",
                key: [_test("accepted_values", {"values": ["free", "pro", "enterprise"]}, form)],
            },
            {"name": "signup_date", "data_type": "date"},
            {"name": "active", "data_type": "boolean"},
        ],
    }
    orders = {
        "name": "orders",
        "columns": [
            {"name": "order_id", "data_type": "varchar(12)", key: ["unique", "not_null"]},
            {
                "name": "customer_id",
                "data_type": "integer",
                key: [
                    "not_null",
                    _test("relationships", {"to": "source('shop', 'customers')", "field": "customer_id"}, form),
                ],
            },
            {"name": "ordered_at", "data_type": "timestamp"},
            {"name": "amount", "data_type": "numeric(12,2)", key: ["not_null"]},
            {
                "name": "status",
                "data_type": "varchar",
                key: ["not_null", _test("accepted_values", {"values": ["paid", "pending", "void"]}, form)],
            },
            {"name": "qty", "data_type": "integer"},
        ],
    }
    source: dict[str, Any] = {"name": "shop", "tables": [customers, orders]}
    if source_schema:
        source["schema"] = source_schema
    return {"version": 2, "sources": [source]}


@dataclass
class Project:
    root: Path
    schema: str = "main"  # where the quarantine is expected

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    def write_yaml(self, doc: dict[str, Any], name: str = "models/staging/src_shop.yml") -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    def write_csv(
        self, table: str, header: Sequence[str], rows: Sequence[Sequence[Any]], folder: str = "seeds"
    ) -> Path:
        path = self.root / folder / f"{table}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
        return path

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()

    def quarantine(self, table: str | None = None) -> list[tuple[Any, ...]]:
        """(table, line, column, reason) of every quarantine record, sorted."""
        sql = f"SELECT table_name, line, column_name, reason FROM {self.schema}.canon_quarantine"
        rows = self.query(sql + (" WHERE table_name = ?" if table else ""), [table] if table else [])
        return sorted(rows, key=lambda r: (r[0], r[1], r[2] or "", r[3]))


GOOD_CUSTOMERS = [
    [1, "free", "2025-01-10", "true"],
    [2, "pro", "2025-02-11", "false"],
    [3, "enterprise", "2025-03-12", "true"],
]


@pytest.fixture
def shop(tmp_path: Path) -> Project:
    project = Project(tmp_path / "shop")
    project.root.mkdir()
    project.write_yaml(shop_schema("new"))
    project.write_csv("customers", CUSTOMERS_HEADER, GOOD_CUSTOMERS)
    return project


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with throwaway_postgres() as dsn:
        yield dsn


@pytest.fixture
def pg_dsn(pg_server: str, request: pytest.FixtureRequest) -> str:
    name = "load_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name.lower())[:50]
    return fresh_database(pg_server, name)
