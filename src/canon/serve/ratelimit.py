"""Per-token rate limits: a token bucket per consumer, refilled continuously.

A bucket holds up to `burst` requests and refills at `rate` per second; a request takes one.
When the bucket is empty the caller learns how many seconds until one request is available,
which becomes the `Retry-After` header of the 429. Buckets live in this process (with several
uvicorn workers each worker limits on its own: the effective limit is workers × rate).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, key: str) -> float:
        """Take one request for `key`: 0.0 when allowed, else seconds until the next is allowed."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    @staticmethod
    def retry_after_header(wait: float) -> str:
        """Whole seconds, rounded up, never 0 (a client retrying at once would be refused again)."""
        return str(max(1, math.ceil(wait)))


class FailureThrottle:
    """Failed authentications per client address: `burst` failures, then one per `1 / rate` s.

    Only failures take from the bucket, so a client with a good token is never slowed; an
    address guessing tokens is answered 429 with `Retry-After` — before its token is even
    compared — until its bucket refills.
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _refill(self, key: str, now: float) -> _Bucket | None:
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= self.burst:  # forgiven: forget the address (bounded memory)
                del self._buckets[key]
                return None
        return bucket

    def wait(self, key: str) -> float:
        """0.0 when `key` may try to authenticate, else seconds until it may."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            bucket = self._refill(key, self._clock())
            if bucket is None or bucket.tokens >= 1.0:
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def failed(self, key: str) -> None:
        """Record one failed authentication from `key`."""
        if self.rate <= 0:
            return
        now = self._clock()
        with self._lock:
            bucket = self._refill(key, now) or self._buckets.setdefault(key, _Bucket(float(self.burst), now))
            bucket.tokens = max(0.0, bucket.tokens - 1.0)
