"""canon init's files: .gitignore handled idempotently, an existing canon.yml kept without --force."""

from __future__ import annotations

from pathlib import Path

import pytest

from canon.config import load_config
from canon.dbtproject.manifest import Edge, RawSchema, RawTable
from canon.dbtproject.writer import DbtChoice, config_text, ignore_canon_state, refuse_existing, write_config
from canon.errors import UserError
from tests.support.cli import run_cli


def test_gitignore_created_then_left_alone(tmp_path: Path) -> None:
    assert ignore_canon_state(tmp_path)
    first = (tmp_path / ".gitignore").read_text()
    assert ".canon/" in first.splitlines()
    assert not ignore_canon_state(tmp_path)
    assert (tmp_path / ".gitignore").read_text() == first


def test_gitignore_appended_after_a_last_line_without_newline(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("target/\nlogs/")
    assert ignore_canon_state(tmp_path)
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines[:2] == ["target/", "logs/"] and lines[-1] == ".canon/"


def test_gitignore_already_naming_canon_state_any_spelling(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("/.canon\n")
    assert not ignore_canon_state(tmp_path)


def test_an_existing_canon_yml_is_refused_without_force(tmp_path: Path) -> None:
    (tmp_path / "canon.yml").write_text("name: mine\n")
    with pytest.raises(UserError) as err:
        refuse_existing(tmp_path, force=False)
    assert str(tmp_path / "canon.yml") in err.value.render() and "--force" in err.value.render()
    refuse_existing(tmp_path, force=True)


def test_the_cli_refuses_with_exit_2_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n")
    (tmp_path / "canon.yml").write_text("name: mine\n")
    result = run_cli(capsys, "init", str(tmp_path))
    assert result.code == 2
    assert "canon.yml" in result.err and "--force" in result.err
    assert (tmp_path / "canon.yml").read_text() == "name: mine\n"


def test_init_outside_a_dbt_project_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "init", str(tmp_path))
    assert result.code == 2 and "dbt_project.yml" in result.err


def test_written_config_reads_back_and_records_only_explicit_choices(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    accounts = RawTable("raw_accounts", "main", "wh", "seed", unique={"account_id"}, not_null={"account_id"})
    invoices = RawTable("raw_invoices", "main", "wh", "source")
    schema = RawSchema(
        {"raw_accounts": accounts, "raw_invoices": invoices},
        [Edge("raw_invoices", "account_id", "raw_accounts", "account_id", "relationships test")],
        [],
    )
    write_config(tmp_path, config_text("p", schema, DbtChoice(), "2026-10", ["header"]))
    config = load_config(tmp_path)
    assert config.dbt is None
    assert config.warehouse.engine == "dbt"  # no warehouse block in a dbt project: its profile's adapter
    assert config.current_period == "2026-10"
    assert config.sources["raw_accounts"].primary_key == ["account_id"]
    assert config.sources["raw_invoices"].relation == "main.raw_invoices"
    assert [(j.from_, j.to) for j in config.relationships] == [("raw_invoices.account_id", "raw_accounts.account_id")]
    write_config(tmp_path, config_text("p", schema, DbtChoice("conf", "prod"), None, []))
    config = load_config(tmp_path)
    assert config.dbt is not None and (config.dbt.profiles_dir, config.dbt.target) == ("conf", "prod")
    assert config.current_period is None
