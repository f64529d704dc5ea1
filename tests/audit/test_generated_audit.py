"""The audit against a project nobody on the team wrote by hand: a generated dbt project whose
definitions hide among decoys, with a ground truth stated by the generator (not by canon).
Every definition must be found, every decoy skipped, every decision vector equal to the truth,
and every figure reproduced to the cent and equal to the generator's own figure."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from canon.audit.result import AuditResult
from canon.audit.runner import AuditOptions, run_audit
from canon.audit.sources import from_manifest
from canon.compiler.periods import parse_period
from canon.project import load_project

pytestmark = [pytest.mark.slow, pytest.mark.dbt]


@pytest.fixture(scope="module")
def audited(
    generated_dbt: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[AuditResult, dict[str, Any]]:
    source, truth = generated_dbt
    root = tmp_path_factory.mktemp("generated-audit") / "project"
    shutil.copytree(source, root)
    project = load_project(root)
    models = from_manifest(root / "target" / "manifest.json", root)
    result = run_audit(
        project, AuditOptions(truth["metric"], parse_period(truth["period"]), models, with_history=False)
    )
    project.close()
    return result, truth


def test_finds_every_definition_and_no_decoy(audited: tuple[AuditResult, dict[str, Any]]) -> None:
    result, truth = audited
    assert sorted(d.model for d in result.definitions) == sorted(truth["definitions"])
    assert not set(truth["decoys"]) & {d.model for d in result.definitions}


def test_decision_vectors_equal_the_ground_truth(audited: tuple[AuditResult, dict[str, Any]]) -> None:
    result, truth = audited
    for d in result.definitions:
        want = truth["definitions"][d.model]
        got = d.to_json()
        measure = {k: got["decisions"]["measure"][k] for k in ("column", "scale")}
        assert measure == want["decisions"]["measure"], d.model
        assert got["decisions"]["time_basis"] == want["decisions"]["time_basis"], d.model
        assert got["decisions"]["filters"] == want["decisions"]["filters"], d.model
        assert got["slices"] == want["slices"], d.model
        assert not d.unmapped, (d.model, d.unmapped)


def test_figures_reproduced_and_equal_to_the_generator(audited: tuple[AuditResult, dict[str, Any]]) -> None:
    result, truth = audited
    period = truth["period"]
    for d in result.definitions:
        assert d.reproduced, (d.model, d.residual_cents)
        assert d.value_cents == truth["definitions"][d.model]["figures"][period], d.model
    assert result.canonical_cents == truth["canonical"]["figures"][period]
    for d in result.definitions:
        assert d.bridge is not None
        assert result.canonical_cents + sum(s.impact_cents for s in d.bridge.steps) == d.value_cents
