"""A per-model time budget, checked cooperatively inside the audit's recursive walks.

A pathological model (hundreds of CTEs, generated columns referencing each other) must become
one row of the report, "too complex to map within 20 s at extract", never a stalled audit. The
walks that can grow with a model's shape (inlining, lineage through scopes, row conditions,
extraction) call `check()` as they go; when the running model's deadline has passed it raises
`TooComplex`, which the runner turns into that row and moves on to the next model.

Cooperative rather than threads or signals: a signal handler only runs between bytecodes of
the main thread and cannot be used from worker threads (dbt and the serve app run canon off the
main thread), and abandoning a thread would leave the shared caches (parsed models, domains,
the evaluator) half-written. A check is one `time.monotonic()` comparison, cheap enough for a
hot path; what it cannot interrupt is one warehouse query, whose time is counted against the
model when the query returns.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("canon_audit_deadline", default=None)


class TooComplex(Exception):
    """The running model's budget ran out inside a walk (caught by the runner, never by a user)."""


def check() -> None:
    """Raise `TooComplex` when the running model's deadline has passed (no budget: no-op)."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise TooComplex


@contextmanager
def budget(seconds: float | None) -> Iterator[None]:
    """Give the code inside `seconds` of work before `check()` raises (None: unlimited)."""
    token = _DEADLINE.set(None if seconds is None else time.monotonic() + max(seconds, 0.0))
    try:
        yield
    finally:
        _DEADLINE.reset(token)
