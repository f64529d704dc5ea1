"""Sign-offs are never lost or overwritten by accident, and a changed definition is never the board number."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from canon.errors import UserError
from canon.fsutil import atomic_write_text
from canon.project import load_project
from canon.workflow import signoff
from tests.compiler.fixture import write_project
from tests.support.cli import run_cli


@pytest.fixture()
def proj(tmp_path: Path) -> Path:
    return write_project(tmp_path / "p")


def approve(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> Any:
    return run_cli(capsys, "approve", "mrr", "--by", "Dana", "--role", "CFO", *extra, "-p", str(root))


def test_a_second_sign_off_needs_replace(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    first = approve(capsys, proj)
    assert first.code == 0, first.err
    signed = (proj / "metrics" / "mrr.yml").read_text()
    again = run_cli(capsys, "approve", "mrr", "--by", "Eve", "--role", "COO", "-p", str(proj))
    assert again.code == 2 and "Traceback" not in again.err
    line = next(i for i, t in enumerate(signed.splitlines(), start=1) if t.startswith("signoff:"))
    assert f"mrr.yml:{line}" in again.err and "already signed off by Dana (CFO)" in again.err
    assert "--replace" in again.err
    assert (proj / "metrics" / "mrr.yml").read_text() == signed  # untouched
    replaced = run_cli(capsys, "approve", "mrr", "--by", "Eve", "--role", "COO", "--replace", "-p", str(proj))
    assert replaced.code == 0, replaced.err
    assert "by: Eve" in (proj / "metrics" / "mrr.yml").read_text()


def test_an_edit_saved_while_signing_is_never_overwritten(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract = proj / "metrics" / "mrr.yml"
    real = signoff.apply_decisions

    def someone_saves_meanwhile(*args: Any) -> Any:
        contract.write_text(contract.read_text() + "# reviewed: raw_invoices.status should admit pending\n")
        return real(*args)

    monkeypatch.setattr(signoff, "apply_decisions", someone_saves_meanwhile)
    project = load_project(proj)
    with pytest.raises(UserError, match="changed on disk while it was being signed") as info:
        project.approve("mrr", "Dana", "CFO")
    assert info.value.location.file == str(contract)
    text = contract.read_text()
    assert text.endswith("# reviewed: raw_invoices.status should admit pending\n") and "signoff" not in text


def test_approve_keeps_the_file_mode(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    contract = proj / "metrics" / "mrr.yml"
    contract.chmod(0o640)
    assert approve(capsys, proj).code == 0
    assert stat.S_IMODE(contract.stat().st_mode) == 0o640


def test_atomic_writes_keep_modes_and_new_files_follow_the_umask(tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("a")
    kept.chmod(0o664)
    atomic_write_text(kept, "b")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o664 and kept.read_text() == "b"
    mask = os.umask(0o027)
    try:
        fresh = tmp_path / "fresh.txt"
        atomic_write_text(fresh, "c")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o640
    finally:
        os.umask(mask)
    secret = tmp_path / "secret"
    atomic_write_text(secret, "s", mode=0o600)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def _change_definition(root: Path) -> None:
    contract = root / "metrics" / "mrr.yml"
    text = contract.read_text()
    contract.write_text(text.replace("raw_invoices.status: [paid]", "raw_invoices.status: [paid, pending]"))


def test_a_changed_definition_is_marked_wherever_the_cli_serves_it(
    capsys: pytest.CaptureFixture[str], proj: Path
) -> None:
    assert approve(capsys, proj).code == 0
    period = ["--from", "2026-10", "--to", "2026-10", "-p", str(proj)]
    clean = run_cli(capsys, "query", "mrr", "-f", "json", *period)
    assert clean.code == 0 and "warning" not in clean.err
    assert all("signed" not in row for row in json.loads(clean.out))
    _change_definition(proj)
    res = run_cli(capsys, "query", "mrr", "-f", "json", *period)
    assert res.code == 0, res.err
    rows = json.loads(res.out)
    # 2026-10 with pending admitted: I2 10000.00 + I4 2000.01 (pending, active recurring C2)
    assert rows == [{"period": "2026-10", "mrr_cents": 1_200_001, "mrr": "$12,000.01", "signed": False}]
    assert "warning:" in res.err and "`mrr` changed after Dana signed it" in res.err
    derived = run_cli(capsys, "query", "arr", "-f", "csv", *period)
    assert "`mrr` (an input of `arr`) changed after Dana signed it" in derived.err
