"""A proposal scores a model's row decisions like its other decisions: one key, one change in words."""

from __future__ import annotations

from dataclasses import replace

from canon.contracts.decisions import DecisionVector, Dedup, Measure, TimeBasis
from canon.contracts.refs import ColumnRef
from canon.workflow.propose import _differences

P = ColumnRef.parse
V = DecisionVector.build(Measure(P("raw_v.total")), TimeBasis((P("raw_v.issued_on"),)), {P("raw_v.status"): ["paid"]})
LATEST = Dedup("raw_v", ("raw_v.id",), (("raw_v.updated_at", True),))


def test_a_dedup_the_proposal_lacks_is_one_disagreement() -> None:
    agreeing, total, changes = _differences(replace(V, dedup=(LATEST,)), V)
    assert (agreeing, total) == (3, 4)  # time basis, measure, status agree; rows do not
    assert changes == ["rows: latest version only: one row of raw_v per id by updated_at desc → each row once"]


def test_no_row_decision_on_either_side_adds_no_key() -> None:
    assert _differences(V, V) == (3, 3, [])
    assert _differences(replace(V, dedup=(LATEST,)), replace(V, dedup=(LATEST,))) == (4, 4, [])
