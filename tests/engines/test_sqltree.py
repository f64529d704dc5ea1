"""The shared tree builders: the SQL each Python value becomes, rendered for two dialects."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlglot import exp

from canon.engines.render import render
from canon.sqltree import col, literal, table


@pytest.mark.parametrize(
    ("value", "duckdb", "postgres"),
    [
        (None, "NULL", "NULL"),
        (float("nan"), "NULL", "NULL"),
        (True, "TRUE", "TRUE"),
        (False, "FALSE", "FALSE"),
        (42, "42", "42"),
        (Decimal("12.50"), "12.50", "12.50"),
        (1.5, "1.5", "1.5"),
        ("it's", "'it''s'", "'it''s'"),
        (date(2026, 10, 1), "CAST('2026-10-01' AS DATE)", "CAST('2026-10-01' AS DATE)"),
        (
            datetime(2026, 10, 1, 8, 30),
            "CAST('2026-10-01 08:30:00' AS TIMESTAMP)",
            "CAST('2026-10-01 08:30:00' AS TIMESTAMP)",
        ),
    ],
)
def test_literal_per_value(value: object, duckdb: str, postgres: str) -> None:
    assert render(literal(value), "duckdb") == duckdb
    assert render(literal(value), "postgres") == postgres


def test_literal_refuses_what_is_not_a_scalar() -> None:
    with pytest.raises(TypeError, match="list"):
        literal([1, 2])


def test_col_quotes_unless_asked_not_to() -> None:
    assert col("createdAt", "t").sql() == '"t"."createdAt"'
    assert col("amount", "i", quoted=None).sql() == "i.amount"
    assert col("two words", quoted=None).sql() == '"two words"'  # quoted only because it must be


def test_table_quotes_both_parts() -> None:
    assert table("raw_invoices").sql() == '"raw_invoices"'
    assert table("Orders", "Sales").sql(dialect="spark") == "`Sales`.`Orders`"
    assert isinstance(table("x"), exp.Table)
