"""Adopting a model's decisions writes its whole time basis into the contract, not only its columns."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from canon.contracts.decisions import DecisionVector, Measure, TimeBasis
from canon.contracts.loader import load_contract_spec
from canon.contracts.model import Metric
from canon.contracts.refs import ColumnRef
from canon.workflow.signoff import _validated_write, apply_decisions

R = ColumnRef.parse


def adopt(tmp_path: Path, basis: TimeBasis) -> Metric:
    data = CommentedMap(
        {
            "name": "mrr",
            "owner": "finance",
            "composition": CommentedMap(
                {
                    "type": "declarative",
                    "measure": CommentedMap({"column": "subs.amount"}),
                    "time_basis": CommentedMap({"column": "subs.start_date"}),
                    "filters": CommentedMap(),
                }
            ),
        }
    )
    vector = DecisionVector.build(Measure(R("subs.amount")), basis)
    proposal = {
        "judgment_calls": [
            {"key": "basis", "options": [{"label": "the model's", "edit": {"vector": vector.to_json()}}]}
        ]
    }
    apply_decisions(data, proposal, {"basis": "yes"})
    path = tmp_path / "mrr.yml"
    path.write_text(
        "name: mrr\nowner: finance\ncomposition: {type: sql, sql: select 1, period_column: p, value_column: v}\n"
    )
    _validated_write(path, data)
    spec, doc = load_contract_spec(path)
    return Metric(spec, path, doc)


def test_a_range_live_on_the_first_day_with_an_exclusive_end_is_written(tmp_path: Path) -> None:
    basis = TimeBasis((R("subs.start_date"), R("subs.end_date")), "range", False, "first_day")
    assert adopt(tmp_path, basis).decisions.time_basis == basis


def test_a_zone_and_an_integer_key_are_written(tmp_path: Path) -> None:
    zoned = TimeBasis((R("payments.paid_at"),), time_zone="America/New_York")
    keyed = TimeBasis((R("payments.date_key"),), key_format="%Y%m%d")
    assert adopt(tmp_path, zoned).decisions.time_basis == zoned
    assert adopt(tmp_path, keyed).decisions.time_basis == keyed
