"""`canon mart build` / `canon mart show` through the real CLI: exit codes, output, messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.mart.conftest import World
from tests.support.cli import run_cli

pytestmark = pytest.mark.xdist_group("lessons_duckdb")


@pytest.fixture
def project(world: World, tmp_path: Path) -> Path:
    dest = tmp_path / "lessons"
    shutil.copytree(world.root, dest)
    return dest


@pytest.mark.slow  # builds the lessons mart through the CLI, twice
def test_build_show_and_refuse_a_broken_contract(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "mart", "build", "--project", str(project))
    assert result.code == 0, result.err
    for name in ("revenue_recognition", "reconciliation", "pnl_summary", "revenue_concentration"):
        assert name in result.out
    shown = run_cli(
        capsys,
        "mart",
        "show",
        "pnl_summary",
        "--level",
        "organization",
        "--where",
        "reporting_period=2025-03",
        "--format",
        "json",
        "--project",
        str(project),
    )
    assert shown.code == 0, shown.err
    data = json.loads(shown.out)
    assert len(data) == 6 and {r["geography_grain"] for r in data} == {"organization"}
    assert all(r["reporting_period"] == "2025-03" for r in data)
    level = run_cli(capsys, "mart", "show", "pnl_summary", "--level", "continent", "--project", str(project))
    assert level.code == 2 and "parameter `--level`" in level.err and "organization" in level.err
    rolled = run_cli(
        capsys,
        "mart",
        "show",
        "revenue_recognition",
        "--level",
        "portfolio",
        "--format",
        "json",
        "--limit",
        "3",
        "--project",
        str(project),
    )
    assert rolled.code == 0 and len(json.loads(rolled.out)) == 3 and "portfolio_id" in json.loads(rolled.out)[0]

    # the contracts' own generated tests (required columns, enums, grain, null rules) pass on the served tables
    tested = run_cli(capsys, "test", "--project", str(project))
    assert tested.code == 0, tested.out + tested.err
    assert "0 failed" in tested.out

    # a contract edit that breaks a served-column rule: exit 1, the rule named, the old mart still serving
    path = project / "metrics" / "finance" / "pnl_summary.yml"
    text = path.read_text()
    line = "{name: net_income_cents, type: integer, nullable: true,"
    assert line in text
    path.write_text(text.replace(line, "{name: net_income_cents, type: integer, nullable: false,"))
    result = run_cli(capsys, "mart", "build", "--project", str(project))
    assert result.code == 1
    assert "pnl_summary.yml:" in result.err and "net_income_cents" in result.err and "still serving" in result.err
    shown = run_cli(
        capsys, "mart", "show", "pnl_summary", "--format", "json", "--limit", "1", "--project", str(project)
    )
    assert shown.code == 0 and json.loads(shown.out)  # the previous build still answers


def test_bad_options_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "mart", "build", "--project", str(project), "--section", "nope").code == 2
    assert run_cli(capsys, "mart", "build", "--project", str(project), "--engine", "postgres").code == 2
    assert run_cli(capsys, "mart", "build", "--project", str(project), "--engine", "oracle").code == 2
    bad_where = run_cli(capsys, "mart", "show", "margin", "--where", "oops", "--project", str(project))
    assert bad_where.code == 2 and "column=value" in bad_where.err
    p = ["--project", str(project)]
    yaml = run_cli(capsys, "mart", "show", "margin", "--format", "yaml", *p)
    assert yaml.code == 2 and "use table, csv, json" in yaml.err
    negative = run_cli(capsys, "mart", "show", "margin", "--limit", "-1", *p)
    assert negative.code == 2 and "--limit" in negative.err and "Traceback" not in negative.err
    coarse = run_cli(capsys, "mart", "show", "pnl_summary", "--key", "swim-austin", "--level", "portfolio", *p)
    assert coarse.code == 2 and "parameter `--level`" in coarse.err and "org_market" in coarse.err
