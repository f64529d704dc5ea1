"""Metric names are case-insensitive (`MRR` ≡ `mrr`): contracts, the query compiler, the audit's
preflight, the stored audit files and the CLI (issue 11, item 7)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from canon.audit.preflight import require_auditable
from canon.audit.store import audit_path
from canon.compiler.question import lookup_metric
from canon.contracts.names import MetricMap
from canon.errors import QueryError
from canon.project import load_project
from tests.support.cli import run_cli


def test_a_metric_map_finds_any_spelling_and_keeps_the_written_one() -> None:
    m = MetricMap([("mrr", 1), ("Board_ARR", 2)])
    assert m["MRR"] == 1 and "mRr" in m and m.get("board_arr") == 2 and m.get("nope") is None
    assert list(m) == ["mrr", "Board_ARR"] and m.spelled("BOARD_ARR") == "Board_ARR"
    with pytest.raises(KeyError):
        m["nope"]


def test_lookup_metric_folds_case_over_any_mapping() -> None:
    metrics = {"mrr": "the contract"}
    assert lookup_metric("MRR", metrics) == "the contract"  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="unknown metric `arr`"):
        lookup_metric("arr", metrics)  # type: ignore[arg-type]


def test_stored_audits_share_one_file_per_metric(tmp_path: Path) -> None:
    assert audit_path(tmp_path, "MRR") == audit_path(tmp_path, "mrr") == tmp_path / ".canon/audit/mrr.json"


def test_preflight_returns_the_contracts_spelling(shop_root: Path) -> None:
    project = load_project(shop_root)
    try:
        assert require_auditable(project, "REVENUE") == "revenue"
        assert project.metric("Revenue").name == "revenue"
    finally:
        project.close()


def test_the_cli_audits_MRR_as_mrr(capsys: pytest.CaptureFixture[str], shop_root: Path) -> None:
    res = run_cli(
        capsys,
        "audit",
        "--metric",
        "REVENUE",
        "--period",
        "2026-03",
        "--sql-dir",
        str(shop_root / "models"),
        "--project",
        str(shop_root),
        "--format",
        "json",
    )
    assert res.code == 0, res.err
    doc = orjson.loads(res.out)
    assert doc["metric"] == "revenue" and doc["canonical"] is not None  # the contract, not "no contract"
    assert (shop_root / ".canon" / "audit" / "revenue.json").is_file()
