"""Atomic file writes: write beside the target, fsync, rename. Readers never see half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode(path: Path) -> int:
    """The permission bits `path` has, or what a new file gets (0666 less the umask).

    `mkstemp` creates its file 0600; renamed over a contract a person made group-readable, it
    would silently take that away. Every atomic write gives the new file this mode instead.
    """
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """`data` into `path` atomically, keeping the file's mode (`mode` sets it, e.g. 0600 for a secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = file_mode(path) if mode is None else mode
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def write_if_changed(path: Path, text: str) -> bool:
    """Write only when the content differs; returns whether the file changed (idempotent builds)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    atomic_write_text(path, text)
    return True
