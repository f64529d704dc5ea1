"""The current period: the last complete month of the latest event date, date-typed or an integer key."""

from __future__ import annotations

import datetime as dt

from canon.dbtproject.period import event_date_columns, find_current_period
from canon.engines import connect

TODAY = dt.date(2026, 12, 3)


def test_an_integer_yyyymmdd_key_counts_as_an_event_date() -> None:
    # Accounts were created up to 2025-05; revenue is booked by integer key up to 2026-10-15, with
    # one future-dated key and one loader column that must not count.
    engine = connect("duckdb")
    try:
        engine.run(
            [
                "create table accounts as select * from (values (1, date '2025-05-20')) t(account_id, created_date)",
                "create table lines as select * from (values (1, 20250714, timestamp '2026-12-01 02:00'),"
                " (2, 20261015, timestamp '2026-12-01 02:00'), (3, 20270101, timestamp '2026-12-01 02:00'))"
                " t(line_id, booking_date_key, loaded_at)",
            ]
        )
        found = find_current_period(engine, [("accounts", None), ("lines", None)], TODAY)
    finally:
        engine.close()
    assert found.latest == dt.date(2026, 10, 15)
    assert found.period == "2026-10"
    assert "lines.booking_date_key" in found.reason


def test_which_columns_are_event_dates() -> None:
    columns = {
        "booking_date_key": "INTEGER",
        "date_id": "BIGINT",
        "amount": "INTEGER",
        "account_key": "INTEGER",
        "updated_date_key": "INTEGER",
        "order_date": "DATE",
        "valid_to": "DATE",
    }
    names = {c.column for c in event_date_columns("t", None, columns)}
    assert names == {"booking_date_key", "date_id", "order_date"}
