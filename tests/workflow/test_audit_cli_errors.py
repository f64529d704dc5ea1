"""`canon audit` refuses, before any work, what it cannot answer: a misspelled metric, a query log
that is not there, a warehouse that was built empty — each as one message with the fix, exit 2. A
warehouse file that does not exist at all cannot be reached: the audit runs statically instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from canon.examples import ExampleOptions, init_example
from tests.support.cli import run_cli


@pytest.fixture(scope="module")
def unbuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("acme-unbuilt") / "acme"
    init_example("acme", root, ExampleOptions())  # no dbt build: the warehouse holds no tables
    return root


def audit(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    res = run_cli(capsys, "audit", "--period", "2026-10", "--project", str(root), *args)
    return res.code, res.err


def test_a_misspelled_metric_is_named_with_the_likely_one(capsys: pytest.CaptureFixture[str], unbuilt: Path) -> None:
    code, err = audit(capsys, unbuilt, "--metric", "mmr")
    assert code == 2 and "parameter `--metric`" in err and "did you mean `mrr`?" in err


def test_a_metric_nobody_defined_lists_what_can_be_audited(capsys: pytest.CaptureFixture[str], unbuilt: Path) -> None:
    code, err = audit(capsys, unbuilt, "--metric", "zzz_unknown")
    assert code == 2 and "no standard definition" in err and "mrr" in err


def test_a_missing_query_log_is_a_parameter_error(capsys: pytest.CaptureFixture[str], unbuilt: Path) -> None:
    code, err = audit(capsys, unbuilt, "--metric", "mrr", "--query-log", str(unbuilt / "nope.csv"))
    assert code == 2 and "parameter `--query-log`" in err and "nope.csv" in err


def test_an_unbuilt_warehouse_is_said_plainly(capsys: pytest.CaptureFixture[str], unbuilt: Path) -> None:
    import duckdb

    duckdb.connect(str(unbuilt / "warehouse.duckdb")).close()  # a warehouse with no tables in it
    code, err = audit(capsys, unbuilt, "--metric", "mrr")
    assert code == 2 and "does not exist in the warehouse" in err and "dbt build" in err
    assert "Traceback" not in err and "Catalog Error" not in err


def test_a_missing_warehouse_file_audits_statically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No DuckDB file at all: the warehouse cannot be reached, so the audit runs from SQL alone."""
    root = tmp_path / "acme"
    init_example("acme", root, ExampleOptions())
    res = run_cli(capsys, "audit", "--period", "2026-10", "--project", str(root), "--metric", "mrr", "-f", "json")
    assert res.code in (0, 1) and "Traceback" not in res.err  # the audit ran (1: nothing found statically)
    assert '"mode": "static"' in res.out and "warehouse.duckdb does not exist" in res.out
