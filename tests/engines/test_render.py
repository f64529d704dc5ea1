"""The one render function: trees only, quoted identifiers, loud failure on what a dialect cannot say."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from canon.engines.render import UnsupportedSQL, render
from canon.errors import UserError


def test_a_string_is_refused() -> None:
    with pytest.raises(TypeError, match="sqlglot tree"):
        render("SELECT 1", "duckdb")  # type: ignore[arg-type]


def test_identifiers_are_quoted_by_default_and_left_alone_on_request() -> None:
    tree = exp.select(exp.column("amount", table="i")).from_(exp.table_("raw_invoices", db="main", alias="i"))
    assert render(tree, "duckdb") == 'SELECT "i"."amount" FROM "main"."raw_invoices" AS "i"'
    assert render(tree, "duckdb", identify=False) == "SELECT i.amount FROM main.raw_invoices AS i"
    assert render(tree, "spark") == "SELECT `i`.`amount` FROM `main`.`raw_invoices` AS `i`"


def test_pretty_output_is_sqlglots_own() -> None:
    tree = sqlglot.parse_one("select a, b from t where a > 1")
    assert render(tree, "postgres", pretty=True, identify=False) == "SELECT\n  a,\n  b\nFROM t\nWHERE\n  a > 1"


def test_a_construct_the_dialect_cannot_express_is_a_user_error_naming_dialect_and_construct() -> None:
    pivot = sqlglot.parse_one("SELECT * FROM t PIVOT (SUM(a) FOR b IN (1, 2))", read="duckdb")
    assert "PIVOT" in render(pivot, "duckdb")  # DuckDB has it
    with pytest.raises(UnsupportedSQL) as info:
        render(pivot, "postgres")
    assert isinstance(info.value, UserError)
    assert info.value.exit_code == 2
    assert "postgres cannot express" in info.value.message
    assert "PIVOT" in info.value.message
