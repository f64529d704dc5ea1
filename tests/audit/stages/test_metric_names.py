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
from canon.errors import ContractError, QueryError
from canon.project import load_project
from tests.audit.stages.shop import REVENUE_CENTS, REVENUE_YML, write_shop
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


# ---------------------------------------------------------------- a contract written `name: REVENUE`


@pytest.fixture(scope="module")
def upper_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop whose contract is written `name: REVENUE` in metrics/REVENUE.yml, and a derived
    metric naming it `Revenue`."""
    root = write_shop(tmp_path_factory.mktemp("upper") / "shop")
    (root / "metrics" / "revenue.yml").unlink()
    (root / "metrics" / "REVENUE.yml").write_text(REVENUE_YML.replace("name: revenue", "name: REVENUE"))
    (root / "metrics" / "annual.yml").write_text(
        "name: annual\nowner: finance\ncomposition:\n  type: derived\n"
        "  metrics: [Revenue]\n  expression: revenue * 12\n  unit: major\n"
    )
    return root


def _query(capsys: pytest.CaptureFixture[str], root: Path, *names: str) -> list[dict[str, object]]:
    res = run_cli(
        capsys, "query", *names, "--from", "2026-03", "--to", "2026-03", "--project", str(root), "--format", "json"
    )
    assert res.code == 0, res.err
    rows: list[dict[str, object]] = orjson.loads(res.out)
    return rows


@pytest.mark.parametrize("typed", ["REVENUE", "revenue", "Revenue"])
def test_a_contract_named_in_capitals_is_one_metric_for_the_query(
    capsys: pytest.CaptureFixture[str], upper_root: Path, typed: str
) -> None:
    [row] = _query(capsys, upper_root, typed)
    assert row["revenue_cents"] == REVENUE_CENTS  # one column name, however the contract or the user spells it


def test_a_derived_metric_names_it_in_any_case(capsys: pytest.CaptureFixture[str], upper_root: Path) -> None:
    [row] = _query(capsys, upper_root, "ANNUAL")
    assert row["annual_cents"] == REVENUE_CENTS * 12


def test_the_audit_of_Mrr_finds_the_contract_written_MRR(capsys: pytest.CaptureFixture[str], upper_root: Path) -> None:
    res = run_cli(
        capsys,
        "audit",
        "--metric",
        "Revenue",
        "--period",
        "2026-03",
        "--sql-dir",
        str(upper_root / "models"),
        "--project",
        str(upper_root),
        "--format",
        "json",
    )
    assert res.code == 0, res.err
    doc = orjson.loads(res.out)
    assert doc["metric"] == "revenue" and doc["canonical"]["value_cents"] == REVENUE_CENTS
    assert sorted(p.name for p in (upper_root / ".canon" / "audit").iterdir()) == ["revenue.json"]


def test_two_spellings_in_two_files_are_one_name_defined_twice(upper_root: Path, tmp_path: Path) -> None:
    project = load_project(upper_root)
    try:
        assert sorted(project.metrics) == ["annual", "revenue"] and project.metric("rEvEnUe").spec.name == "REVENUE"
    finally:
        project.close()
    root = write_shop(tmp_path / "shop")  # metrics/revenue.yml, `name: revenue`
    (root / "metrics" / "REVENUE.yml").write_text(REVENUE_YML.replace("name: revenue", "name: REVENUE"))
    twice = load_project(root)
    try:
        with pytest.raises(ContractError, match="also defined in"):
            twice.metrics  # noqa: B018 - loading is what fails
    finally:
        twice.close()
