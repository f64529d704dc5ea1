"""Bearer tokens per named consumer, compared in constant time, rotated independently.

Tokens come from three places, merged by consumer name:
- `CANON_TOKENS="them_os=tok1,forecast=tok2"` (the variable is configurable);
- canon.yml `serve.consumers.<name>.token_env` naming a variable per consumer
  (`THEM_OS_API_KEY`, as the growth contract deploys it);
- a tokens file of `CONSUMER=token` lines (`#` comments), re-read whenever it changes on disk,
  so rotating one consumer is an edit of one line that never touches the others.

The file fails closed: when it disappears, cannot be read or does not parse, *every* token is
revoked (requests get 503 `tokens_unavailable`) and one loud line goes to the server log, until
the file is fixed — a broken edit never keeps an old, perhaps compromised, set serving. The file
is checked on every request (its stat) and re-read at least every `reload_seconds`, so a
revocation takes effect within that interval even when an editor keeps size and mtime.

Only SHA-256 digests of tokens are kept. A presented token is hashed and compared with
`hmac.compare_digest` against *every* configured digest — no early exit on a match, and equal
lengths by construction — so timing reveals neither which token matched nor how much of one.
Token values never reach logs or error messages; only consumer names do.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from canon.errors import ConfigError, Location, Problem

MIN_TOKEN_LENGTH = 16
RELOAD_SECONDS = 2.0

log = logging.getLogger("canon.serve")


@dataclass(frozen=True)
class _Entry:
    consumer: str
    digest: bytes
    origin: str  # where it was configured, for error messages (never the value)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def parse_pairs(text: str, origin: str, *, is_file: bool) -> list[tuple[str, str, str]]:
    """`a=tok,b=tok` (a variable) or one `a=tok` per line (a file) → (consumer, token, origin)."""
    out: list[tuple[str, str, str]] = []
    problems: list[Problem] = []
    lines = text.splitlines() if is_file else text.split(",")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, token = line.partition("=")
        name, token = name.strip(), token.strip()
        where = Location(file=origin, line=number) if is_file else Location(parameter=f"${origin} entry {number}")
        if not sep or not name or not token:
            problems.append(Problem("expected `CONSUMER=token`", where, fix="write one consumer=token entry"))
            continue
        if len(token) < MIN_TOKEN_LENGTH:
            problems.append(
                Problem(
                    f"the token of consumer `{name}` is shorter than {MIN_TOKEN_LENGTH} characters",
                    where,
                    fix="generate a strong token, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`",
                )
            )
            continue
        out.append((name, token, origin))
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in API tokens from {origin}", problems=problems)
    return out


class TokenStore:
    """The configured consumers; `authenticate(token)` returns a consumer name or None.

    `failure` says why every token is revoked (the tokens file is missing or broken), else None.
    """

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        tokens_env: str = "CANON_TOKENS",
        consumer_envs: Mapping[str, str] | None = None,
        tokens_file: Path | None = None,
        reload_seconds: float = RELOAD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._environ = dict(os.environ if env is None else env)
        self._tokens_env = tokens_env
        self._consumer_envs = dict(consumer_envs or {})
        self._file = tokens_file
        self._file_sig: tuple[int, int, int] | None = None
        self._file_digest: bytes | None = None
        self._read_at = 0.0
        self._reload_seconds = reload_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._fixed = self._from_environment()
        self._from_file: list[_Entry] = []
        self._entries: tuple[_Entry, ...] = ()
        self.failure: str | None = None
        self.reload()  # at start a missing or broken file is an error: the server does not come up

    def _from_environment(self) -> list[_Entry]:
        entries: list[_Entry] = []
        text = self._environ.get(self._tokens_env, "")
        if text.strip():
            entries += [_Entry(c, _digest(t), o) for c, t, o in parse_pairs(text, self._tokens_env, is_file=False)]
        for consumer, var in self._consumer_envs.items():
            token = self._environ.get(var)
            if not token:
                raise ConfigError(
                    f"consumer `{consumer}` reads its token from ${var}, which is not set",
                    location=Location(file="canon.yml", field=f"serve.consumers.{consumer}.token_env"),
                    fix=f"export {var}=<token> in the API's environment, or remove the consumer",
                )
            if len(token) < MIN_TOKEN_LENGTH:
                raise ConfigError(
                    f"${var} is shorter than {MIN_TOKEN_LENGTH} characters",
                    location=Location(file="canon.yml", field=f"serve.consumers.{consumer}.token_env"),
                    fix="generate a strong token",
                )
            entries.append(_Entry(consumer, _digest(token.strip()), f"${var}"))
        return entries

    def _file_signature(self) -> tuple[int, int, int] | None:
        if self._file is None:
            return None
        try:
            st = self._file.stat()
        except FileNotFoundError:
            raise ConfigError(
                "the tokens file does not exist",
                location=Location(file=str(self._file)),
                fix="create it with one CONSUMER=token line per consumer, or drop --tokens-file",
            ) from None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _read(self) -> bytes:
        assert self._file is not None
        try:
            return self._file.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"the tokens file cannot be read ({exc.strerror or type(exc).__name__})",
                location=Location(file=str(self._file)),
                fix="make it readable by the server",
            ) from None

    def reload(self) -> None:
        """Re-read the tokens file (env tokens are fixed for the process); atomic swap of the set."""
        with self._lock:
            sig = self._file_signature()
            from_file: list[_Entry] = []
            raw = b""
            if self._file is not None:
                raw = self._read()
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise ConfigError(
                        "the tokens file is not UTF-8 text", location=Location(file=str(self._file))
                    ) from None
                from_file = [_Entry(c, _digest(t), o) for c, t, o in parse_pairs(text, str(self._file), is_file=True)]
            entries = _merge(self._fixed, from_file)
            self._from_file = from_file
            self._entries = tuple(entries)
            self._file_sig = sig
            self._file_digest = hashlib.sha256(raw).digest()
            self._read_at = self._clock()
            if self.failure is not None:
                log.warning("API tokens restored from %s: %d consumer(s)", self._file, len(self.consumers))
            self.failure = None

    def _revoke(self, exc: ConfigError) -> None:
        """Fail closed: no token is valid until the file is fixed; say so once, loudly."""
        reason = exc.render().splitlines()[0]
        with self._lock:
            self._entries = ()
            self._from_file = []
            self._file_digest = None
            self._read_at = self._clock()
            if reason != self.failure:
                log.error("API TOKENS REVOKED: every request is refused until the tokens file is fixed: %s", reason)
            self.failure = reason

    def maybe_reload(self) -> None:
        """Reload when the file changed (stat, or its bytes at least every `reload_seconds`).

        A file that disappears or breaks revokes every token (`failure` says why).
        """
        if self._file is None:
            return
        try:
            sig = self._file_signature()
            due = self._clock() - self._read_at >= self._reload_seconds
            if sig == self._file_sig and self.failure is None and not due:
                return
            if sig == self._file_sig and self.failure is None:
                raw = self._read()
                self._read_at = self._clock()
                if hashlib.sha256(raw).digest() == self._file_digest:
                    return
            self.reload()
        except ConfigError as exc:
            self._revoke(exc)

    @property
    def consumers(self) -> list[str]:
        return sorted({e.consumer for e in self._entries})

    def __len__(self) -> int:
        return len(self._entries)

    def authenticate(self, token: str | None) -> str | None:
        """The consumer whose token this is, or None. Compares against every entry, always."""
        self.maybe_reload()
        presented = _digest(token or "")
        matched: str | None = None
        for entry in self._entries:
            equal = hmac.compare_digest(presented, entry.digest)
            matched = entry.consumer if equal else matched
        return matched if token else None


def _merge(fixed: list[_Entry], from_file: list[_Entry]) -> list[_Entry]:
    """One token per consumer name and one consumer per token; the file wins over env for a name."""
    by_name: dict[str, _Entry] = {e.consumer: e for e in fixed}
    by_name.update({e.consumer: e for e in from_file})
    seen: dict[bytes, _Entry] = {}
    for entry in by_name.values():
        if entry.digest in seen and seen[entry.digest].consumer != entry.consumer:
            other = seen[entry.digest]
            raise ConfigError(
                f"consumers `{other.consumer}` ({other.origin}) and `{entry.consumer}` ({entry.origin}) share a token",
                fix="mint a separate token per consumer so each can be rotated alone",
            )
        seen[entry.digest] = entry
    return list(by_name.values())
