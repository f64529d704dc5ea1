"""Everything one API process holds: project, connections, tokens, limits, caches.

Built once by `create_app` and kept on `app.state.ctx`; route handlers receive it through a
dependency, so two apps in one process (tests, a v1 and a v2 demo) never share state.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from canon.config.serve import RateLimitConfig, ServeConfig
from canon.fsutil import atomic_write_text
from canon.project import Project, load_project
from canon.serve.auth import TokenStore
from canon.serve.cursor import CursorCodec
from canon.serve.engines import EnginePool
from canon.serve.ratelimit import RateLimiter
from canon.serve.settings import ServeSettings
from canon.serve.warehouse.catalog import Domain, resolve_domains

T = TypeVar("T")
CURSOR_KEY_FILE = ".canon/serve/cursor.key"


@dataclass
class _Cached(Generic[T]):
    value: T
    at: float


@dataclass
class TtlCache(Generic[T]):
    """A tiny thread-safe cache: `get(key, make)` recomputes an entry older than `seconds`."""

    seconds: float
    _items: dict[object, _Cached[T]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: object, make: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now - hit.at < self.seconds:
                return hit.value
        value = make()
        with self._lock:
            self._items[key] = _Cached(value, now)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _cursor_secret(settings: ServeSettings, root: Path) -> bytes:
    """Explicit secret, else a per-project key file (stable across restarts and workers)."""
    if settings.cursor_secret:
        return settings.cursor_secret.encode("utf-8")
    path = root / CURSOR_KEY_FILE
    if not path.exists():
        try:
            atomic_write_text(path, secrets.token_urlsafe(32) + "\n")
            os.chmod(path, 0o600)
        except OSError:
            return secrets.token_bytes(32)  # read-only project: cursors valid for this process only
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


class ServeContext:
    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.project: Project = load_project(settings.project)
        self.root = self.project.root
        self.serve: ServeConfig = self.project.config.serve or ServeConfig()
        self.pool = EnginePool(
            self.root, self.project.config, read_only=settings.read_only, threads=settings.engine_threads
        )
        self.tokens = TokenStore(
            tokens_env=settings.tokens_env,
            consumer_envs={name: c.token_env for name, c in self.serve.consumers.items()},
            tokens_file=settings.tokens_file,
        )
        # people who may sign an agent's request from the catalog page (serve/signing.py): never consumers
        self.signers = TokenStore(tokens_env=settings.signer_tokens_env)
        limits: RateLimitConfig = self.serve.rate_limit
        self.limiter = RateLimiter(
            settings.rate if settings.rate is not None else limits.rate,
            settings.burst if settings.burst is not None else limits.burst,
        )
        self.cursors = CursorCodec(_cursor_secret(settings, self.root))
        self.manifests: TtlCache[dict[str, object]] = TtlCache(settings.manifest_cache_seconds)
        self.metric_values: TtlCache[object] = TtlCache(settings.metric_cache_seconds)
        self.mart_columns: TtlCache[object] = TtlCache(settings.manifest_cache_seconds)
        # A new version of the warehouse file makes every cached value stale at once.
        self.pool.on_new_version += [self.manifests.clear, self.metric_values.clear, self.mart_columns.clear]
        self._domains: dict[str, Domain] | None = None
        self._domains_lock = threading.Lock()

    @property
    def domains(self) -> dict[str, Domain]:
        """The whitelist resolved against the warehouse (once; problems raise ConfigError)."""
        if self._domains is None:
            with self._domains_lock:
                if self._domains is None:
                    self._domains = resolve_domains(self.pool.get(), self.project.config.serve, self.root)
        return self._domains

    def project_view(self) -> Project:
        """A Project on this thread's connection sharing the parsed contracts (thread-safe reads)."""
        view = Project(self.root, self.project.config, self.pool.get())
        view.__dict__["metrics"] = self.project.metrics
        return view

    def stamped(self, data: dict[str, object]) -> dict[str, object]:
        """A catalog with when its values were computed and how long they may be reused."""
        from datetime import UTC, datetime

        as_of = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        metrics = data.get("metrics")
        for entry in metrics if isinstance(metrics, list) else []:
            if isinstance(entry, dict) and entry.get("current_value") is not None:
                entry["current_value_as_of"] = as_of
        return {**data, "as_of": as_of, "max_age_seconds": self.settings.metric_cache_seconds}

    def close(self) -> None:
        self.pool.close()
