"""Rendered SQL kept per question, so `canon query --sql` answers without compiling.

The SQL text of a question is a function of the project's files (canon.yml, the contracts),
the question, the dialect and canon itself; no warehouse is read. A key hashes all of them:
canon.yml and the contracts by content, every other `.yml` in the project and every module of
canon by size and modification time (as make does). Any change is a new key, so a stale
entry is never served; entries are written beside and renamed into place, and a folder that
cannot be written simply goes without the cache.

This module imports nothing heavy: a hit must cost less than the import of the compiler.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

CACHE_DIR = Path(".canon") / "cache" / "sql"
_SKIP_DIRS = {".canon", ".git", "target", "dbt_packages", "node_modules", "logs", ".venv", "__pycache__"}
_PACKAGE = Path(__file__).resolve().parents[1]


def _files(folder: Path, suffix: str, skip: set[str]) -> Iterator[os.DirEntry[str]]:
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in skip and not entry.name.startswith("."):
                    yield from _files(Path(entry.path), suffix, skip)
            elif entry.name.endswith(suffix):
                yield entry


def _stamp(digest: hashlib._Hash, entries: Iterator[os.DirEntry[str]], base: Path) -> None:
    for entry in sorted(entries, key=lambda e: e.path):
        st = entry.stat()
        digest.update(f"{os.path.relpath(entry.path, base)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())


def question_key(root: Path, question: Mapping[str, object], dialect: str | None) -> str:
    """The cache key of a question's SQL in `root` (see the module docstring for what it covers)."""
    digest = hashlib.sha256()
    digest.update(repr(sorted((k, repr(v)) for k, v in question.items())).encode())
    digest.update(f"\0{dialect}\0".encode())
    config = root / "canon.yml"
    digest.update(config.read_bytes() if config.exists() else b"")
    _stamp(digest, _files(root, ".yml", _SKIP_DIRS), root)
    _stamp(digest, _files(_PACKAGE, ".py", {"__pycache__"}), _PACKAGE)
    return digest.hexdigest()


def cached_sql(root: Path, key: str) -> str | None:
    path = root / CACHE_DIR / f"{key}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def keep_sql(root: Path, key: str, sql: str) -> None:
    """Store `sql` under `key` (atomically); an unwritable project goes without."""
    folder = root / CACHE_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(sql, encoding="utf-8")
        os.replace(tmp, folder / f"{key}.sql")
    except OSError:
        return
