"""`create_app(settings)`: the FastAPI application serving one canon project.

    /healthz                                      unauthenticated liveness
    /api/warehouse/{domain}/manifest              warehouse API v1 (growth contract)
    /api/warehouse/{domain}/{table}               …and `/api/warehouse/{domain}/v2/...` for each extra version
    /api/mart/sections/{section}                  materialized mart groupings
    /api/metrics, /api/metrics/{name}/query       the metric catalog and the compiler
    /, /metrics/{name}                            the catalog web pages (token via header or cookie),
    /index.json, /metrics/{name}.json             …and their JSON twins
    /docs, /openapi.json                          the API reference (offline, server-rendered) and its schema
    /mcp                                          `canon mcp` over streamable HTTP, with `--mcp` (agent/http.py)
    /signoff                                      a person signs an agent's sign-off request (signer token)

Startup resolves the warehouse whitelist against the catalog, so a misconfigured canon.yml
fails `canon serve` at once with every problem located, not on a consumer's first request.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from canon import __version__
from canon.serve import errors
from canon.serve.access_log import AccessLog
from canon.serve.context import ServeContext
from canon.serve.docs import docs_router
from canon.serve.errors import OrjsonResponse
from canon.serve.models import Health
from canon.serve.page import page_router
from canon.serve.routes_api import add_mart_routes, metrics_router
from canon.serve.settings import ServeSettings
from canon.serve.signing import signing_router
from canon.serve.warehouse.routes import V1, ApiVersion, warehouse_router

log = logging.getLogger("canon.serve")


def create_app(settings: ServeSettings, versions: Sequence[ApiVersion] = (V1,)) -> FastAPI:
    """An app for `settings.project`; `versions` lists the warehouse API versions served side by side."""
    ctx = ServeContext(settings)
    try:
        _ = ctx.domains  # resolve the whitelist now: configuration problems stop startup
    except BaseException:
        ctx.close()
        raise

    running: list[Callable[[], AbstractAsyncContextManager[Any]]] = []  # the MCP endpoint's sessions

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for enter in running:
                await stack.enter_async_context(enter())
            yield
        ctx.close()

    app = FastAPI(
        title=f"canon · {ctx.project.config.name}",
        version=__version__,
        description="Metrics, the finance mart and the warehouse, served from one canon project. "
        "Every route but /healthz needs `Authorization: Bearer <token>`.",
        default_response_class=OrjsonResponse,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.query_names = {}  # route → the query parameters it declares (see deps.strict_query)
    app.state.query_lists = {}  # route → those of them that take several values
    errors.install(app)

    @app.get("/healthz", response_model=Health, tags=["health"], operation_id="healthz")
    def healthz() -> OrjsonResponse:
        return OrjsonResponse({"status": "ok", "version": __version__})

    for version in versions:
        app.include_router(warehouse_router(version, ctx.domains))
    add_mart_routes(app, ctx)
    app.include_router(metrics_router())
    app.include_router(page_router())
    app.include_router(docs_router())
    app.include_router(signing_router())
    if settings.mcp:  # opt-in: the SDK is a second of imports a plain API need not pay
        running.append(_mount_mcp(app, ctx))
    app.add_middleware(AccessLog)
    _warm_up()
    return app


def _mount_mcp(app: FastAPI, ctx: ServeContext) -> Callable[[], AbstractAsyncContextManager[Any]]:
    """`canon mcp` over streamable HTTP at /mcp, admitted by the same bearer tokens as every route."""
    from canon.agent.http import mcp_route

    route, running = mcp_route(ctx.project.root, ctx.tokens.authenticate)
    app.router.routes.append(route)
    return running


def _warm_up() -> None:
    """Arrow loads its timezone and string kernels on first use (~0.5 s): pay it at startup."""
    from datetime import datetime

    import pyarrow as pa

    from canon.serve.encoding import encode_column

    encode_column(pa.array([datetime(2000, 1, 1)], pa.timestamp("ms")), "datetime")
