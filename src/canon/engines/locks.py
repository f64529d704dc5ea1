"""One writer at a time for what canon rebuilds in place, across processes.

The mart is built in a fixed staging schema and then swapped in; two builds of the same
schema at once would drop each other's staged tables. `canon load` replaces source tables
and their quarantine; two loads at once would each judge the tables against the other's
half-done work. PostgreSQL serializes both with a session advisory lock named after what
is written (`mart:<schema>`, `load`), taken without waiting so the second writer is told at
once instead of hanging. An embedded DuckDB file already admits a single read-write
process, and Spark is never a load or mart target, so they need nothing more.

A session lock lives exactly as long as the server process of its connection. A client
killed with `kill -9` closes its socket; the server notices on its next read and ends the
backend, releasing the lock, so the next writer is never blocked by a dead one
(`tests/load/test_faults.py` kills a loader and a mart build mid-write and measures it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from canon.engines.base import Engine
from canon.errors import BusyError, Location


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(f"canon:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(engine: Engine, name: str, what: str, parameter: str = "section") -> Iterator[None]:
    """Hold `name` for the duration of the block, or raise BusyError at once if another session does."""
    if not engine.supports_advisory_locks:
        yield
        return
    key = lock_key(name)
    if not engine.try_advisory_lock(key):
        raise BusyError(
            f"another session is already running {what}",
            location=Location(parameter=parameter),
            fix="wait for it to finish (it holds a PostgreSQL advisory lock, released when its session ends), "
            "then run this one again",
        )
    try:
        yield
    finally:
        engine.advisory_unlock(key)
