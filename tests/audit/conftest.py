"""Fixtures for the audit tests: the generated dbt project, built once per run by real dbt."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from canon.examples.generated.project import TRUTH_FILE, generate_project


def dbt(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "dbt"
    if not exe.exists():
        pytest.fail("dbt is not installed in this environment: run `make venv` (dbt-core and dbt-duckdb are pinned)")
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [str(exe), *args, "--profiles-dir", "."], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"dbt {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    return proc


@pytest.fixture(scope="session")
def generated_dbt(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, dict[str, Any]]:
    """The small variant (40 models, 12 definitions), compiled and built as views by real dbt.

    Built once per test run and shared by the xdist workers (a file lock; the first worker
    builds, the others wait), since dbt takes most of this module's time.
    """
    base = tmp_path_factory.getbasetemp()
    base = base if worker_id == "master" else base.parent
    root = base / "generated_dbt" / "project"
    with (base / "generated_dbt.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root.parent / "built.ok"
        if not done.exists():
            generate_project(root, n_models=40, n_definitions=12, seed=1)
            dbt(root, "run")
            done.write_text("dbt run passed\n")
    return root, json.loads((root / TRUTH_FILE).read_text())


@pytest.fixture(scope="session")
def tiny_audit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.compiler.fixture import write_project

    return write_project(tmp_path_factory.mktemp("tiny-audit"))


TINY_MODELS = Path(__file__).parent / "tiny_models"
