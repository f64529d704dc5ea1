"""run_dbt on a tiny real dbt-duckdb project: results, cwd handling, and errors as canon errors."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from canon.dbt import run_dbt
from canon.errors import CheckFailed, UserError

pytestmark = [pytest.mark.slow, pytest.mark.dbt, pytest.mark.xdist_group("dbt_runner")]

PROJECT = {
    "dbt_project.yml": "name: tiny\nversion: '1.0'\nconfig-version: 2\nprofile: tiny\n",
    "profiles.yml": (
        "tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: tiny.duckdb\n"
        "      schema: main\n      threads: 1\n"
    ),
    "seeds/people.csv": "id,name,age\n1,ann,34\n2,bob,17\n3,cy,51\n",
    "models/adults.sql": "select id, name from {{ ref('people') }} where age >= 18\n",
    "models/schema.yml": (
        "version: 2\nmodels:\n  - name: adults\n    columns:\n      - name: id\n"
        "        data_tests: [unique, not_null]\n"
    ),
}


def make_project(root: Path, **overrides: str) -> Path:
    for name, text in {**PROJECT, **overrides}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_build_returns_every_node_and_runs_in_the_project_folder(tmp_path: Path) -> None:
    project = make_project(tmp_path / "tiny")
    before = Path.cwd()
    run = run_dbt(project, ["build"])
    assert Path.cwd() == before
    assert run.success and run.failed() == ()
    assert {(r.resource_type, r.name) for r in run.results} >= {("seed", "people"), ("model", "adults")}
    assert sum(r.resource_type == "test" for r in run.results) == 2
    assert run.node("adults").status == "success"
    # the profile's relative path resolved against the project, not against our cwd
    assert (project / "tiny.duckdb").is_file() and not (before / "tiny.duckdb").exists()
    with duckdb.connect(str(project / "tiny.duckdb"), read_only=True) as con:  # dbt released the file
        assert con.execute("select count(*) from main.adults").fetchone() == (2,)


def test_failing_test_raises_check_failed_with_dbts_message(tmp_path: Path) -> None:
    project = make_project(tmp_path / "tiny", **{"seeds/people.csv": "id,name,age\n1,ann,34\n1,bob,47\n"})
    with pytest.raises(CheckFailed) as failure:
        run_dbt(project, ["build"])
    text = failure.value.render()
    assert "unique_adults_id" in text and "fail" in text and failure.value.exit_code == 1
    run = run_dbt(project, ["test"], check=False)
    assert not run.success and [r.name for r in run.failed()] == ["unique_adults_id"]


def test_broken_project_raises_user_error_naming_the_problem(tmp_path: Path) -> None:
    project = make_project(tmp_path / "tiny", **{"models/adults.sql": "select * from {{ ref('nobody') }}\n"})
    with pytest.raises(UserError) as failure:
        run_dbt(project, ["build"])
    assert "nobody" in failure.value.render() and "dbt_project.yml" in failure.value.render()
    assert failure.value.exit_code == 2


def test_not_a_dbt_project(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a dbt project"):
        run_dbt(tmp_path, ["build"])
    assert os.listdir(tmp_path) == []
