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
backend, releasing the lock, so the next writer is never blocked by a dead one. A backend
busy with a long statement notices only when it next talks to its client, so the writer's
session also sets `client_connection_check_interval`: the server then checks the socket
every second during a statement and ends it (`tests/load/test_faults.py` and
`tests/mart/test_kill.py` kill loaders and a mart build, idle and mid-statement, and time it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlglot import exp

from canon.engines.base import Engine
from canon.errors import BusyError, EngineError, Location


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(f"canon:{name}".encode()).digest()[:8], "big", signed=True)


# How often (ms) a PostgreSQL backend holding a writer's lock checks that its client is still
# there while it runs a statement (PostgreSQL 14+). Without it, a backend busy with a long
# statement for a client killed with `kill -9` would keep the lock until the statement ended.
CLIENT_CHECK_MS = 1000


def _watch_client(engine: Engine) -> None:
    """Ask the server to end this session's statements soon after its client dies (best effort)."""
    setting = exp.SetItem(
        this=exp.EQ(this=exp.column("client_connection_check_interval"), expression=exp.Literal.number(CLIENT_CHECK_MS))
    )
    with suppress(EngineError):  # older servers do not have the setting: the idle case still holds
        engine.run([exp.Set(expressions=[setting])])


@contextmanager
def exclusive(engine: Engine, name: str, what: str, parameter: str = "section") -> Iterator[None]:
    """Hold `name` for the duration of the block, or raise BusyError at once if another session does."""
    if not engine.supports_advisory_locks:
        yield
        return
    key = lock_key(name)
    _watch_client(engine)
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
