"""Profile and target resolution follow dbt's own order, read through dbt's own loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from canon.dbt.profile import resolve_profiles_dir, resolve_target
from canon.errors import ConfigError

PROFILE = """\
shop:
  target: dev
  outputs:
    dev: {type: duckdb, path: "{{ env_var('SHOP_DB', 'dev.duckdb') }}", schema: "{{ env_var('SHOP_SCHEMA') }}"}
    prod: {type: duckdb, path: prod.duckdb, schema: analytics}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "dbt_project.yml").write_text("name: shop\nversion: '1'\nconfig-version: 2\nprofile: shop\n")
    for var in ("DBT_PROFILES_DIR", "DBT_TARGET", "SHOP_DB", "SHOP_SCHEMA"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return root


def test_the_projects_own_profiles_yml_then_home(project: Path, tmp_path: Path) -> None:
    assert resolve_profiles_dir(project).path == (tmp_path / "home" / ".dbt").resolve()
    assert resolve_profiles_dir(project).source == "home"
    (project / "profiles.yml").write_text(PROFILE)
    assert resolve_profiles_dir(project).path == project.resolve()
    assert resolve_profiles_dir(project).source == "project"


def test_dbt_profiles_dir_beats_the_project_and_an_explicit_folder_beats_both(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "profiles.yml").write_text(PROFILE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("DBT_PROFILES_DIR", str(elsewhere))
    assert resolve_profiles_dir(project).path == elsewhere.resolve()
    assert resolve_profiles_dir(project, "conf").path == (project / "conf").resolve()  # relative to the project
    assert resolve_profiles_dir(project, "conf").source == "given"


def test_env_var_with_and_without_default_rendered_by_dbt(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "profiles.yml").write_text(PROFILE)
    with pytest.raises(ConfigError) as err:
        resolve_target(project)
    assert "SHOP_SCHEMA" in str(err.value) and "profiles.yml" in str(err.value)
    monkeypatch.setenv("SHOP_SCHEMA", "raw")
    found = resolve_target(project)
    assert (found.profile, found.target, found.target_source) == ("shop", "dev", "profile")
    assert found.schema == "raw"
    assert found.database == "dev"  # env_var's default: dev.duckdb
    monkeypatch.setenv("SHOP_DB", "other.duckdb")
    assert resolve_target(project).database == "other"


def test_target_from_flag_then_dbt_target(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "profiles.yml").write_text(PROFILE)
    monkeypatch.setenv("DBT_TARGET", "prod")
    found = resolve_target(project)
    assert (found.target, found.target_source, found.schema) == ("prod", "DBT_TARGET", "analytics")
    monkeypatch.setenv("SHOP_SCHEMA", "raw")
    found = resolve_target(project, target="dev")
    assert (found.target, found.target_source, found.schema) == ("dev", "given", "raw")


def test_profiles_dir_given_is_read(project: Path, tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "profiles.yml").write_text(PROFILE.replace("{{ env_var('SHOP_SCHEMA') }}", "fromconf"))
    found = resolve_target(project, profiles_dir=conf)
    assert found.schema == "fromconf"
    assert found.profiles.source == "given"


def test_missing_profile_names_the_file_and_the_profile(project: Path) -> None:
    (project / "profiles.yml").write_text("other: {target: dev, outputs: {dev: {type: duckdb, path: x.duckdb}}}\n")
    with pytest.raises(ConfigError) as err:
        resolve_target(project)
    text = err.value.render()
    assert str(project / "profiles.yml") in text and "`shop`" in text


def test_no_profiles_yml_anywhere_names_where_it_looked(project: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        resolve_target(project)
    text = err.value.render()
    assert str(tmp_path / "home" / ".dbt" / "profiles.yml") in text and "`shop`" in text


def test_unknown_target_lists_the_profiles_targets(project: Path) -> None:
    (project / "profiles.yml").write_text(PROFILE)
    with pytest.raises(ConfigError) as err:
        resolve_target(project, target="staging")
    assert "staging" in str(err.value) and "prod" in str(err.value)


def test_an_adapter_that_is_not_installed_names_its_pip_package(project: Path) -> None:
    (project / "profiles.yml").write_text(
        "shop: {target: sf, outputs: {sf: {type: snowflake, account: a, user: u, password: p, "
        "database: d, warehouse: w, schema: s}}}\n"
    )
    with pytest.raises(ConfigError) as err:
        resolve_target(project)
    assert "pip install dbt-snowflake" in err.value.render()
