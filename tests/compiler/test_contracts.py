from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from canon.contracts.loader import load_contract_spec
from canon.contracts.model import Metric, definition_hash
from canon.contracts.spec import json_schema
from tests.compiler.fixture import METRICS


def spec_of(text: str, tmp_path: Path) -> Metric:
    path = tmp_path / "m.yml"
    path.write_text(text)
    spec, doc = load_contract_spec(path)
    return Metric(spec, path, doc)


def test_hash_survives_prose_but_not_a_filter(tmp_path: Path) -> None:
    base = spec_of(METRICS["mrr.yml"], tmp_path)
    prose = spec_of(
        METRICS["mrr.yml"]
        .replace("by invoice month.", "by invoice month (see FIN-142).")
        .replace("owner: finance", "owner: cfo"),
        tmp_path,
    )
    reordered = spec_of(
        METRICS["mrr.yml"].replace("raw_invoices.type: [subscription]", "raw_invoices.type: ['subscription']"), tmp_path
    )
    changed = spec_of(
        METRICS["mrr.yml"].replace("raw_invoices.status: [paid]", "raw_invoices.status: [paid, pending]"), tmp_path
    )
    assert base.definition_hash() == prose.definition_hash() == reordered.definition_hash()
    assert base.definition_hash() != changed.definition_hash()
    assert base.definition_hash().startswith("sha256:")


def test_hash_changes_with_scale_and_time_basis(tmp_path: Path) -> None:
    base = spec_of(METRICS["contract_mrr.yml"], tmp_path)
    other_scale = spec_of(METRICS["contract_mrr.yml"].replace('scale: "1/12"', "scale: 1"), tmp_path)
    assert definition_hash(base.spec) != definition_hash(other_scale.spec)


def test_decisions_from_declarative_contract(tmp_path: Path) -> None:
    metric = spec_of(METRICS["mrr.yml"], tmp_path)
    assert metric.decisions.to_json() == {
        "measure": {"column": "raw_invoices.amount", "scale": 1.0, "aggregation": "sum", "unit": "dollars"},
        "time_basis": ["raw_invoices.invoice_date"],
        "filters": {
            "raw_contracts.status": ["active"],
            "raw_contracts.type": ["recurring"],
            "raw_invoices.status": ["paid"],
            "raw_invoices.type": ["subscription"],
        },
    }


def test_filter_on_a_dimension_column_is_a_slice(tmp_path: Path) -> None:
    text = METRICS["mrr.yml"].replace(
        "    raw_contracts.status: [active]\n",
        "    raw_contracts.status: [active]\n    raw_accounts.segment: [enterprise]\n",
    )
    metric = spec_of(text, tmp_path)
    assert {str(k): sorted(v) for k, v in metric.decisions.slices.items()} == {"raw_accounts.segment": ["enterprise"]}
    assert "raw_accounts.segment" not in metric.decisions.to_json()["filters"]


@pytest.mark.parametrize("name", sorted(METRICS))
def test_json_schema_accepts_every_fixture_contract(name: str) -> None:
    data = YAML(typ="safe").load(METRICS[name])
    jsonschema.validate(data, json_schema())


def test_json_schema_rejects_a_misspelled_key() -> None:
    data = YAML(typ="safe").load(METRICS["cash.yml"].replace("owner:", "ownr:"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())
