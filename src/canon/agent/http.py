"""`canon mcp` over streamable HTTP at `/mcp`, inside `canon serve`, behind the same bearer tokens.

The SDK's streamable-HTTP endpoint is wrapped by `BearerGate`: a request without a consumer's
token gets the API's 401 envelope and never reaches MCP; an admitted one carries the consumer's
name in `x-canon-consumer` (any value a client sent is dropped first), which the server logs as
who made each tool call, and on `scope["state"]` for the access log. DNS-rebinding checks are
off: every request must carry a bearer token, which a rebinding page cannot present.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from canon.agent.server import CONSUMER_HEADER, create_server

PATH = "/mcp"


class BearerGate:
    def __init__(self, app: ASGIApp, authenticate: Callable[[str | None], str | None]) -> None:
        self.app = app
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != CONSUMER_HEADER.encode()]
        auth = dict(headers).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = auth.partition(" ")
        consumer = self.authenticate(token.strip() or None) if scheme.lower() == "bearer" else None
        if consumer is None:
            await _unauthorized(send, presented=bool(token))
            return
        scope = dict(scope, headers=[*headers, (CONSUMER_HEADER.encode(), consumer.encode())])
        scope.setdefault("state", {})["consumer"] = consumer
        await self.app(scope, receive, send)


async def _unauthorized(send: Send, presented: bool) -> None:
    challenge = b'Bearer realm="canon"' + (b', error="invalid_token"' if presented else b"")
    error = {
        "code": "unauthorized",
        "message": "the bearer token is not valid" if presented else "a valid bearer token is required",
        "parameter": "Authorization",
        "accepted": "Authorization: Bearer <token>",
    }
    await _refuse(send, 401, challenge, error)


async def _refuse(send: Send, status: int, challenge: bytes, error: dict[str, Any]) -> None:
    """The API's error envelope (`canon.serve.errors`), written by hand: MCP's route is plain ASGI."""
    headers = [(b"content-type", b"application/json")]
    if challenge:
        headers.append((b"www-authenticate", challenge))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": orjson.dumps({"error": {"parameter": None, **error}})})


class _Sessions:
    """The SDK's endpoint, made afresh each time the app starts (its session manager runs only once)."""

    def __init__(self, root: Path) -> None:
        self.server = create_server(root, read_only=True, logger="canon.serve.mcp")  # beside the access log
        self.app: ASGIApp | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        inner = self.server.streamable_http_app(
            streamable_http_path=PATH,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.app = next(r.endpoint for r in inner.routes if isinstance(r, Route) and r.path == PATH)
        try:
            async with self.server.session_manager.run():
                yield
        finally:
            self.app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:  # only before startup or after shutdown
            await _refuse(send, 503, b"", {"code": "unavailable", "message": "the MCP endpoint is not running"})
            return
        await self.app(scope, receive, send)


def mcp_route(
    root: Path, authenticate: Callable[[str | None], str | None]
) -> tuple[Route, Callable[[], AbstractAsyncContextManager[None]]]:
    """The `/mcp` route for an app and the context manager its lifespan must enter (the SDK's sessions)."""
    sessions = _Sessions(root)
    return Route(PATH, endpoint=BearerGate(sessions, authenticate)), sessions.running
