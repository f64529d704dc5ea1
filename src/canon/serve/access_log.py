"""One structured line per request: who, which route, what was served, status, how long.

    {"ts":"2026-05-12T20:00:01.234Z","event":"request","consumer":"them_os","method":"GET","route":"/api/warehouse/{domain}/{table}",
     "path":"/api/warehouse/growth/lead_intake","domain":"growth","table":"lead_intake","section":null,
     "metric":null,"row_count":1000,"status":200,"latency_ms":12.4}

A pure ASGI middleware (no per-request task overhead). Handlers put what they served on
`request.state`; the token is never on it, and the query string (which may carry cursors) is
not logged. Emitted as JSON text on the `canon.serve.access` logger.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("canon.serve.access")
FIELDS = ("consumer", "domain", "table", "section", "metric", "row_count")


class AccessLog:
    def __init__(self, app: ASGIApp, log: logging.Logger = logger) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.emit(scope, status["code"], (time.perf_counter() - start) * 1000)

    def emit(self, scope: Scope, status: int, latency_ms: float) -> None:
        if not self.log.isEnabledFor(logging.INFO):
            return
        state: dict[str, Any] = scope.get("state") or {}
        route = scope.get("route")
        record: dict[str, Any] = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "event": "request",
            "method": scope.get("method"),
            "route": getattr(route, "path", None),
            "path": scope.get("path"),
        }
        for key in FIELDS:
            record[key] = state.get(key)
        record["status"] = status
        record["latency_ms"] = round(latency_ms, 2)
        self.log.info(orjson.dumps(record).decode())
