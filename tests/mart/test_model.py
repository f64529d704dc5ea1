"""The mart model from contracts alone: the `mart:` block, levels, keys, and the mistakes it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from canon.contracts.loader import load_contract_spec
from canon.errors import ContractError
from canon.mart import load_section, section_models
from canon.mart.model import level_columns

BASE = """\
name: {name}
owner: finance
served_by: mart.{name}
{mart}
grain: {{time: month, period_column: reporting_period, keys: [org_market_id]}}
served_columns:
  - {{name: org_market_id, type: string}}
  - {{name: reporting_period, type: string}}
  - {{name: revenue_cents, type: integer}}
  - {{name: as_of, type: timestamp}}
composition: {{type: sql, sql: 'SELECT 1 AS x', sources: [silver.facts]}}
{rollup}
"""
ROLLUP = (
    "rollup: {rule: sum, hierarchy: [org_market, organization], mapping: spine.geography,\n"
    "  keys: {org_market: org_market_id, organization: organization_id}, by: [reporting_period],\n"
    "  columns: [revenue_cents]}"
)


def write(folder: Path, name: str, mart: str, rollup: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(BASE.format(name=name, mart=mart, rollup=rollup))
    return path


def test_sections_levels_and_key_come_from_the_contracts(tmp_path: Path) -> None:
    folder = tmp_path / "metrics" / "ledger"
    write(folder, "booked", "mart: {section: ledger, grouping: books.booked, key: org_market_id}", ROLLUP)
    write(folder, "flat", "mart: {section: ledger}")
    sections = section_models(load_section(tmp_path / "metrics", "ledger"))
    ledger = sections["ledger"]
    booked, flat = ledger.grouping("booked"), ledger.grouping("flat")
    assert booked.path == ("books", "booked") and booked.levels == ("org_market", "organization")
    assert flat.path == ("flat",) and flat.levels == () and flat.key is None
    assert ledger.key == "org_market_id" and ledger.key_name == "org_market"
    # a rolled-up row carries its level's key, the rolled columns and as_of, not the finest key
    assert set(level_columns(booked, "organization")) == {
        "organization_id",
        "reporting_period",
        "revenue_cents",
        "as_of",
    }
    assert level_columns(booked, "org_market") == ["org_market_id", "reporting_period", "revenue_cents", "as_of"]


def test_meta_section_is_refused_with_the_new_spelling(tmp_path: Path) -> None:
    path = write(tmp_path, "old", "meta: {section: finance, grouping: pnl.old}")
    with pytest.raises(ContractError) as err:
        load_contract_spec(path)
    text = str(err.value.problems[0].render() if err.value.problems else err.value)
    assert "meta.section" in text and "mart:" in text


def test_mart_mistakes_name_the_contract_line(tmp_path: Path) -> None:
    folder = tmp_path / "metrics" / "finance"
    write(folder, "elsewhere", "mart: {section: ledger}")
    with pytest.raises(ContractError) as err:
        load_section(tmp_path / "metrics", "finance")
    problem = err.value.problems[0]
    assert "mart.section: ledger" in problem.message and problem.location.line == 4
    assert problem.fix is not None and "ledger" in problem.fix

    (folder / "elsewhere.yml").unlink()
    write(folder, "keyless", "mart: {section: finance, key: org_market_key}")
    with pytest.raises(ContractError) as bad_key:
        section_models(load_section(tmp_path / "metrics", "finance"))
    assert "org_market_key" in bad_key.value.message and bad_key.value.location.line == 4
    assert bad_key.value.fix is not None and "org_market_id" in bad_key.value.fix

    (folder / "keyless.yml").unlink()
    write(folder, "one", "mart: {section: finance, key: org_market_id}")
    write(folder, "two", "mart: {section: finance, key: reporting_period}")
    with pytest.raises(ContractError, match="different coordination keys"):
        section_models(load_section(tmp_path / "metrics", "finance"))
