"""`canon init --example`: files, configuration, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from canon.cli import main
from canon.config import load_config
from canon.contracts.loader import load_contract_spec


def run_cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
        raise SystemExit(0)
    return int(exit_info.value.code or 0)


def test_project_files(acme_dir: Path) -> None:
    expected = {
        "dbt_project.yml", "profiles.yml", "canon.yml", "README.md", ".gitignore", "metrics/mrr.yml",
        # the MRR movements and retention over the canonical MRR (issue 14)
        "metrics/new_mrr.yml", "metrics/expansion_mrr.yml", "metrics/contraction_mrr.yml",
        "metrics/churn_mrr.yml", "metrics/reactivation_mrr.yml", "metrics/nrr.yml", "metrics/grr.yml",
        "models/exposures.yml", "models/staging/src_acme.yml", "models/staging/stg_models.yml",
        "models/staging/stg_accounts.sql", "models/staging/stg_contracts.sql",
        "models/staging/stg_invoices.sql",
        "models/staging/stg_payments.sql", "models/marts/fct_revenue_monthly.sql",
        "models/marts/fct_arr_by_account.sql", "models/marts/fct_marketing_revenue.sql",
        "seeds/raw_accounts.csv", "seeds/raw_contracts.csv", "seeds/raw_invoices.csv",
        "seeds/raw_payments.csv",
        "logs/query_log.csv",
    }  # fmt: skip
    found = {str(p.relative_to(acme_dir)) for p in acme_dir.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert found == expected
    assert "path: warehouse.duckdb" in (acme_dir / "profiles.yml").read_text()


def test_metric_contract_loads_and_is_the_canonical_definition(acme_dir: Path) -> None:
    spec, _ = load_contract_spec(acme_dir / "metrics" / "mrr.yml")
    assert spec.name == "mrr" and spec.owner == "finance"
    text = (acme_dir / "metrics" / "mrr.yml").read_text()
    assert "raw_invoices.type: [subscription]" in text and "raw_contracts.status: [active]" in text


def test_canon_yml_loads(acme_dir: Path) -> None:
    config = load_config(acme_dir)
    assert config.name == "acme" and config.current_period == "2026-10"
    assert config.query_log == "logs/query_log.csv" and config.warehouse.path == "warehouse.duckdb"
    assert set(config.sources) == {"raw_accounts", "raw_contracts", "raw_invoices", "raw_payments"}
    assert len(config.relationships) == 5


def test_source_yaml_declares_every_seed_column_with_a_type(acme_dir: Path) -> None:
    import yaml

    declared = yaml.safe_load((acme_dir / "models" / "staging" / "src_acme.yml").read_text())
    (source,) = declared["sources"]
    assert source["name"] == "acme" and source["schema"] == "main"
    for table in source["tables"]:
        header = (acme_dir / "seeds" / f"{table['name']}.csv").read_text().splitlines()[0].split(",")
        assert [c["name"] for c in table["columns"]] == header
        assert all(c.get("data_type") for c in table["columns"])
        for column in table["columns"]:
            for test in column.get("data_tests", []):
                if isinstance(test, dict):
                    (body,) = test.values()
                    assert set(body) == {"arguments"}  # dbt 1.10+ style


def test_non_empty_directory_without_force_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert run_cli(["init", "--example", "acme", str(target)]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--force" in err and "DIR" in err
    assert (target / "notes.txt").read_text() == "mine"  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]  # no half-written sibling left behind


def test_force_replaces_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    target.mkdir()
    (target / "old.txt").write_text("old")
    assert run_cli(["init", "--example", "acme", str(target), "--force"]) == 0
    assert not (target / "old.txt").exists() and (target / "dbt_project.yml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["init", "--example", "acmee"], "did you mean `acme`"),
        (["init", "--example", "acme", "--current-period", "2026-13"], "--current-period"),
        (["init", "--example", "acme", "--current-period", "october"], "YYYY-MM"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run_cli([*args[:3], str(tmp_path / "new"), *args[3:]]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_a_file_in_the_way_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert run_cli(["init", "--example", "acme", str(blocker), "--force"]) == 2
    assert "not a folder" in capsys.readouterr().err
