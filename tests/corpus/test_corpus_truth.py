"""The corpus's ground truth describes what its dbt projects really compute.

Each project under tests/corpus/ carries a `canon_truth.yml` written by hand: its metric
definitions, the models of each, and figures in integer cents, each with a `hand_sql` over
the raw seed tables only. Here every project is built for real with dbt-duckdb (seeded only
for the static, Snowflake-dialect one), then:

* every `hand_sql` returns its stated cents, and
* every listed model, summed over the figure's period, returns the same cents
  (dollars x 100 rounded, cents as they are).

If a model and the truth disagree, either the model or the truth is wrong: the audit's
scorecard is only as good as this file.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from canon.dbt.runner import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.dbt, pytest.mark.xdist_group("corpus")]

CORPUS = Path(__file__).parent
PROJECTS = sorted(path.parent.name for path in CORPUS.glob("*/canon_truth.yml"))
MONTHLY = ("date", "yyyymmdd")


def load_truth(project: str) -> dict[str, Any]:
    return yaml.safe_load((CORPUS / project / "canon_truth.yml").read_text())


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    start = dt.date.fromisoformat(f"{period}-01")
    end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, end


def render(sql: str, period: str) -> str:
    if period in ("snapshot", "lifetime"):
        return sql
    start, end = month_bounds(period)
    return sql.replace("{period_start}", start.isoformat()).replace("{period_end}", end.isoformat())


def model_query(model: dict[str, Any], period: str) -> str | None:
    """SQL summing the model's output over the figure's period, or None when it does not apply."""
    scope = model["period"]
    total = f'select sum("{model["output"]}") from "{model["name"]}"'
    if isinstance(scope, str):  # snapshot / lifetime: not period-scoped, checked against that figure only
        return total if scope == period else None
    if period in ("snapshot", "lifetime"):
        return None
    start, end = month_bounds(period)
    column, kind = scope["column"], scope["kind"]
    if kind == "date":
        return f"{total} where \"{column}\" >= date '{start}' and \"{column}\" < date '{end}'"
    if kind == "yyyymmdd":
        first, last = int(start.strftime("%Y%m%d")), int((end - dt.timedelta(days=1)).strftime("%Y%m%d"))
        return f'{total} where "{column}" between {first} and {last}'
    raise ValueError(f"{model['name']}: unknown period kind {kind!r} (expected one of {MONTHLY})")


def as_cents(value: Any, unit: str) -> int | None:
    if value is None:
        return None
    if unit == "dollars":
        return round(float(value) * 100)
    if unit == "cents":
        return round(float(value))
    raise ValueError(f"unknown unit {unit!r}")


def check_truth(truth: dict[str, Any], database: Path) -> list[str]:
    """Every disagreement between the truth file and the built warehouse, one line each."""
    problems: list[str] = []
    static = truth.get("static_only", False)
    with duckdb.connect(str(database), read_only=True) as con:
        for metric, body in truth["metrics"].items():
            definitions = {d["id"]: d for d in body["definitions"]}
            checked = {name: 0 for name in definitions}
            for figure in body["figures"]:
                label = f"{metric}.{figure['definition']} {figure['period']}"
                definition = definitions.get(figure["definition"])
                if definition is None:
                    problems.append(f"{label}: no such definition")
                    continue
                checked[figure["definition"]] += 1
                got = con.execute(render(figure["hand_sql"], figure["period"])).fetchone()
                hand = None if got is None else got[0]
                if hand != figure["cents"]:
                    problems.append(f"{label}: hand_sql returns {hand}, truth says {figure['cents']}")
                if static:
                    continue
                for model in definition["models"]:
                    query = model_query(model, figure["period"])
                    if query is None:
                        continue
                    value = as_cents(con.execute(query).fetchone()[0], model["unit"])
                    if value != figure["cents"]:
                        problems.append(
                            f"{label}: model {model['name']}.{model['output']} sums to {value}, "
                            f"truth says {figure['cents']}"
                        )
            problems += [f"{metric}.{name}: no figure" for name, count in checked.items() if not count]
    return problems


def test_the_corpus_has_six_projects_with_ground_truth() -> None:
    assert len(PROJECTS) >= 6, PROJECTS
    for project in PROJECTS:
        folder = CORPUS / project
        assert not (folder / "canon.yml").exists(), f"{project}: the corpus starts without canon.yml"
        assert not (folder / "metrics").exists(), f"{project}: the corpus starts without contracts"
        assert (folder / "profiles.yml").is_file() and (folder / "dbt_project.yml").is_file(), project


@pytest.mark.parametrize("project", PROJECTS)
def test_ground_truth_matches_what_the_project_computes(project: str, tmp_path: Path) -> None:
    truth = load_truth(project)
    folder = shutil.copytree(
        CORPUS / project, tmp_path / project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*")
    )
    # Raw tables are seeds: load them first (a project reading them through `sources:` has no
    # dbt edge from seed to model), then build everything else with its tests.
    run_dbt(folder, ["seed"])
    if truth["dbt_command"] == "build":
        run_dbt(folder, ["build"])
    problems = check_truth(truth, folder / "warehouse.duckdb")
    assert not problems, f"{project}: the ground truth does not describe the project\n  " + "\n  ".join(problems)
