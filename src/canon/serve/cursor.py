"""Opaque pagination cursors: the last row's keyset values, versioned and signed.

A cursor is base64url(JSON) + "." + base64url(HMAC-SHA256 tag). The JSON carries a format
version, the table it belongs to and the last key values (typed, so a timestamp key comes
back as a timestamp). The tag makes tampering detectable: any edit — a changed key, a cursor
from another table, a truncated string — is a 400, never a silently wrong page. Consumers
must treat cursors as opaque; the format may change with `CURSOR_VERSION`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

CURSOR_VERSION = 1
_TAG_BYTES = 16


class CursorError(ValueError):
    """The cursor is not one this server issued for this table."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _pack(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} key in a cursor")


def _unpack(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, text),) = value.items()
        if kind == "dt":
            return datetime.fromisoformat(text)
        if kind == "d":
            return date.fromisoformat(text)
        if kind == "dec":
            return Decimal(text)
    if isinstance(value, dict | list):
        raise CursorError("malformed key")
    return value


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the cursor secret must be at least 16 bytes")
        self._secret = secret

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_TAG_BYTES]

    def encode(self, table: str, key: tuple[Any, ...], version: int = 1) -> str:
        payload = orjson.dumps({"c": CURSOR_VERSION, "api": version, "t": table, "k": [_pack(v) for v in key]})
        return f"{_b64(payload)}.{_b64(self._tag(payload))}"

    def decode(self, cursor: str, table: str, width: int, version: int = 1) -> tuple[Any, ...]:
        """The key values of a cursor issued for `table`; CursorError for anything else."""
        body, sep, tag = cursor.partition(".")
        if not sep or not body or not tag or len(cursor) > 4096:
            raise CursorError("not a cursor issued by this API")
        try:
            payload = _unb64(body)
            given = _unb64(tag)
        except (binascii.Error, ValueError):
            raise CursorError("not a cursor issued by this API") from None
        if not hmac.compare_digest(given, self._tag(payload)):
            raise CursorError("the cursor was altered or was issued by another server")
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise CursorError("not a cursor issued by this API") from None
        if not isinstance(data, dict) or data.get("c") != CURSOR_VERSION:
            raise CursorError("cursor format version not supported; restart the walk without a cursor")
        if data.get("t") != table or data.get("api") != version:
            raise CursorError(f"the cursor belongs to another table or API version, not `{table}`")
        keys = data.get("k")
        if not isinstance(keys, list) or len(keys) != width:
            raise CursorError("malformed key")
        try:
            return tuple(_unpack(v) for v in keys)
        except ValueError:
            raise CursorError("malformed key") from None
