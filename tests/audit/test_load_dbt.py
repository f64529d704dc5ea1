"""Compile as a dbt user does (issue 11, item 3): a fresh `target/manifest.json` is reused,
otherwise canon compiles into `.canon/dbt-target` and never touches `target/`; a model that does
not compile is a row with dbt's own message while the rest are read; missing packages are one
line naming `dbt deps`; `--select`/`--exclude` are dbt's selection; analyses when asked."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from canon.audit.load import CANON_TARGET, LoadOptions, load_models, manifest_is_fresh, missing_packages
from canon.errors import UserError

CORPUS = Path(__file__).parents[1] / "corpus"


def _project(root: Path) -> Any:
    """A project over a dbt folder with no canon.yml (dbt runs through the facade, as in use)."""
    from canon.config import ProjectConfig
    from canon.project import Project

    return Project(root, ProjectConfig(name="t"))


def write(path: Path, text: str, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def manifest(models: dict[str, str | None]) -> str:
    nodes = {
        f"model.p.{name}": {"resource_type": "model", "name": name, "compiled_code": sql, "config": {"enabled": True}}
        for name, sql in models.items()
    }
    return json.dumps({"nodes": nodes})


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    write(tmp_path / "dbt_project.yml", "name: p\nmodel-paths: [models]\n", 1000)
    write(tmp_path / "models" / "a.sql", "select 1 as x", 1000)
    write(tmp_path / "models" / "schema.yml", "version: 2\n", 1000)
    write(tmp_path / "target" / "manifest.json", manifest({"a": "select 1 as x"}), 2000)
    return tmp_path


def test_a_manifest_written_after_every_source_file_is_fresh(small: Path) -> None:
    assert manifest_is_fresh(small / "target" / "manifest.json", small)


@pytest.mark.parametrize("changed", ["models/a.sql", "models/schema.yml", "dbt_project.yml", "macros/m.sql"])
def test_any_source_file_saved_after_the_manifest_makes_it_stale(small: Path, changed: str) -> None:
    write(small / changed, "-- edited", 3000)
    assert not manifest_is_fresh(small / "target" / "manifest.json", small)


def test_a_file_outside_the_projects_paths_does_not(small: Path) -> None:
    write(small / "README.md", "notes", 3000)
    write(small / "target" / "run_results.json", "{}", 3000)
    assert manifest_is_fresh(small / "target" / "manifest.json", small)


def test_a_manifest_without_compiled_sql_is_not_fresh(small: Path) -> None:
    # `dbt parse` writes a manifest whose models have no compiled SQL
    write(small / "target" / "manifest.json", manifest({"a": None}), 2000)
    assert not manifest_is_fresh(small / "target" / "manifest.json", small)
    assert not manifest_is_fresh(small / "target" / "nope.json", small)


def test_missing_packages_are_one_line_naming_dbt_deps(small: Path) -> None:
    assert missing_packages(small) is None
    write(small / "packages.yml", "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n")
    line = missing_packages(small)
    assert line is not None and "`dbt deps`" in line and "\n" not in line
    write(small / "dbt_packages" / "dbt_utils" / "dbt_project.yml", "name: dbt_utils\n")
    assert missing_packages(small) is None


def test_a_fresh_manifest_is_read_without_running_dbt(small: Path) -> None:
    project: Any = _project(small)
    models = load_models(project)
    assert list(models.models) == ["a"] and models.failed == {} and models.notes == []
    assert not (small / CANON_TARGET).exists()  # no dbt compile ran


def test_missing_packages_read_the_last_manifest_and_say_so(small: Path) -> None:
    write(small / "packages.yml", "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n")
    project: Any = _project(small)
    models = load_models(project)
    assert list(models.models) == ["a"]
    assert len(models.notes) == 2 and "`dbt deps`" in models.notes[0]


def test_a_manifest_given_must_exist(small: Path) -> None:
    project: Any = _project(small)
    with pytest.raises(UserError) as err:
        load_models(project, options=LoadOptions(manifest=small / "nope.json"))
    assert err.value.location is not None and err.value.location.parameter == "manifest"


# ---------------------------------------------------------------- real dbt, on a corpus copy


@pytest.fixture(scope="module")
def spine_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """subscription_spine with one model whose Jinja raises at compile time, and an analysis."""
    root = tmp_path_factory.mktemp("spine") / "subscription_spine"
    shutil.copytree(CORPUS / "subscription_spine", root)
    write(
        root / "models" / "marts" / "broken_on_purpose.sql",
        '{% if execute %}{{ exceptions.raise_compiler_error("this model is broken on purpose") }}{% endif %}\n'
        "select 1 as x\n",
    )
    write(root / "analyses" / "board_question.sql", "select 1 as answer\n")
    return root


@pytest.mark.slow
@pytest.mark.dbt
def test_a_broken_model_is_a_row_with_dbts_message_and_the_rest_are_read(spine_copy: Path) -> None:
    project: Any = _project(spine_copy)
    models = load_models(project)
    assert models.failed == {"broken_on_purpose": "this model is broken on purpose"}
    expected = {p.stem for p in (spine_copy / "models").rglob("*.sql")} - {"broken_on_purpose"}
    assert set(models.models) == expected
    assert (spine_copy / CANON_TARGET / "manifest.json").is_file()
    assert not (spine_copy / "target").exists()  # the user's target/ is never written


@pytest.mark.slow
@pytest.mark.dbt
def test_selection_is_dbts_and_analyses_are_read_when_asked(spine_copy: Path) -> None:
    project: Any = _project(spine_copy)
    marts = {p.stem for p in (spine_copy / "models" / "marts").glob("*.sql")} - {"broken_on_purpose"}
    chosen = load_models(project, options=LoadOptions(select=("marts",), exclude=("broken_on_purpose",)))
    assert set(chosen.models) == marts and chosen.failed == {}
    with_analyses = load_models(project, options=LoadOptions(select=("marts", "board_question"), include_analyses=True))
    assert "board_question" in with_analyses.models and set(with_analyses.models) - {"board_question"} == marts


@pytest.mark.slow
@pytest.mark.dbt
def test_a_given_manifest_is_selected_through_dbt_ls(spine_copy: Path, tmp_path: Path) -> None:
    project: Any = _project(spine_copy)
    load_models(project, options=LoadOptions(exclude=("broken_on_purpose",)))  # compiles every other model
    given = shutil.copy(spine_copy / CANON_TARGET / "manifest.json", tmp_path / "manifest.json")
    marts = {p.stem for p in (spine_copy / "models" / "marts").glob("*.sql")} - {"broken_on_purpose"}
    chosen = load_models(project, options=LoadOptions(manifest=Path(given), select=("marts",)))
    assert set(chosen.models) == marts


# ---------------------------------------------------------------- packages named, none installed, no manifest


def test_missing_packages_are_counted_as_dbt_counts_them(small: Path) -> None:
    from canon.dbt.project_files import missing_package_names

    write(
        small / "packages.yml",
        "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n"
        "  - git: https://example.com/analytics/dbt-date-tools.git\n    revision: main\n",
    )
    assert missing_package_names(small) == ["dbt_utils", "dbt_date_tools"]
    write(small / "dbt_packages" / "dbt_utils" / "dbt_project.yml", "name: dbt_utils\n")
    assert missing_package_names(small) == ["dbt_date_tools"]  # two declared, one installed
    assert missing_packages(small) is not None
    write(small / "dbt_packages" / "dbt_date_tools" / "dbt_project.yml", "name: dbt_date_tools\n")
    assert missing_package_names(small) is None and missing_packages(small) is None


# Models that need the package, each failing dbt at a different moment (without canon's copy):
NEEDS_PACKAGE = {
    # a package macro in the model's body: dbt parses it, then fails to compile it
    "models/marts/keyed_subscriptions.sql": "select {{ dbt_utils.generate_surrogate_key(['subscription_id']) }}"
    " as subscription_key\nfrom {{ ref('stg_subscriptions') }}\n",
    # a package macro's value in config(): the parse of the whole project fails
    "models/marts/configured_by_package.sql": "{{ config(materialized=dbt_utils.pick_materialization()) }}\n"
    "select 1 as x\n",
    # through the project's own macro: the model names no package, dbt fails on it while parsing
    "macros/surrogate.sql": "{% macro surrogate(col) %}{{ dbt_utils.generate_surrogate_key([col]) }}{% endmacro %}\n",
    "models/marts/indirect_keys.sql": "select {{ surrogate('subscription_id') }} as k\n"
    "from {{ ref('stg_subscriptions') }}\n",
    # needs nothing itself, but reads a model that does: still compiled (its ref resolves)
    "models/marts/after_keyed.sql": "select count(*) as n from {{ ref('keyed_subscriptions') }}\n",
}


@pytest.fixture(scope="module")
def no_deps_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """subscription_spine naming dbt_utils in packages.yml, never installed (no network: the
    point), with the models above, no target/ and no earlier manifest of canon's."""
    root = tmp_path_factory.mktemp("nodeps") / "subscription_spine"
    shutil.copytree(CORPUS / "subscription_spine", root, ignore=shutil.ignore_patterns("target", "*.duckdb"))
    write(root / "packages.yml", "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n")
    for name, text in NEEDS_PACKAGE.items():
        write(root / name, text)
    return root


