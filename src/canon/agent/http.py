"""`canon mcp` over streamable HTTP at `/mcp`, inside `canon serve`, behind the same bearer tokens.

The SDK's streamable-HTTP endpoint is wrapped by `BearerGate`: a request without a consumer's
token gets the API's 401 envelope and never reaches MCP; an admitted one carries the consumer's
name in `x-canon-consumer` (any value a client sent is dropped first), which the server logs as
who made each tool call, and on `scope["state"]` for the access log. DNS-rebinding checks are
off: every request must carry a bearer token, which a rebinding page cannot present.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
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
    body = orjson.dumps(
        {
            "error": {
                "code": "unauthorized",
                "message": "the bearer token is not valid" if presented else "a valid bearer token is required",
                "parameter": "Authorization",
                "accepted": "Authorization: Bearer <token>",
            }
        }
    )
    challenge = b'Bearer realm="canon"' + (b', error="invalid_token"' if presented else b"")
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", challenge)],
        }
    )
    await send({"type": "http.response.body", "body": body})


def mcp_route(root: Path, authenticate: Callable[[str | None], str | None]) -> tuple[Route, Any]:
    """The `/mcp` route for an app and the context manager its lifespan must enter (the SDK's sessions)."""
    server = create_server(root, read_only=True, logger="canon.serve.mcp")  # logged beside the access log
    inner = server.streamable_http_app(
        streamable_http_path=PATH,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    endpoint = next(r.endpoint for r in inner.routes if isinstance(r, Route) and r.path == PATH)
    running: Callable[[], AbstractAsyncContextManager[None]] = server.session_manager.run
    return Route(PATH, endpoint=BearerGate(endpoint, authenticate)), running
