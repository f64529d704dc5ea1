"""`canon serve` refuses to start on a bad whitelist or without tokens: one message, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compiler.fixture import write_project
from tests.serve.fixture import TOKENS, write_serve_project, write_tokens
from tests.support.cli import run_cli


def test_whitelist_problems_are_located_in_canon_yml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_serve_project(tmp_path)
    text = (root / "canon.yml").read_text()
    text = text.replace("date_column: createdAt", "date_column: created_at").replace(
        "        acquisition_suppression:", "        acquisition_supression:"
    )
    (root / "canon.yml").write_text(text)
    missing = run_cli(capsys, "serve", "--project", str(root), "--tokens-file", str(tmp_path / "none"))
    assert missing.code == 2 and f"{tmp_path / 'none'}: the tokens file does not exist" in missing.err
    tokens = write_tokens(tmp_path / "tokens", TOKENS)
    res = run_cli(capsys, "serve", "--project", str(root), "--tokens-file", str(tokens))
    assert res.code == 2
    assert "2 problem(s) in the served warehouse domains" in res.err
    assert "has no column `created_at`" in res.err and "did you mean `createdAt`?" in res.err
    assert "growth.acquisition_supression` does not exist" in res.err
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "created_at" in t)
    assert f"canon.yml:{line}" in res.err


def test_identifiers_in_the_whitelist_are_plain_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path)
    with (root / "canon.yml").open("a") as fh:
        fh.write(
            "serve:\n  domains:\n    growth:\n      schema: growth\n"
            '      tables:\n        t: {primary_key: "id; DROP"}\n'
        )
    res = run_cli(capsys, "serve", "--project", str(root))
    assert res.code == 2
    assert "serve.domains.growth.tables.t.primary_key" in res.err and "not a plain identifier" in res.err


def test_no_tokens_means_no_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CANON_TOKENS", raising=False)
    monkeypatch.delenv("CANON_TOKENS_FILE", raising=False)
    root = write_project(tmp_path)
    res = run_cli(capsys, "serve", "--project", str(root), "--port", "0")
    assert res.code == 2 and "--port" in res.err
    res = run_cli(capsys, "serve", "--project", str(root))
    assert res.code == 2
    assert "no API tokens are configured" in res.err and "CANON_TOKENS" in res.err


def test_audit_is_kept_for_the_catalog_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import orjson

    from tests.audit.conftest import TINY_MODELS

    root = write_project(tmp_path)
    res = run_cli(
        capsys, "audit", "--metric", "mrr", "--sql-dir", str(TINY_MODELS), "--format", "json", "-p", str(root)
    )
    assert res.code == 0, res.err
    stored = orjson.loads((root / ".canon" / "audit" / "mrr.json").read_bytes())
    assert stored == orjson.loads(res.out)
    assert stored["metric"] == "mrr" and stored["definitions"]
