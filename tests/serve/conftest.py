from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from canon.audit.runner import AuditOptions, run_audit
from canon.audit.sources import from_sql_dir
from canon.compiler.periods import parse_period
from canon.project import load_project
from canon.serve.app import create_app
from canon.serve.settings import ServeSettings
from tests.audit.conftest import TINY_MODELS
from tests.compiler.fixture import write_project
from tests.serve.fixture import TOKENS, write_serve_project, write_tokens

NO_ENV_TOKENS = "CANON_SERVE_TEST_NO_SUCH_VARIABLE"


def real_audit(tmp: Path) -> dict[str, Any]:
    """The audit JSON of `mrr` over the tiny models, produced by the real audit (not hand-written)."""
    root = write_project(tmp)
    project = load_project(root)
    raw = [t for t in project.engine.tables() if t.startswith("raw_")]
    models = from_sql_dir(TINY_MODELS, "duckdb", raw)
    result = run_audit(project, AuditOptions("mrr", parse_period("2026-10"), models, with_history=False))
    project.close()
    return result.to_json()


@pytest.fixture(scope="session")
def audit_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return real_audit(tmp_path_factory.mktemp("serve-audit"))


@pytest.fixture(scope="session")
def serve_root(tmp_path_factory: pytest.TempPathFactory, audit_json: dict[str, Any]) -> Path:
    return write_serve_project(tmp_path_factory.mktemp("serve"), audit_json)


@pytest.fixture(scope="session")
def tokens_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tokens(tmp_path_factory.mktemp("tokens") / "tokens", TOKENS)


def settings_for(root: Path, tokens: Path, **extra: Any) -> ServeSettings:
    return ServeSettings(project=root, tokens_file=tokens, tokens_env=NO_ENV_TOKENS, cursor_secret="s" * 32, **extra)


@pytest.fixture(scope="module")
def client(serve_root: Path, tokens_file: Path) -> Iterator[TestClient]:
    app = create_app(settings_for(serve_root, tokens_file))
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {TOKENS['them_os']}"
        yield c


@pytest.fixture(scope="session")
def direct(serve_root: Path) -> Iterator[Any]:
    """A second, independent read-only connection for the tests' own SQL."""
    import duckdb

    con = duckdb.connect(str(serve_root / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()
