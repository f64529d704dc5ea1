from __future__ import annotations

from pathlib import Path

import pytest

from tests.compiler.fixture import write_project


@pytest.fixture(scope="session")
def tiny_audit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("tiny-audit"))


TINY_MODELS = Path(__file__).parent / "tiny_models"
