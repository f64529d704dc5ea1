"""Request dependencies: the app's context, and the authenticated, rate-limited consumer.

Authentication accepts `Authorization: Bearer <token>` or the catalog page's cookie carrying
the same token. A missing or unknown token is a 401 with `WWW-Authenticate: Bearer`; a
consumer over its rate is a 429 with `Retry-After`. The consumer's *name* (never its token)
goes on `request.state` for the access log.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from canon.serve.context import ServeContext
from canon.serve.errors import ApiError
from canon.serve.ratelimit import RateLimiter

COOKIE = "canon_token"

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A consumer's API token: `Authorization: Bearer <token>`.",
)


# Dependencies are `async def` although they never await: FastAPI runs a plain `def`
# dependency on the thread pool, a thread hop per dependency per request; these are a few
# microseconds of CPU (a hash, a dict lookup) and block nothing.


async def get_ctx(request: Request) -> ServeContext:
    ctx: ServeContext = request.app.state.ctx
    return ctx


def presented_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is not None and credentials.credentials:
        return credentials.credentials
    return request.cookies.get(COOKIE) or None


def client_address(request: Request) -> str:
    """The peer's address as the server sees it (forwarding headers are the client's to forge)."""
    return request.client.host if request.client is not None else "unknown"


def authenticate(request: Request, ctx: ServeContext, token: str | None) -> str:
    address = client_address(request)
    if token:
        wait = ctx.auth_failures.wait(address)
        if wait > 0:
            retry = RateLimiter.retry_after_header(wait)
            raise ApiError(
                429,
                "too_many_failed_authentications",
                f"too many invalid tokens from this address; retry after {retry} s",
                parameter="Authorization",
                headers={"Retry-After": retry},
            )
    consumer = ctx.tokens.authenticate(token)
    if ctx.tokens.failure is not None:
        raise ApiError(
            503,
            "tokens_unavailable",
            "the server's API tokens cannot be read, so every token is revoked until an operator fixes them",
            headers={"Retry-After": "30"},
        )
    if consumer is None:
        if token:
            ctx.auth_failures.failed(address)
        challenge = 'Bearer realm="canon"' + (', error="invalid_token"' if token else "")
        raise ApiError(
            401,
            "unauthorized",
            "a valid bearer token is required" if not token else "the bearer token is not valid",
            parameter="Authorization",
            accepted="Authorization: Bearer <token>",
            headers={"WWW-Authenticate": challenge},
        )
    request.state.consumer = consumer
    wait = ctx.limiter.acquire(consumer)
    if wait > 0:
        retry = RateLimiter.retry_after_header(wait)
        raise ApiError(
            429,
            "rate_limited",
            f"consumer `{consumer}` is over its rate limit of {ctx.limiter.rate:g} requests/second "
            f"(burst {ctx.limiter.burst}); retry after {retry} s",
            headers={"Retry-After": retry},
        )
    return consumer


def _query_fields(dependant: Any) -> list[Any]:
    """Every query parameter a route declares, its dependencies' included."""
    return [*dependant.query_params, *(f for sub in dependant.dependencies for f in _query_fields(sub))]


def _query_names(dependant: Any) -> set[str]:
    return {f.alias for f in _query_fields(dependant)}


def _list_names(dependant: Any) -> set[str]:
    """Query parameters declared as lists (`?x=a&x=b` is meant); every other one takes one value."""
    return {f.alias for f in _query_fields(dependant) if _is_sequence(getattr(f.field_info, "annotation", None))}


def _is_sequence(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    return any(_is_sequence(arg) for arg in get_args(annotation)) if origin is not None else False


async def strict_query(request: Request) -> None:
    """Reject query parameters a route does not declare: a typo (`?lmit=10`) or a filter this
    version does not know must not be silently ignored and answered with unfiltered data."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    cache: dict[int, frozenset[str]] = request.app.state.query_names  # routes live as long as their app
    allowed = cache.get(id(route))
    if allowed is None:
        allowed = cache[id(route)] = frozenset(_query_names(dependant))
    lists: dict[int, frozenset[str]] = request.app.state.query_lists
    many = lists.get(id(route))
    if many is None:
        many = lists[id(route)] = frozenset(_list_names(dependant))
    for name in request.query_params:
        if name not in allowed:
            raise ApiError(
                400,
                "unknown_parameter",
                f"unknown query parameter `{name[:64]}`",
                parameter=name[:64],
                accepted=sorted(allowed),
            )
        if name == "cursor" and not request.query_params[name]:
            # an empty cursor is not "the first page": a client echoing a missing next_cursor would loop forever
            raise ApiError(
                400,
                "invalid_parameter",
                "`cursor` is empty; omit it for the first page",
                parameter="cursor",
                accepted="a next_cursor returned by this API, unchanged",
            )
        given = len(request.query_params.getlist(name))
        if given > 1 and name not in many:
            # `?org_market=a&org_market=b` would be answered for the last one only: say so instead
            raise ApiError(
                400,
                "repeated_parameter",
                f"query parameter `{name[:64]}` given {given} times; it takes one value",
                parameter=name[:64],
            )


async def require_consumer(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ctx: ServeContext = Depends(get_ctx),
) -> str:
    return authenticate(request, ctx, presented_token(request, credentials))
