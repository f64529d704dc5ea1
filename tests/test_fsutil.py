"""Atomic writes keep what they touch: a replaced file keeps its mode, a new one gets the umask's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from canon.fsutil import atomic_write_text, write_if_changed


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    for mode in (0o644, 0o755, 0o640, 0o600):
        path = tmp_path / f"f{mode:o}.yml"
        path.write_text("old\n")
        path.chmod(mode)
        assert write_if_changed(path, "new\n")
        assert path.read_text() == "new\n" and _mode(path) == mode, oct(_mode(path))


def test_a_new_file_gets_the_umask_default(tmp_path: Path) -> None:
    for umask in (0o022, 0o002, 0o077):
        old = os.umask(umask)
        try:
            path = tmp_path / f"new{umask:o}.sql"
            atomic_write_text(path, "select 1\n")
            # what open() gives a new file under this umask, independently of canon
            plain = tmp_path / f"plain{umask:o}.sql"
            plain.write_text("select 1\n")
        finally:
            os.umask(old)
        assert _mode(path) == _mode(plain) == 0o666 & ~umask


def test_no_temporary_file_is_left_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    atomic_write_text(path, "x")
    atomic_write_text(path, "y")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
