"""Static mode on a project whose SQL only Snowflake runs: `canon init`, then `canon audit --static`.

The Snowflake-dialect corpus project builds nowhere here (its seeds load into DuckDB); the audit
must still read every model as Snowflake SQL, touch no warehouse figure, and account for every
model — as a definition or a skipped row with its reason, never silently.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from canon.dbt.runner import run_dbt
from tests.support.cli import run_cli

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "snowflake_dialect"

pytestmark = [pytest.mark.slow, pytest.mark.dbt, pytest.mark.xdist_group("corpus")]


def test_snowflake_project_is_audited_statically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(shutil.copytree(CORPUS, tmp_path / "sf"))
    run_dbt(folder, ["seed"])
    monkeypatch.chdir(folder)
    init = run_cli(capsys, "init")
    assert init.code == 0, init.err
    audit = run_cli(capsys, "audit", "--metric", "MRR", "--static", "--dialect", "snowflake", "--format", "json")
    assert audit.code in (0, 1), audit.err  # 1 only when no definition was found, and the headline says so
    report = json.loads(audit.out)
    assert report["mode"] == "static" and "static" in report["headline"]
    models = {p.stem for p in (folder / "models").rglob("*.sql")}
    accounted = {d["model"] for d in report["definitions"]} | {s["model"] for s in report["skipped"]}
    accounted |= {f["model"] for f in report["failed"]}
    assert models <= accounted, f"models neither mapped nor listed: {sorted(models - accounted)}"
    assert report["failed"] == []  # every model read as Snowflake SQL
    assert all(d.get("value_cents") is None for d in report["definitions"])  # nothing priced
    if audit.code == 1:
        assert report["definitions"] == [] and "No definition" in report["headline"]
