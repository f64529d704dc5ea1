"""The scale generator: exact invoice count, the seeds' schema and domains, consistent keys, ratios."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from canon.examples.acme.scale import generate_acme

ROWS = 40_000


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scale")
    result = generate_acme(ROWS, out)
    assert result.rows["raw_invoices"] == ROWS
    return out


@pytest.fixture(scope="module")
def con(scaled: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in ("raw_accounts", "raw_contracts", "raw_invoices", "raw_payments"):
        con.read_parquet(str(scaled / f"{table}.parquet")).create(table)
    return con


def count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_only_the_four_tables_are_left(scaled: Path) -> None:
    assert sorted(p.name for p in scaled.iterdir()) == [
        "raw_accounts.parquet", "raw_contracts.parquet", "raw_invoices.parquet", "raw_payments.parquet",
    ]  # fmt: skip


def test_schema_matches_the_seeds(scaled: Path) -> None:
    def types(table: str) -> dict[str, pa.DataType]:
        schema = pq.read_schema(scaled / f"{table}.parquet")
        return {f.name: (f.type.value_type if pa.types.is_dictionary(f.type) else f.type) for f in schema}

    money, day, text = pa.decimal128(12, 2), pa.date32(), pa.string()
    assert types("raw_accounts") == {
        "account_id": text, "name": text, "segment": text, "industry": text, "sales_rep": text,
        "created_at": day,
    }  # fmt: skip
    assert types("raw_contracts") == {
        "contract_id": text, "account_id": text, "start_date": day, "end_date": day, "annual_value": money,
        "type": text, "status": text,
    }  # fmt: skip
    assert types("raw_invoices") == {
        "invoice_id": text, "account_id": text, "contract_id": text, "invoice_date": day, "amount": money,
        "type": text, "status": text,
    }  # fmt: skip
    assert types("raw_payments") == {
        "payment_id": text, "account_id": text, "invoice_id": text, "payment_date": day, "amount": money,
        "refunded": pa.bool_(),
    }  # fmt: skip


def test_ratios_follow_the_small_world(con: duckdb.DuckDBPyConnection) -> None:
    assert count(con, "select count(*) from raw_invoices") == ROWS
    assert count(con, "select count(*) from raw_accounts") == round(ROWS * 85 / 480)
    contracts = count(con, "select count(*) from raw_contracts")
    payments = count(con, "select count(*) from raw_payments")
    assert abs(contracts - ROWS / 4) / (ROWS / 4) < 0.1
    assert abs(payments - ROWS * 460 / 480) / (ROWS * 460 / 480) < 0.02


def test_keys_are_unique_and_consistent(con: duckdb.DuckDBPyConnection) -> None:
    for table, key in (("raw_accounts", "account_id"), ("raw_contracts", "contract_id"),
                       ("raw_invoices", "invoice_id"), ("raw_payments", "payment_id")):  # fmt: skip
        assert count(con, "select count(*) - count(distinct " + key + ") from " + table) == 0
    checks = [
        "select count(*) from raw_invoices i anti join raw_contracts c using (contract_id)",
        "select count(*) from raw_contracts c anti join raw_accounts a using (account_id)",
        "select count(*) from raw_payments p anti join raw_invoices i using (invoice_id)",
        "select count(*) from raw_invoices i join raw_contracts c using (contract_id) "
        "where i.account_id <> c.account_id",
        "select count(*) from raw_payments p join raw_invoices i using (invoice_id) where p.account_id <> i.account_id",
        "select count(*) from raw_payments p join raw_invoices i using (invoice_id) where p.amount <> i.amount",
    ]
    assert [count(con, sql) for sql in checks] == [0] * len(checks)


def test_domains_and_world_rules(con: duckdb.DuckDBPyConnection) -> None:
    def values(sql: str) -> set[str]:
        return {r[0] for r in con.execute(sql).fetchall()}

    assert values("select distinct segment from raw_accounts") == {"enterprise", "mid-market", "smb"}
    assert values("select distinct type from raw_contracts") == {"recurring", "pilot", "one-time"}
    assert values("select distinct status from raw_contracts") == {"active", "churned", "pending"}
    assert values("select distinct type from raw_invoices") == {"subscription", "setup", "credit"}
    assert values("select distinct status from raw_invoices") == {"paid", "pending", "void"}
    rules = [
        """select count(*) from raw_invoices i join raw_contracts c using (contract_id)
           where i.type = 'subscription' and i.amount * 12 <> c.annual_value""",
        "select count(*) from raw_invoices where (type = 'credit') <> (amount < 0)",
        """select count(*) from raw_payments p join raw_invoices i using (invoice_id)
           where i.status = 'pending' or i.type = 'credit' or (i.status = 'void' and not p.refunded)""",
        "select count(*) from raw_contracts where start_date > end_date",
        """select count(*) from raw_invoices i join raw_contracts c using (contract_id)
           where i.type = 'subscription' and c.type = 'one-time'""",
    ]
    assert [count(con, sql) for sql in rules] == [0] * len(rules)
    shares = dict(con.execute("select type, count(*) / sum(count(*)) over () from raw_invoices group by 1").fetchall())
    assert 0.8 < shares["subscription"] < 0.95 and 0.01 < shares["credit"] < 0.04


def test_same_seed_same_data(scaled: Path, tmp_path: Path) -> None:
    generate_acme(ROWS, tmp_path)
    for table in ("raw_accounts", "raw_invoices", "raw_payments"):
        assert pq.read_table(tmp_path / f"{table}.parquet").equals(pq.read_table(scaled / f"{table}.parquet"))


def test_bad_row_count_is_a_user_error(tmp_path: Path) -> None:
    from canon.errors import UserError

    with pytest.raises(UserError, match="rows must be at least 1"):
        generate_acme(0, tmp_path)


@pytest.mark.parametrize(("start", "count"), [(0, 1), (999, 2), (123_456, 5_000), (99_999_997, 10)])
def test_sequential_ids_equal_ids_built_digit_by_digit(start: int, count: int) -> None:
    import numpy as np

    from canon.examples.acme.scale import IdMatrix

    fast = IdMatrix.sequence(b"INV-", start, count, 9).array()
    assert fast.equals(IdMatrix.build(b"INV-", np.arange(start, start + count), 9).array())
    assert fast[0].as_py() == f"INV-{start:09d}"
    picked = IdMatrix.build(b"ACC-", np.array([5, 7, 11]), 5).take(np.array([2, 0, 2])).array()
    assert picked.to_pylist() == ["ACC-00011", "ACC-00005", "ACC-00011"]
