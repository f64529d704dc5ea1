"""Bad input: one clear message naming where and how to fix, exit 2, no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.cli import run_cli


@pytest.fixture()
def proj(tiny_root: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "p"
    shutil.copytree(tiny_root, dest)
    return dest


def test_query_json_has_cents_and_formatted(capsys: pytest.CaptureFixture[str], tiny_root: Path) -> None:
    res = run_cli(capsys, "query", "mrr", "--from", "2026-10", "--to", "2026-10", "-f", "json", "-p", str(tiny_root))
    assert res.code == 0, res.err
    assert json.loads(res.out) == [{"period": "2026-10", "mrr_cents": 1_000_000, "mrr": "$10,000.00"}]


def test_query_csv(capsys: pytest.CaptureFixture[str], tiny_root: Path) -> None:
    res = run_cli(
        capsys,
        "query",
        "mrr",
        "--by",
        "segment",
        "--from",
        "2026-09",
        "--to",
        "2026-09",
        "-f",
        "csv",
        "-p",
        str(tiny_root),
    )
    assert res.out.splitlines() == ["period,segment,mrr_cents", "2026-09,enterprise,1000000", "2026-09,smb,200001"]


def test_sql_only_for_a_dialect(capsys: pytest.CaptureFixture[str], tiny_root: Path) -> None:
    res = run_cli(capsys, "query", "mrr", "--sql", "--dialect", "snowflake", "-p", str(tiny_root))
    assert res.code == 0 and "DATE_TRUNC('MONTH'" in res.out and "GROUP BY" in res.out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["query", "mrrr"], "unknown metric `mrrr` Fix: did you mean `mrr`?"),
        (
            ["query", "mrr", "--by", "segmnt"],
            "parameter `--by`: metric `mrr` has no dimension `segmnt` Fix: did you mean `segment`?",
        ),
        (["query", "mrr", "--where", "segment = = 'x'"], "parameter `--where`: the filter does not parse"),
        (["query", "mrr", "--where", "regionn = 'x'"], "not a dimension of this metric"),
        (["query", "mrr", "--from", "2026-10", "--to", "2026-01"], "empty period"),
        (["query", "mrr", "--from", "Oct"], "parameter `--from`: `Oct` is not a period"),
        (
            ["query", "mrr", "--sql", "--dialect", "postgress"],
            "unknown dialect `postgress` Fix: did you mean `postgres`?",
        ),
        (["query", "mrr", "--grain", "monthly"], "unknown grain `monthly`"),
        (["query", "mrr", "-f", "xml"], "unknown format `xml`"),
    ],
)
def test_bad_question(capsys: pytest.CaptureFixture[str], tiny_root: Path, args: list[str], needle: str) -> None:
    res = run_cli(capsys, *args, "-p", str(tiny_root))
    assert res.code == 2
    assert needle in res.err
    assert "Traceback" not in res.err


def test_misspelled_contract_key_names_file_line_and_suggestion(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    path = proj / "metrics" / "cash.yml"
    path.write_text(path.read_text().replace("  filters:", "  filtres:"))
    res = run_cli(capsys, "query", "cash", "-p", str(proj))
    assert res.code == 2
    assert "cash.yml:7:3" in res.err and "unknown key `filtres`" in res.err and "did you mean `filters`?" in res.err


def test_every_problem_reported_at_once(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    path = proj / "metrics" / "cash.yml"
    text = (
        path.read_text()
        .replace("owner: growth\n", "")
        .replace("  measure: {column: raw_payments.amount}", "  measure: {column: amount}")
    )
    path.write_text(text)
    res = run_cli(capsys, "query", "cash", "-p", str(proj))
    assert res.code == 2
    assert "required key `owner` is missing" in res.err
    assert "`amount` is not a column reference of the form `table.column`" in res.err


def test_invalid_yaml_names_position(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    (proj / "metrics" / "cash.yml").write_text("name: cash\nowner: [growth\n")
    res = run_cli(capsys, "query", "cash", "-p", str(proj))
    assert res.code == 2 and "cash.yml:3" in res.err and "invalid YAML" in res.err


def test_unknown_column_checked_against_catalog_before_running(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    path = proj / "metrics" / "mrr.yml"
    path.write_text(path.read_text().replace("raw_invoices.status: [paid]", "raw_invoices.statsu: [paid]"))
    res = run_cli(capsys, "query", "mrr", "-p", str(proj))
    assert res.code == 2
    assert "mrr.yml:15:5" in res.err and "column `raw_invoices.statsu` does not exist" in res.err
    assert "did you mean `status`?" in res.err


def test_no_project_here(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    res = run_cli(capsys, "query", "mrr", "-p", str(tmp_path))
    assert res.code == 2 and "no canon.yml" in res.err
