"""Joins are built as trees (no per-call parsing) and are the very joins sqlglot's builder makes."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, get_args

import pytest
import sqlglot
from sqlglot import exp

from canon.compiler.trees import JoinHow, data_type, join
from canon.project import Project

SRC = Path(__file__).resolve().parents[2] / "src" / "canon"


def _base() -> exp.Select:
    return exp.select(exp.column("x", table="a")).from_(exp.table_("t", alias="a"))


def _on() -> exp.Expression:
    return exp.EQ(this=exp.column("k", table="a"), expression=exp.column("k", table="b"))


@pytest.mark.parametrize("how", get_args(JoinHow))
def test_join_is_the_builders_join(how: str) -> None:
    expected = _base().join(exp.table_("u", alias="b"), on=_on(), join_type=how)
    built = join(_base(), exp.table_("u", alias="b"), _on(), how)  # type: ignore[arg-type]
    assert built == expected
    for dialect in ("duckdb", "postgres", "spark"):
        assert built.sql(dialect=dialect, identify=True) == expected.sql(dialect=dialect, identify=True)


def test_join_appends_in_place_after_existing_joins() -> None:
    query = _base()
    join(query, exp.table_("u", alias="b"), _on(), "left")
    same = join(query, exp.table_("v", alias="c"), exp.true(), "inner")
    assert same is query
    assert query.sql() == "SELECT a.x FROM t AS a LEFT JOIN u AS b ON a.k = b.k INNER JOIN v AS c ON TRUE"


def test_no_source_module_asks_sqlglot_to_parse_a_join_type() -> None:
    """`Select.join(join_type=...)` parses "FROM _ <type> JOIN _" on every call: use trees.join."""
    offenders = []
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        if "join_type" not in text:  # parsing only the candidates keeps this test cheap
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and any(k.arg == "join_type" for k in node.keywords):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_compiling_a_declarative_question_parses_nothing(tiny: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compile is pure tree building: any parse here is per-call cost (it was ~¼ of a compile).

    Only the compile is checked; rendering is sqlglot's (its Spark generator parses a type name).
    """
    questions = [
        tiny.question(["mrr"], by=["segment"], period_from="2025-05", period_to="2026-10"),
        tiny.question(["mrr", "contract_mrr", "collected_subscriptions"], period_from="2026-09", period_to="2026-10"),
    ]
    expected = [tiny.sql(q, "duckdb") for q in questions]

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the compiler parsed SQL text")

    monkeypatch.setattr(sqlglot.parser.Parser, "parse", refuse)
    monkeypatch.setattr(sqlglot.parser.Parser, "parse_into", refuse)
    trees = [tiny.compile(q) for q in questions]
    monkeypatch.undo()
    assert [t.sql(dialect="duckdb", pretty=True, identify=True) for t in trees] == expected


def test_contract_text_is_parsed_once_not_per_compile(tiny: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Derived expressions, SQL compositions and --where text: the second compile parses nothing."""
    questions = [
        tiny.question(["arr", "collected_by_sql"], period_from="2026-09", period_to="2026-10"),
        tiny.question(["mrr"], where="segment IN ('enterprise', 'smb')", period_from="2026-10"),
        tiny.question(["collected_by_sql"], by=["segment"], where="segment = 'smb'", period_from="2026-10"),
    ]
    first = [tiny.sql(q, "duckdb") for q in questions]

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the compiler parsed SQL text again")

    monkeypatch.setattr(sqlglot.parser.Parser, "parse", refuse)
    monkeypatch.setattr(sqlglot.parser.Parser, "parse_into", refuse)
    trees = [tiny.compile(q) for q in questions]
    monkeypatch.undo()
    assert [t.sql(dialect="duckdb", pretty=True, identify=True) for t in trees] == first


def test_a_cached_parse_is_never_shared_between_compiles(tiny: Project) -> None:
    question = tiny.question(["arr"], period_from="2026-09", period_to="2026-10")
    one, two = tiny.compile(question), tiny.compile(question)
    assert one == two and one is not two
    for node in one.find_all(exp.Column):
        node.set("this", exp.to_identifier("clobbered"))
    assert "clobbered" not in tiny.sql(question, "duckdb")


def test_data_types_are_the_parsers() -> None:
    T = exp.DataType.Type
    assert data_type(T.DECIMAL, 38, 6) == exp.DataType.build("DECIMAL(38, 6)")
    for name in ("DATE", "TIMESTAMP", "BIGINT"):
        assert data_type(T[name]) == exp.DataType.build(name)
    assert data_type(T.DECIMAL, 38, 6).sql("spark") == exp.DataType.build("DECIMAL(38, 6)").sql("spark")
