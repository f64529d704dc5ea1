"""A built ACME project per worker; each test works on its own copy (workflow commands edit files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from canon.dbt import run_dbt
from canon.examples import ExampleOptions, init_example


@pytest.fixture(scope="session")
def acme_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("acme-template") / "acme"
    init_example("acme", root, ExampleOptions())
    run_dbt(root, ["build"])
    return root


@pytest.fixture()
def acme(acme_template: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "acme"
    shutil.copytree(acme_template, dest, symlinks=True)
    return dest
