"""`canon load` into a real PostgreSQL: same quarantine as DuckDB, atomic swaps, FKs, views."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from canon.errors import LoadError
from canon.load import load_sources, postgres_backend
from tests.load.conftest import CUSTOMERS_HEADER, GOOD_CUSTOMERS, LENIENT, ORDERS_HEADER, Project, shop_schema
from tests.load.test_load_duckdb import ORDERS, expected

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("load-postgres")]

QUARANTINE = "SELECT table_name, line, column_name, reason, value FROM main.canon_quarantine"


def pg(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as con:
        cur = con.execute(sql.encode())
        return cur.fetchall() if cur.description is not None else []


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda r: tuple("" if v is None else str(v) for v in r))


def test_postgres_quarantines_exactly_what_duckdb_quarantines(shop: Project, pg_dsn: str) -> None:
    customers = [*GOOD_CUSTOMERS, [4, " Gold ", "2025-02-29", "maybe"], [5, "PRO", "2024-02-29", "N"]]
    shop.write_csv("customers", CUSTOMERS_HEADER, customers)
    shop.write_csv("orders", ORDERS_HEADER, [r for r, _ in ORDERS] + [["O99", 4, "2026-01-01", "1", "paid", 1]])
    duck = load_sources(shop.root, policy=LENIENT)
    post = load_sources(shop.root, dsn=pg_dsn, policy=LENIENT)

    q_pg = _sorted(pg(pg_dsn, QUARANTINE))
    assert q_pg == _sorted(shop.query(QUARANTINE))
    assert sorted((r[:4] for r in q_pg if r[0] == "orders"), key=lambda r: (r[1], r[2] or "", r[3])) == sorted(
        [*expected("orders", ORDERS), ("orders", len(ORDERS) + 2, "customer_id", "missing_parent")]
    )
    for table in ("customers", "orders"):
        assert pg(pg_dsn, f"SELECT * FROM main.{table} ORDER BY 1") == shop.query(
            f"SELECT * FROM main.{table} ORDER BY 1"
        )
    assert [(t.rows_read, t.rows_loaded, t.normalized) for t in post.tables] == [
        (t.rows_read, t.rows_loaded, t.normalized) for t in duck.tables
    ]
    assert post.table("customers").normalized == {"tier": 1}


TRICKY: list[tuple[str, str, str | None]] = [
    # (data_type, raw text, expected reason or None)
    ("date", "2024-02-29", None),
    ("date", "2023-02-29", "invalid_date"),
    ("date", "Jan 5 2026", "invalid_date"),  # PostgreSQL's own cast would accept this
    ("date", "20260105", "invalid_date"),
    ("date", "0000-01-01", "invalid_date"),
    ("timestamp", "2026-01-05T23:59:59.123456", None),
    ("timestamp", "2026-01-05 24:00:00", "invalid_timestamp"),
    ("timestamp", "2026-01-05 10:00+02", "invalid_timestamp"),
    ("timestamptz", "2026-01-05 10:00:00+05:30", None),
    ("timestamptz", "2026-01-05 10:00:00+16", "invalid_timestamp"),
    ("numeric(6,2)", "9999.99", None),
    ("numeric(6,2)", "10000", "out_of_range"),
    ("numeric(6,2)", "1.005", "too_many_decimals"),
    ("numeric(6,2)", "1.500", None),
    ("numeric(6,2)", "1e2", "invalid_number"),
    ("integer", "2147483647", None),
    ("integer", "2147483648", "out_of_range"),
    ("bigint", "99999999999999999999999", "out_of_range"),
    ("integer", "4.0", "invalid_integer"),
    ("double", "1e-400", "out_of_range"),
    ("double", "-0.0", None),
    ("double", "1e309", "out_of_range"),
    ("boolean", "Y", None),
    ("boolean", "on", "invalid_boolean"),
    ("uuid", "123E4567-E89B-12D3-A456-426614174000", None),
    ("uuid", "{123e4567-e89b-12d3-a456-426614174000}", "invalid_uuid"),
]


def test_tricky_values_get_identical_verdicts_and_values_on_both_engines(tmp_path: Path, pg_dsn: str) -> None:
    p = Project(tmp_path)
    by_type: dict[str, list[tuple[str, str | None]]] = {}
    for dtype, text_, reason in TRICKY:
        by_type.setdefault(dtype, []).append((text_, reason))
    tables, want = [], []
    for i, (dtype, cases) in enumerate(by_type.items()):
        tables.append({"name": f"t{i}", "columns": [{"name": "v", "data_type": dtype}]})
        p.write_csv(f"t{i}", ["v"], [[text_] for text_, _ in cases])
        want += [(f"t{i}", line, reason) for line, (_, reason) in enumerate(cases, start=2) if reason]
    p.write_yaml({"version": 2, "sources": [{"name": "s", "schema": "main", "tables": tables}]})
    load_sources(p.root, policy=LENIENT)
    load_sources(p.root, dsn=pg_dsn, policy=LENIENT)
    for rows in (pg(pg_dsn, QUARANTINE), p.query(QUARANTINE)):
        assert sorted((r[0], r[1], r[3]) for r in rows) == sorted(want)
    for i in range(len(by_type)):
        sql = f"SELECT v FROM main.t{i} ORDER BY 1"
        assert pg(pg_dsn, sql) == p.query(sql), list(by_type)[i]


def test_postgres_failure_mid_load_leaves_previous_tables(
    shop: Project, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.write_csv("orders", ORDERS_HEADER, [["O1", 1, "2026-01-01", "1.00", "paid", 1]])
    load_sources(shop.root, dsn=pg_dsn, policy=LENIENT)
    snapshot = (
        "SELECT (SELECT count(*) FROM main.customers), (SELECT string_agg(order_id, ',') FROM main.orders),"
        " (SELECT count(*) FROM main.canon_quarantine)"
    )
    before = pg(pg_dsn, snapshot)
    assert before == [(3, "O1", 0)]
    shop.write_csv("customers", CUSTOMERS_HEADER, [*GOOD_CUSTOMERS, [4, "pro", "bad", "t"]])
    shop.write_csv("orders", ORDERS_HEADER, [["O2", 2, "2026-01-01", "1.00", "paid", 1]])
    real = postgres_backend.PostgresBackend.replace

    def failing(self: postgres_backend.PostgresBackend, rel: Any, query: Any) -> None:
        real(self, rel, query)
        if rel.name == "orders":
            raise RuntimeError("injected failure before commit")

    monkeypatch.setattr(postgres_backend.PostgresBackend, "replace", failing)
    with pytest.raises(RuntimeError, match="injected"):
        load_sources(shop.root, dsn=pg_dsn, policy=LENIENT)
    assert pg(pg_dsn, snapshot) == before


def test_postgres_foreign_keys_against_a_warehouse_parent(shop: Project, pg_dsn: str) -> None:
    shop.write_csv("orders", ORDERS_HEADER, [["O1", 1, "2026-01-01", "1.00", "paid", 1]])
    load_sources(shop.root, dsn=pg_dsn, policy=LENIENT)
    shop.write_csv(
        "orders",
        ORDERS_HEADER,
        [["O2", 3, "2026-01-01", "1.00", "paid", 1], ["O3", 8, "2026-01-01", "1.00", "paid", 1]],
    )
    report = load_sources(shop.root, dsn=pg_dsn, only=["orders"], policy=LENIENT)
    assert [t.table for t in report.tables] == ["orders"]
    assert pg(pg_dsn, "SELECT line, reason, value FROM main.canon_quarantine") == [(3, "missing_parent", "8")]
    assert pg(pg_dsn, "SELECT order_id FROM main.orders") == [("O2",)]


def test_postgres_table_with_dependent_views_is_refilled_in_place(shop: Project, pg_dsn: str) -> None:
    shop.write_csv("orders", ORDERS_HEADER, [["O1", 1, "2026-01-01", "1.00", "paid", 1]])
    load_sources(shop.root, dsn=pg_dsn, policy=LENIENT)
    pg(pg_dsn, "CREATE VIEW main.stg_orders AS SELECT order_id, amount FROM main.orders")
    shop.write_csv(
        "orders",
        ORDERS_HEADER,
        [["O2", 2, "2026-01-02", "2.50", "paid", 1], ["O3", 3, "2026-01-03", "3", "void", 1]],
    )
    load_sources(shop.root, dsn=pg_dsn, policy=LENIENT)
    assert pg(pg_dsn, "SELECT * FROM main.stg_orders ORDER BY 1") == [
        ("O2", Decimal("2.50")),
        ("O3", Decimal("3.00")),
    ]

    # Changing a column's type cannot be done under a dependent view: a clear error, no change.
    doc = shop_schema("new")
    doc["sources"][0]["tables"][1]["columns"][3]["data_type"] = "numeric(14,4)"
    shop.write_yaml(doc)
    with pytest.raises(LoadError, match=r"views depend on it: main.stg_orders"):
        load_sources(shop.root, dsn=pg_dsn, policy=LENIENT)
    assert pg(pg_dsn, "SELECT * FROM main.stg_orders ORDER BY 1") == [
        ("O2", Decimal("2.50")),
        ("O3", Decimal("3.00")),
    ]
    assert pg(pg_dsn, "SELECT count(*) FROM main.orders WHERE ordered_at >= '2026-01-02'") == [(2,)]
