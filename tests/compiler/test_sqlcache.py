"""`canon query --sql` answers from the SQL cache only while nothing it depends on has changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from canon.compiler import sqlcache
from canon.project import load_project
from tests.compiler.fixture import write_project

ASK = {"grain": "month", "by": ("segment",), "where": None, "period_from": "2026-09", "period_to": "2026-10"}


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    return write_project(tmp_path / "tiny")


def fresh_sql(root: Path, dialect: str = "duckdb") -> str:
    """The SQL compiled from scratch (a Question object never goes through the cache)."""
    project = load_project(root)
    try:
        return project.sql(project.question("mrr", **ASK), dialect)
    finally:
        project.close()


def test_a_hit_is_the_compiled_text_without_compiling(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_project(root).sql("mrr", "duckdb", **ASK)
    assert first == fresh_sql(root)
    assert len(list((root / sqlcache.CACHE_DIR).glob("*.sql"))) == 1

    def no_compile(*_: object, **__: object) -> str:
        raise AssertionError("compiled although the answer was cached")

    project = load_project(root)
    monkeypatch.setattr(type(project), "_sql", no_compile)
    assert project.sql("mrr", "duckdb", **ASK) == first


def test_a_contract_change_is_a_new_key(root: Path) -> None:
    before = load_project(root).sql("mrr", "duckdb", **ASK)
    contract = root / "metrics" / "mrr.yml"
    text = contract.read_text()
    # The same bytes with a comment appended still change size: a new key, compiled again.
    contract.write_text(text + "# reviewed\n")
    st = contract.stat()
    os.utime(contract, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    key_after = sqlcache.question_key(root, {"metrics": ("mrr",), **ASK}, "duckdb")
    assert sqlcache.cached_sql(root, key_after) is None
    assert load_project(root).sql("mrr", "duckdb", **ASK) == before  # a comment changes no SQL


def test_the_dialect_and_the_question_are_part_of_the_key(root: Path) -> None:
    duck = load_project(root).sql("mrr", "duckdb", **ASK)
    pg = load_project(root).sql("mrr", "postgres", **ASK)
    assert pg == fresh_sql(root, "postgres") and pg != duck
    quarter = load_project(root).sql("mrr", "duckdb", **{**ASK, "grain": "quarter", "period_from": None})
    assert quarter != duck


def test_an_unwritable_project_goes_without_the_cache(root: Path) -> None:
    (root / ".canon").write_text("not a folder")  # the cache folder cannot be created
    assert load_project(root).sql("mrr", "duckdb", **ASK) == fresh_sql(root)


def test_errors_are_not_cached(root: Path) -> None:
    from canon.errors import UserError

    for _ in range(2):
        with pytest.raises(UserError):
            load_project(root).sql("mrr", "duckdb", **{**ASK, "grain": "fortnight"})


def test_a_changed_decision_is_compiled_again(root: Path) -> None:
    before = load_project(root).sql("mrr", "duckdb", **ASK)
    contract = root / "metrics" / "mrr.yml"
    contract.write_text(
        contract.read_text().replace("raw_invoices.status: [paid]", "raw_invoices.status: [paid, pending]")
    )
    after = load_project(root).sql("mrr", "duckdb", **ASK)
    assert after != before and "'pending'" in after
    assert after == fresh_sql(root)


def test_a_query_runs_its_cached_sql_without_compiling_or_reading_the_catalog(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_project(root)
    expected = first.query("mrr", **ASK)
    first.close()
    assert expected.num_rows > 0

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("compiled or checked although the SQL was cached")

    project = load_project(root)
    monkeypatch.setattr(type(project), "compile", refuse)
    monkeypatch.setattr(type(project), "check_catalog", refuse)
    try:
        assert project.query("mrr", **ASK).equals(expected)
    finally:
        project.close()


def test_a_warehouse_that_changed_under_the_cache_gets_the_catalog_error(root: Path) -> None:
    from canon.errors import ContractError

    first = load_project(root)
    first.query("mrr", **ASK)
    first.engine.execute("ALTER TABLE raw_invoices RENAME COLUMN status TO invoice_status")
    first.close()
    project = load_project(root)
    try:
        with pytest.raises(ContractError) as caught:
            project.query("mrr", **ASK)
    finally:
        project.close()
    assert "raw_invoices.status" in caught.value.render()
