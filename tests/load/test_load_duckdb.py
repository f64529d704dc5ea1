"""`load_sources` on DuckDB with real broken files: every quarantine case, line numbers, swaps.

Each test writes its file row by row and states, next to each row, what is wrong with it;
the expected quarantine is derived from those annotations, and the expected table contents
from the good rows converted by hand — never from the loader.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from canon.errors import LoadError, UserError
from canon.load import load_sources
from tests.load.conftest import (
    CUSTOMERS_HEADER,
    GOOD_CUSTOMERS,
    LENIENT,
    ORDERS_HEADER,
    Project,
    shop_schema,
)

Bad = set[tuple[str, str]]

# (row, {(column, reason)}) — the reasons are the test's own statement of what is wrong.
ORDERS: list[tuple[list[Any], Bad]] = [
    (["O1", 1, "2026-01-05 10:00:00", "100.00", "paid", 1], set()),
    (["O2", 1, "2026-02-30 10:00:00", "10.00", "paid", 1], {("ordered_at", "invalid_timestamp")}),
    (["O3", 2, "05/01/2026", "10.00", "paid", 1], {("ordered_at", "invalid_timestamp")}),
    (["O4", 2, "2026-01-05T08:30", "12,50", "paid", 1], {("amount", "invalid_number")}),
    (["O5", 2, "2026-01-05", "$12.50", "pending", 1], {("amount", "invalid_number")}),
    (["O6", 3, "2026-01-06", "12.505", "paid", 1], {("amount", "too_many_decimals")}),
    (["O7", 3, "2026-01-06", "", "paid", 1], {("amount", "missing_value")}),
    (["O8", 3, "2026-01-07", "5", "paid", "two"], {("qty", "invalid_integer")}),
    (["O9", 3, "2026-01-07 23:59:59", " 5.5 ", " Paid ", 2], set()),
    (["O10", 3, "2026-01-08", "-3", "PENDING", ""], set()),
    (["O11", 3, "2026-01-08", "5", "refunded", 2], {("status", "unknown_value")}),
    (
        ["O12", 1, "yesterday", "x", "nope", 1],
        {("ordered_at", "invalid_timestamp"), ("amount", "invalid_number"), ("status", "unknown_value")},
    ),
    (["O1234567890123", 1, "2026-01-09", "1", "void", 1], {("order_id", "too_long")}),
    (["O14", "", "2026-01-09", "1", "void", 1], {("customer_id", "missing_value")}),
    (["O15", 2, "2026-01-09", "99999999999.00", "void", 1], {("amount", "out_of_range")}),
    (["O16", 2, "", "0.1", "void", 99999999999], {("qty", "out_of_range")}),
]


def expected(table: str, cases: list[tuple[list[Any], Bad]]) -> list[tuple[str, int, str, str]]:
    """Quarantine records implied by the annotations; line = index + 2 (header is line 1)."""
    return sorted((table, i + 2, col, reason) for i, (_, bad) in enumerate(cases) for col, reason in bad)


def test_value_rules_quarantine_each_bad_field_and_load_the_rest(shop: Project) -> None:
    shop.write_csv("orders", ORDERS_HEADER, [r for r, _ in ORDERS])
    report = load_sources(shop.root, policy=LENIENT)

    assert shop.quarantine("orders") == expected("orders", ORDERS)
    good = [r for r, bad in ORDERS if not bad]
    assert shop.query("SELECT * FROM main.orders ORDER BY order_id") == [
        ("O1", 1, dt.datetime(2026, 1, 5, 10), Decimal("100.00"), "paid", 1),
        ("O10", 3, dt.datetime(2026, 1, 8), Decimal("-3.00"), "pending", None),
        ("O9", 3, dt.datetime(2026, 1, 7, 23, 59, 59), Decimal("5.50"), "paid", 2),
    ]
    assert len(good) == 3
    orders = report.table("orders")
    bad_rows = sum(1 for _, bad in ORDERS if bad)
    assert (orders.rows_read, orders.rows_loaded, orders.rows_quarantined) == (len(ORDERS), 3, bad_rows)
    # ' Paid ' and 'PENDING' were accepted and re-spelled; the report counts them.
    assert orders.normalized == {"status": 2}
    assert orders.count("invalid_timestamp") == 3 and orders.count("unknown_value", "status") == 2
    types = dict(
        shop.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'orders'")
    )
    assert types == {
        "order_id": "VARCHAR",
        "customer_id": "INTEGER",
        "ordered_at": "TIMESTAMP",
        "amount": "DECIMAL(12,2)",
        "status": "VARCHAR",
        "qty": "INTEGER",
    }


@pytest.mark.parametrize("form", ["new", "old"])
def test_both_dbt_spellings_quarantine_the_same_rows(tmp_path: Path, form: str) -> None:
    p = Project(tmp_path / form)
    p.write_yaml(shop_schema(form))
    p.write_csv("customers", CUSTOMERS_HEADER, GOOD_CUSTOMERS)
    p.write_csv("orders", ORDERS_HEADER, [r for r, _ in ORDERS])
    load_sources(p.root, policy=LENIENT)
    assert p.quarantine("orders") == expected("orders", ORDERS)


def test_quarantine_record_carries_file_value_detail_and_raw_row(shop: Project) -> None:
    shop.write_csv("orders", ORDERS_HEADER, [r for r, _ in ORDERS])
    report = load_sources(shop.root, policy=LENIENT)
    rows = shop.query(
        "SELECT load_id, file, value, detail, raw_values, loaded_at FROM main.canon_quarantine "
        "WHERE table_name = 'orders' AND line = 7"
    )
    assert len(rows) == 1
    load_id, file, value, detail, raw, loaded_at = rows[0]
    assert load_id == report.load_id and file == "seeds/orders.csv"
    assert value == "12.505" and "more than 2 decimal places" in detail
    assert json.loads(raw) == dict(zip(ORDERS_HEADER, [str(v) for v in ORDERS[5][0]], strict=True))
    assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - loaded_at) < dt.timedelta(minutes=5)


def test_booleans_dates_and_enum_normalization_in_the_parent(shop: Project) -> None:
    customers: list[tuple[list[Any], Bad]] = [
        ([1, "free", "2025-01-10", "true"], set()),
        ([2, " PRO ", "2024-02-29", "Yes"], set()),
        ([3, "Enterprise", "2025-03-12", "0"], set()),
        ([4, "pro", "2025-04-31", "maybe"], {("signup_date", "invalid_date"), ("active", "invalid_boolean")}),
        ([5, "gold", "2025-02-29", "f"], {("tier", "unknown_value"), ("signup_date", "invalid_date")}),
        (["5x", "free", "", ""], {("customer_id", "invalid_integer")}),
    ]
    shop.write_csv("customers", CUSTOMERS_HEADER, [r for r, _ in customers])
    report = load_sources(shop.root, policy=LENIENT)
    assert shop.quarantine("customers") == expected("customers", customers)
    assert shop.query("SELECT * FROM main.customers ORDER BY customer_id") == [
        (1, "free", dt.date(2025, 1, 10), True),
        (2, "pro", dt.date(2024, 2, 29), True),
        (3, "enterprise", dt.date(2025, 3, 12), False),
    ]
    assert report.table("customers").normalized == {"tier": 2}


def test_duplicate_keys_keep_the_first_valid_copy_and_name_it(shop: Project) -> None:
    rows = [
        ["O1", 1, "2026-01-01", "1.00", "paid", 1],  # line 2: kept
        ["O2", 1, "2026-01-01", "2.00", "paid", 1],  # line 3: kept
        ["O1", 2, "2026-01-02", "3.00", "paid", 1],  # line 4: duplicate of line 2
        ["O3", 1, "2026-01-01", "oops", "paid", 1],  # line 5: invalid, so not a contender
        ["O3", 1, "2026-01-01", "4.00", "paid", 1],  # line 6: first VALID O3 → kept
        ["O1", 3, "2026-01-03", "5.00", "void", 1],  # line 7: duplicate of line 2
    ]
    shop.write_csv("orders", ORDERS_HEADER, rows)
    load_sources(shop.root, policy=LENIENT)
    assert shop.quarantine("orders") == [
        ("orders", 4, "order_id", "duplicate_key"),
        ("orders", 5, "amount", "invalid_number"),
        ("orders", 7, "order_id", "duplicate_key"),
    ]
    details = shop.query(
        "SELECT line, detail, value FROM main.canon_quarantine WHERE reason = 'duplicate_key' ORDER BY line"
    )
    assert [(ln, v) for ln, _, v in details] == [(4, "O1"), (7, "O1")]
    assert all("duplicate of line 2 (kept)" in d for _, d, _ in details)
    assert shop.query("SELECT order_id, amount FROM main.orders ORDER BY order_id") == [
        ("O1", Decimal("1.00")),
        ("O2", Decimal("2.00")),
        ("O3", Decimal("4.00")),
    ]


def test_foreign_keys_checked_against_the_parent_loaded_in_the_same_run(shop: Project) -> None:
    # Customer 4 is in the file but quarantined (bad date), so it is not a valid parent.
    shop.write_csv("customers", CUSTOMERS_HEADER, [*GOOD_CUSTOMERS, [4, "pro", "2025-13-01", "true"]])
    orders: list[tuple[list[Any], Bad]] = [
        (["O1", 1, "2026-01-01", "1.00", "paid", 1], set()),
        (["O2", 99, "2026-01-01", "1.00", "paid", 1], {("customer_id", "missing_parent")}),
        (["O3", 4, "2026-01-01", "1.00", "paid", 1], {("customer_id", "missing_parent")}),
        (["O4", 3, "2026-01-01", "1.00", "paid", 1], set()),
    ]
    shop.write_csv("orders", ORDERS_HEADER, [r for r, _ in orders])
    report = load_sources(shop.root, policy=LENIENT)
    assert shop.quarantine("orders") == expected("orders", orders)
    assert [t.table for t in report.tables] == ["customers", "orders"]  # parents first
    assert shop.query("SELECT order_id FROM main.orders ORDER BY 1") == [("O1",), ("O4",)]


def test_foreign_keys_checked_against_the_parent_already_in_the_warehouse(shop: Project) -> None:
    shop.write_csv("orders", ORDERS_HEADER, [["O1", 1, "2026-01-01", "1.00", "paid", 1]])
    load_sources(shop.root, policy=LENIENT)
    # The customers file changes on disk but only orders is reloaded: the warehouse's
    # customers (1, 2, 3) are the parents, not the file's.
    shop.write_csv("customers", CUSTOMERS_HEADER, [[7, "free", "2025-01-01", "true"]])
    shop.write_csv(
        "orders",
        ORDERS_HEADER,
        [["O5", 2, "2026-01-01", "1.00", "paid", 1], ["O6", 7, "2026-01-01", "1.00", "paid", 1]],
    )
    report = load_sources(shop.root, only=["orders"], policy=LENIENT)
    assert [t.table for t in report.tables] == ["orders"]
    assert shop.quarantine("orders") == [("orders", 3, "customer_id", "missing_parent")]
    assert shop.query("SELECT customer_id FROM main.customers ORDER BY 1") == [(1,), (2,), (3,)]
    assert shop.query("SELECT order_id FROM main.orders") == [("O5",)]


def test_foreign_key_parent_neither_loaded_nor_in_the_warehouse_is_a_user_error(shop: Project) -> None:
    shop.write_csv("orders", ORDERS_HEADER, [["O1", 1, "2026-01-01", "1.00", "paid", 1]])
    with pytest.raises(UserError) as info:
        load_sources(shop.root, only=["orders"], policy=LENIENT)
    text = info.value.render()
    assert "source('shop', 'customers')" in text and "src_shop.yml:" in text and "Fix:" in text
    assert not shop.warehouse.exists() or shop.query(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'orders'"
    ) == [(0,)]


def test_self_referencing_relationship_uses_this_loads_valid_rows(tmp_path: Path) -> None:
    p = Project(tmp_path)
    p.write_yaml(
        {
            "version": 2,
            "sources": [
                {
                    "name": "hr",
                    "schema": "main",
                    "tables": [
                        {
                            "name": "people",
                            "columns": [
                                {"name": "id", "data_type": "int", "data_tests": ["unique", "not_null"]},
                                {
                                    "name": "manager_id",
                                    "data_type": "int",
                                    "data_tests": [
                                        {
                                            "relationships": {
                                                "arguments": {"to": "source('hr', 'people')", "field": "id"}
                                            }
                                        }
                                    ],
                                },
                            ],
                        }
                    ],
                }
            ],
        }
    )
    p.write_csv("people", ["id", "manager_id"], [[1, ""], [2, 1], [3, 9], [4, 2]])
    load_sources(p.root, policy=LENIENT)
    assert p.quarantine() == [("people", 4, "manager_id", "missing_parent")]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (
            ["order_id", "customer_id", "ordered_at", "amount", "status"],
            "column `qty` declared for `orders` is missing from the file",
        ),
        ([*ORDERS_HEADER, "coupon"], "column `coupon` is not declared for `orders`"),
    ],
)
def test_missing_or_extra_column_is_a_user_error_and_changes_nothing(
    shop: Project, header: list[str], problem: str
) -> None:
    shop.write_csv("orders", ORDERS_HEADER, [r for r, _ in ORDERS])
    load_sources(shop.root, policy=LENIENT)
    before = (shop.query("SELECT * FROM main.orders ORDER BY order_id"), shop.quarantine())
    rows = [["O9", 1, "2026-01-01", "1.00", "paid", 1, "x"][: len(header)]]
    shop.write_csv("orders", header, rows)
    with pytest.raises(LoadError) as info:
        load_sources(shop.root, policy=LENIENT)
    text = info.value.render()
    assert "seeds/orders.csv:1" in text and problem in text and "Fix:" in text
    assert (shop.query("SELECT * FROM main.orders ORDER BY order_id"), shop.quarantine()) == before


def test_unreadable_files_are_user_errors_naming_the_file(shop: Project) -> None:
    path = shop.root / "seeds" / "orders.csv"
    path.write_bytes(b"\xff\xfe\x00\x00binary\x00garbage")
    with pytest.raises(LoadError, match=r"seeds/orders.csv:1: cannot read the header"):
        load_sources(shop.root, policy=LENIENT)
    path.write_text("", encoding="utf-8")
    with pytest.raises(LoadError, match=r"seeds/orders.csv:1: the file is empty"):
        load_sources(shop.root, policy=LENIENT)
    with pytest.raises(LoadError, match=r"nowhere.csv: file not found"):
        load_sources(shop.root, files=[f"orders={shop.root / 'nowhere.csv'}"], policy=LENIENT)
    assert not shop.warehouse.exists()


def test_malformed_records_are_quarantined_and_later_lines_keep_their_numbers(shop: Project) -> None:
    path = shop.root / "seeds" / "orders.csv"
    lines = [
        ",".join(ORDERS_HEADER),
        "O1,1,2026-01-01,1.00,paid,1",
        "O2,1,2026-01-01,1.00",  # line 3: too few fields
        'O3,1,2026-01-01,2.00,"paid",1',
        "O4,1,2026-01-01,1.00,paid,1,extra",  # line 5: too many fields
        "O5,1,2026-01-01,bad,paid,1",  # line 6: invalid amount
        "O6,1,2026-01-01,3.00,paid,1",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = load_sources(shop.root, policy=LENIENT)
    assert shop.quarantine("orders") == [
        ("orders", 3, None, "malformed_row"),
        ("orders", 5, None, "malformed_row"),
        ("orders", 6, "amount", "invalid_number"),
    ]
    raw = shop.query("SELECT raw_values FROM main.canon_quarantine WHERE line = 5")[0][0]
    assert json.loads(raw) == {"_line": lines[4]}
    t = report.table("orders")
    assert (t.rows_read, t.rows_loaded, t.rows_quarantined) == (6, 3, 3)


def test_a_quoted_multi_line_value_counts_as_one_record_line(tmp_path: Path) -> None:
    p = Project(tmp_path)
    p.write_yaml(
        {
            "version": 2,
            "sources": [
                {
                    "name": "s",
                    "schema": "main",
                    "tables": [{"name": "notes", "columns": [{"name": "id", "data_type": "int"}, {"name": "body"}]}],
                }
            ],
        }
    )
    p.write_csv("notes", ["id", "body"], [[1, "one\ntwo"], ["x", "bad id"], [3, "ok"]])
    load_sources(p.root, policy=LENIENT)
    assert p.quarantine() == [("notes", 3, "id", "invalid_integer")]
    assert p.query("SELECT body FROM main.notes ORDER BY id") == [("one\ntwo",), ("ok",)]


def test_parquet_source_rows_are_numbered_from_one(shop: Project) -> None:
    table = pa.table(
        {
            "order_id": ["P1", "P2", "P3"],
            "customer_id": pa.array([1, 2, 42], pa.int64()),
            "ordered_at": pa.array([dt.datetime(2026, 1, 1, 9), dt.datetime(2026, 1, 2), None], pa.timestamp("us")),
            "amount": pa.array([Decimal("1.50"), Decimal("2.00"), Decimal("3.00")], pa.decimal128(12, 2)),
            "status": ["paid", "Void", "paid"],
            "qty": pa.array([1, None, 3], pa.int32()),
        }
    )
    (shop.root / "data").mkdir()
    pq.write_table(table, shop.root / "data" / "orders.parquet")
    report = load_sources(shop.root, policy=LENIENT)
    assert shop.quarantine("orders") == [("orders", 3, "customer_id", "missing_parent")]
    assert shop.query("SELECT * FROM main.orders ORDER BY order_id") == [
        ("P1", 1, dt.datetime(2026, 1, 1, 9), Decimal("1.50"), "paid", 1),
        ("P2", 2, dt.datetime(2026, 1, 2), Decimal("2.00"), "void", None),
    ]
    assert report.table("orders").file == "data/orders.parquet"


def test_canon_yml_source_with_primary_key_and_undeclared_columns(tmp_path: Path) -> None:
    p = Project(tmp_path)
    (p.root / "canon.yml").parent.mkdir(parents=True, exist_ok=True)
    (p.root / "canon.yml").write_text("name: ev\nsources:\n  events:\n    primary_key: [event_id]\n", encoding="utf-8")
    p.write_csv("events", ["event_id", "kind"], [["e1", "a"], ["e2", "b"], ["e1", "c"], ["", "d"]], folder="data")
    load_sources(p.root, policy=LENIENT)
    assert p.quarantine() == [
        ("events", 4, "event_id", "duplicate_key"),
        ("events", 5, "event_id", "missing_value"),
    ]
    assert p.query("SELECT * FROM main.events ORDER BY 1") == [("e1", "a"), ("e2", "b")]


def test_reloading_replaces_the_tables_quarantine_records(shop: Project) -> None:
    shop.write_csv("customers", CUSTOMERS_HEADER, [*GOOD_CUSTOMERS, [4, "gold", "2025-01-01", "true"]])
    shop.write_csv("orders", ORDERS_HEADER, [r for r, _ in ORDERS])
    first = load_sources(shop.root, policy=LENIENT)
    assert first.quarantined > 0
    shop.write_csv("orders", ORDERS_HEADER, [r for r, bad in ORDERS if not bad])
    second = load_sources(shop.root, only=["orders"], policy=LENIENT)
    assert second.quarantined == 0
    # orders' old records are gone; customers' (not reloaded) remain, from the first load.
    assert shop.query("SELECT DISTINCT table_name, load_id FROM main.canon_quarantine") == [
        ("customers", first.load_id)
    ]
    assert shop.query("SELECT count(*) FROM main.orders") == [(3,)]


def test_files_on_the_command_line_by_name_or_table_equals_path(shop: Project, tmp_path: Path) -> None:
    elsewhere = tmp_path / "drop" / "export_2026.csv"
    elsewhere.parent.mkdir()
    Project(tmp_path / "drop").write_csv(
        "orders", ORDERS_HEADER, [["X1", 1, "2026-01-01", "1.00", "paid", 1]], folder="."
    )
    (tmp_path / "drop" / "orders.csv").rename(elsewhere)
    report = load_sources(
        shop.root, files=[f"orders={elsewhere}", str(shop.root / "seeds" / "customers.csv")], policy=LENIENT
    )
    assert sorted(t.table for t in report.tables) == ["customers", "orders"]
    assert shop.query("SELECT order_id FROM main.orders") == [("X1",)]
    with pytest.raises(UserError, match="did you mean `orders`"):
        load_sources(shop.root, files=[f"ordrs={elsewhere}"], policy=LENIENT)


def test_relationship_to_a_dbt_model_not_built_yet_is_listed_as_not_enforced(shop: Project) -> None:
    doc = shop_schema("new")
    cols = doc["sources"][0]["tables"][0]["columns"]
    cols[1]["data_tests"].append({"relationships": {"arguments": {"to": "ref('dim_tiers')", "field": "tier"}}})
    shop.write_yaml(doc)
    report = load_sources(shop.root, only=["customers"], policy=LENIENT)
    assert report.quarantined == 0
    assert report.table("customers").unenforced == [
        "relationships on `tier` to ref('dim_tiers') (not in the warehouse yet)"
    ]


@pytest.mark.slow
def test_line_numbers_stay_exact_in_a_large_file_read_in_parallel(tmp_path: Path) -> None:
    """~60 MB, so DuckDB splits the scan across threads; bad lines are placed by the test."""
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    n = 1_500_000
    p = Project(tmp_path)
    p.write_yaml(
        {
            "version": 2,
            "sources": [
                {
                    "name": "s",
                    "schema": "main",
                    "tables": [
                        {
                            "name": "big",
                            "columns": [
                                {"name": "id", "data_type": "bigint", "data_tests": ["unique"]},
                                {"name": "day", "data_type": "date"},
                                {"name": "note"},
                            ],
                        }
                    ],
                }
            ],
        }
    )
    ids = np.arange(n)
    table = pa.table(
        {
            "id": pc.cast(pa.array(ids), pa.string()),
            "day": pa.array(["2026-01-01"] * n),
            "note": pc.binary_join_element_wise("note number ", pc.cast(pa.array(ids), pa.string()), ""),
        }
    )
    bad_day = [7, 400_000, 1_499_999]  # row indexes → line = index + 2 (until the malformed rows)
    table = table.set_column(
        1,
        "day",
        pc.replace_with_mask(table["day"], pa.array(np.isin(ids, bad_day)), pa.array(["2026-02-30"] * 3)),
    )
    body = tmp_path / "body.csv"
    pacsv.write_csv(table, body, pacsv.WriteOptions(quoting_style="none"))
    lines = body.read_text(encoding="utf-8").splitlines()
    # Two malformed records, inserted as lines 300,002 and 1,000,003 of the final file.
    lines.insert(300_001, "oops,too,many,fields")
    lines.insert(1_000_002, "short")
    (p.root / "seeds").mkdir()
    (p.root / "seeds" / "big.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def line_of(index: int) -> int:  # file line of data row `index` (header = line 1)
        return index + 2 + (index >= 300_000) + (index >= 1_000_000)

    report = load_sources(p.root, policy=LENIENT)
    want = sorted(
        [("big", line_of(i), "day", "invalid_date") for i in bad_day]
        + [("big", 300_002, None, "malformed_row"), ("big", 1_000_003, None, "malformed_row")],
        key=lambda r: r[1],
    )
    got = sorted(p.quarantine(), key=lambda r: r[1])
    assert got == want
    assert lines[line_of(400_000) - 1].startswith("400000,") and lines[line_of(1_499_999) - 1].startswith("1499999,")
    t = report.table("big")
    assert (t.rows_read, t.rows_loaded) == (n + 2, n - 3)


def test_file_variants_bom_crlf_header_case_gzip_tabs_and_header_only(tmp_path: Path) -> None:
    import gzip

    p = Project(tmp_path, schema="raw")
    cols = [{"name": "a", "data_type": "int"}, {"name": "b", "data_type": "date"}]
    p.write_yaml(
        {
            "version": 2,
            "sources": [
                {
                    "name": "s",
                    "schema": "raw",
                    "tables": [
                        {"name": "bom_crlf", "columns": cols},
                        {"name": "gz_tabs", "identifier": "gz_table", "columns": cols},
                        {"name": "semi", "columns": cols},
                        {"name": "header_only", "columns": cols},
                    ],
                }
            ],
        }
    )
    (p.root / "seeds").mkdir()
    (p.root / "data").mkdir()
    (p.root / "seeds" / "bom_crlf.csv").write_bytes(b"\xef\xbb\xbfA,B\r\n1,2026-01-01\r\n2,bad\r\n")
    (p.root / "data" / "gz_tabs.csv.gz").write_bytes(gzip.compress(b"a\tb\n3\t2026-01-03\n"))
    (p.root / "seeds" / "semi.csv").write_text("a;b\n4;2026-01-04\n", encoding="utf-8")
    (p.root / "seeds" / "header_only.csv").write_text("a,b\n", encoding="utf-8")
    report = load_sources(p.root, policy=LENIENT)
    assert p.quarantine() == [("bom_crlf", 3, "b", "invalid_date")]
    assert p.query("SELECT * FROM raw.bom_crlf") == [(1, dt.date(2026, 1, 1))]
    assert p.query("SELECT * FROM raw.gz_table") == [(3, dt.date(2026, 1, 3))]
    assert p.query("SELECT * FROM raw.semi") == [(4, dt.date(2026, 1, 4))]
    assert p.query("SELECT count(*) FROM raw.header_only") == [(0,)]
    assert p.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'header_only'") == [
        ("INTEGER",),
        ("DATE",),
    ]
    assert report.table("header_only").rows_read == 0