@pytest.mark.slow
@pytest.mark.dbt
def test_missing_packages_without_a_manifest_set_aside_only_the_models_that_need_them(no_deps_copy: Path) -> None:
    from canon.dbt.runner import run_dbt
    from canon.errors import CanonError

    with pytest.raises(CanonError, match="dbt deps"):  # what dbt itself does with this project
        run_dbt(no_deps_copy, ["parse", "--target-path", str(no_deps_copy / ".canon" / "probe")])
    project: Any = _project(no_deps_copy)
    models = load_models(project)
    [note] = models.notes
    assert "`dbt deps`" in note and "\n" not in note
    assert set(models.failed) == {"keyed_subscriptions", "configured_by_package", "indirect_keys"}
    assert all("dbt deps" in why and "dbt_utils" in why for why in models.failed.values())
    corpus = {p.stem for p in (CORPUS / "subscription_spine" / "models").rglob("*.sql")}
    assert set(models.models) == corpus | {"after_keyed"}  # every model that does not need the package
    assert "keyed_subscriptions" in models.models["after_keyed"].sql  # its ref() resolved
    assert not (no_deps_copy / "target").exists()  # the user's target/ is never written
    assert not (no_deps_copy / CANON_TARGET).exists()  # a partial compile never passes for the last manifest
    assert (no_deps_copy / "models" / "marts" / "keyed_subscriptions.sql").read_text().startswith("select {{ dbt_utils")


