"""One writer at a time for what canon rebuilds in place, across processes.

The mart is built in a fixed staging schema and then swapped in; two builds of the same
schema at once would drop each other's staged tables. PostgreSQL serializes them with a
session advisory lock named after the schema, taken without waiting so the second build
says who holds the schema instead of hanging. An embedded DuckDB file already admits a
single read-write process, and Spark is never a mart target, so they need nothing more.
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
def exclusive(engine: Engine, name: str, what: str) -> Iterator[None]:
    """Hold `name` for the duration of the block, or raise BusyError at once if another session does."""
    if not engine.supports_advisory_locks:
        yield
        return
    key = lock_key(name)
    if not engine.try_advisory_lock(key):
        raise BusyError(
            f"another session is already running {what}",
            location=Location(parameter="--section"),
            fix="wait for that build to finish (it holds a PostgreSQL advisory lock), then run this one again",
        )
    try:
        yield
    finally:
        engine.advisory_unlock(key)
