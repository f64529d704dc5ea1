"""A DuckDB warehouse file is replaced, never rewritten in place: write beside, then swap.

A writer (`canon load`, `canon mart build`) works on `<file>.canon-next`, a copy of the live
file, and publishes it with one `rename()` when it has committed. That gives three things an
in-place write cannot:

- **readers are never locked out**: the live file is only ever opened read-only by the
  writer (a shared lock, so `canon serve` and `canon query` keep reading it); a server
  notices the new file's identity and reopens (`serve/engines.py`);
- **a killed writer leaves the live file byte-for-byte as it was**: its work is in the
  beside-file, which the next writer deletes. An in-place load killed after writing its new
  tables left their blocks in the file (DuckDB never shrinks a file), so repeated kills
  made it many times larger;
- **one writer at a time**: the writer holds an exclusive `flock` on `<file>.canon-lock`
  for its whole run, taken without waiting (a second writer is refused at once, naming
  the file); the kernel drops it when the process dies, even by `kill -9`. While writing,
  the live file stays open read-only, so no other program can open it for writing and have
  its changes lost at the swap.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlglot import exp

from canon.engines.duckdb import DuckDBEngine
from canon.engines.render import render
from canon.errors import BusyError, EngineError, Location

NEXT_SUFFIX = ".canon-next"
LOCK_SUFFIX = ".canon-lock"


def beside(live: Path, suffix: str) -> Path:
    return live.with_name(live.name + suffix)


@dataclass
class NextVersion:
    """The beside-file being written; `publish` says whether to swap it in when the block ends."""

    path: Path
    live: Path
    publish: bool = True


def _remove(path: Path) -> None:
    for p in (path, beside(path, ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _settle_wal(live: Path) -> None:
    """A WAL left by a writer that died: merge it into the file before copying (needs a writable open)."""
    import duckdb

    if not beside(live, ".wal").exists():
        return
    try:
        con = duckdb.connect(str(live))
    except duckdb.Error as exc:
        raise BusyError(
            f"{live} has an unfinished write-ahead log and another process has the file open: {exc}",
            location=Location(file=str(live)),
            fix="stop the processes reading it (e.g. `canon serve`) once so the log can be merged, then run this again",
        ) from None
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


@contextlib.contextmanager
def write_beside(live: Path, what: str) -> Iterator[NextVersion]:
    """Lock, copy `live` to its beside-file, yield it; on a clean exit with `publish`, swap it in.

    The caller opens, writes and CLOSES its connection to `NextVersion.path` inside the block
    (closing checkpoints it). On an exception the beside-file is deleted and `live` is untouched.
    """
    import duckdb

    live = live.resolve() if live.exists() else live
    live.parent.mkdir(parents=True, exist_ok=True)
    lock_path = beside(live, LOCK_SUFFIX)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(
                f"another process is already running {what} on {live.name}",
                location=Location(file=str(live)),
                fix="wait for it to finish (its lock on the file ends with it, however it ends), then run this again",
            ) from None
        nxt = NextVersion(beside(live, NEXT_SUFFIX), live)
        _remove(nxt.path)  # a killed writer's leftover
        guard = None
        if live.exists():
            _settle_wal(live)
            try:
                guard = duckdb.connect(str(live), read_only=True)  # no one may open it for writing meanwhile
            except duckdb.Error as exc:
                raise BusyError(
                    f"another process has {live.name} open for writing: {exc}",
                    location=Location(file=str(live)),
                    fix="stop that process (a dbt run, a Python session), then run this again",
                ) from None
            shutil.copyfile(live, nxt.path)
        try:
            yield nxt
            if nxt.publish:
                if beside(nxt.path, ".wal").exists():
                    con = duckdb.connect(str(nxt.path))
                    con.execute("CHECKPOINT")
                    con.close()
                with open(nxt.path, "rb") as fh:
                    os.fsync(fh.fileno())
        except BaseException:
            _remove(nxt.path)
            raise
        finally:
            if guard is not None:
                guard.close()
        if nxt.publish:
            try:
                os.replace(nxt.path, live)
            except OSError as exc:
                _remove(nxt.path)
                raise EngineError(f"cannot publish the new version of {live}: {exc}") from None
            _fsync_dir(live.parent)
        else:
            _remove(nxt.path)
    finally:
        os.close(fd)  # closing the descriptor drops the flock


def identity(path: Path) -> tuple[int, int, int] | None:
    """What tells one version of a file from the next: device, inode, modification time."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


SERVED_ALIAS = "canon_served"


def _attach(path: Path, alias: str) -> exp.Attach:
    return exp.Attach(
        this=exp.Alias(this=exp.Literal.string(str(path)), alias=exp.to_identifier(alias, quoted=True)),
        exists=False,
        expressions=[exp.AttachOption(this=exp.var("READ_ONLY"))],
    )


def _use(alias: str) -> exp.Use:
    return exp.Use(this=exp.Table(this=exp.to_identifier(alias, quoted=True)))


class VersionEngine(DuckDBEngine):
    """A read-only engine on one version of a DuckDB file, attached to a private in-memory database.

    `duckdb.connect(path)` hands every connection of a process the one database it already
    opened for that path — the previous version, after a swap. Attaching the file to a fresh
    in-memory database opens whatever the path names now. Thread handles are cursors that
    `USE` the attached file, as the default database of a cursor is the in-memory one.
    """

    def __init__(self, path: Path, threads: int | None = None, connection: Any = None) -> None:
        import duckdb

        try:
            super().__init__(path, connection=connection or duckdb.connect(":memory:"), threads=threads)
            if connection is None:
                self.conn.execute(render(_attach(path, SERVED_ALIAS), "duckdb"))
            self.conn.execute(render(_use(SERVED_ALIAS), "duckdb"))
        except duckdb.Error as exc:
            raise EngineError(f"cannot open DuckDB file {path} read-only: {exc}") from None
        self.path = str(path)

    def thread_handle(self) -> VersionEngine:
        return VersionEngine(Path(self.path), connection=self.conn.cursor())


def open_version(path: Path, threads: int | None = None) -> VersionEngine:
    """The current version of a DuckDB warehouse file, read-only (see `VersionEngine`)."""
    return VersionEngine(path, threads=threads)


def file_of(engine: object) -> Path | None:
    """The DuckDB file an engine has open (None: another engine, or an in-memory database)."""
    path = getattr(engine, "path", None) if isinstance(engine, DuckDBEngine) else None
    return Path(path) if path and path != ":memory:" else None


@contextlib.contextmanager
def new_version(live: Path, what: str) -> Iterator[DuckDBEngine]:
    """A writable engine on the next version of `live`, published when the block ends cleanly."""
    with write_beside(live, what) as nxt:
        engine = DuckDBEngine(nxt.path)
        try:
            yield engine
        finally:
            engine.close()