@pytest.mark.slow
@pytest.mark.dbt
def test_init_with_missing_packages_reads_the_raw_tables_and_says_dbt_deps(
    no_deps_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from canon.dbtproject import init_dbt_project

    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    report = init_dbt_project(no_deps_copy, force=True)
    assert "`dbt deps`" in report.warnings[0]
    assert "configured_by_package" in report.warnings[1] and "indirect_keys" in report.warnings[1]
    doc = yaml.safe_load((no_deps_copy / "canon.yml").read_text())
    seeds = {p.stem for p in (no_deps_copy / "seeds").glob("*.csv")}
    assert seeds <= set(doc["sources"])


@pytest.mark.slow
@pytest.mark.dbt
def test_a_model_whose_jinja_raises_while_parsing_is_a_row_too(tmp_path: Path) -> None:
    root = tmp_path / "subscription_spine"
    shutil.copytree(CORPUS / "subscription_spine", root, ignore=shutil.ignore_patterns("target", "*.duckdb"))
    write(root / "models" / "marts" / "raises_at_parse.sql", '{{ exceptions.raise_compiler_error("no guard") }}\n')
    models = load_models(_project(root))
    assert models.failed == {"raises_at_parse": "no guard"}
    assert set(models.models) == {p.stem for p in (CORPUS / "subscription_spine" / "models").rglob("*.sql")}
    assert (root / CANON_TARGET / "manifest.json").is_file() and models.notes == []
