"""One JSON error envelope for every failure the API returns, FastAPI's own included.

    {"error": {"code": "invalid_parameter", "message": "...", "parameter": "limit", "accepted": "..."}}

`parameter` names the query/path parameter at fault (or null); `accepted` says what would have
been accepted: a list of names (domains, tables, sections, metrics) or a short description.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from canon.errors import CanonError, EngineError, UserError

log = logging.getLogger("canon.serve")


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson (datetimes, numpy scalars and pre-encoded fragments included)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable error code, e.g. `invalid_parameter`, `unknown_table`.")
    message: str = Field(description="What went wrong and how to fix it, in one paragraph.")
    parameter: str | None = Field(default=None, description="The request parameter at fault, if any.")
    accepted: list[str] | str | None = Field(default=None, description="What would have been accepted.")


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """Raised anywhere in a request; becomes the error envelope with `status`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        parameter: str | None = None,
        accepted: list[str] | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        self.accepted = accepted
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "parameter": self.parameter,
                "accepted": self.accepted,
            }
        }

    def response(self) -> Response:
        return OrjsonResponse(self.body(), status_code=self.status, headers=self.headers)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting the envelope for each status."""
    words = {
        400: "Invalid parameter",
        401: "Missing or invalid bearer token",
        404: "Unknown resource",
        429: "Rate limit exceeded, or too many failed authentications from this address",
        503: "Warehouse unavailable, or the API tokens cannot be read (every token revoked)",
    }
    return {s: {"model": ErrorEnvelope, "description": words.get(s, "Error")} for s in statuses}


def bad_parameter(parameter: str, message: str, accepted: list[str] | str | None = None) -> ApiError:
    return ApiError(400, "invalid_parameter", message, parameter=parameter, accepted=accepted)


# The facade names parameters by meaning; the API spells some of them as its query parameters.
HTTP_SPELLING = {"period_from": "from", "period_to": "to", "metric": "name", "metrics": "name"}


def from_canon_error(exc: CanonError) -> ApiError:
    """A canon error from the Project facade, as the envelope (query parameter names, not flags)."""
    if isinstance(exc, UserError):
        exc = exc.spelled(HTTP_SPELLING)
        param = exc.location.parameter
        message = exc.message + (f" Fix: {exc.fix}" if exc.fix else "")
        if exc.problems:
            message += " " + "; ".join(p.render() for p in exc.problems)
        return ApiError(
            400,
            "invalid_parameter" if param else "invalid_request",
            message,
            parameter=param,
        )
    if isinstance(exc, EngineError):
        return ApiError(503, "warehouse_unavailable", "the warehouse could not answer; retry later")
    return ApiError(500, "internal_error", "internal error")


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ())]
    parameter = loc[-1] if loc else None
    where = loc[0] if loc else "request"
    message = f"{where} parameter `{parameter}`: {first.get('msg', 'invalid value')}"
    accepted: str | None = None
    ctx = first.get("ctx") or {}
    bounds = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    if "expected" in ctx:
        accepted = str(ctx["expected"])
    elif any(k in ctx for k in bounds):
        accepted = " and ".join(f"{op} {ctx[k]}" for k, op in bounds.items() if k in ctx)
    elif "max_length" in ctx:
        accepted = f"at most {ctx['max_length']} characters"
    elif first.get("type", "").startswith("int"):
        accepted = "an integer"
    return ApiError(400, "invalid_parameter", message, parameter=parameter, accepted=accepted).response()


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return ApiError(404, "not_found", f"no route for {request.url.path}", accepted="see /openapi.json").response()
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allow = headers.get("Allow") or "GET"  # Starlette's router names the methods the route has
        headers["Allow"] = allow
        return ApiError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed here; allowed: {allow}",
            accepted=allow,
            headers=headers,
        ).response()
    return ApiError(exc.status_code, "http_error", str(exc.detail), headers=headers).response()


def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


def _canon_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CanonError)
    err = from_canon_error(exc)
    if err.status >= 500:
        log.error("request %s failed: %s", request.url.path, exc.render())
    return err.response()


def _unexpected(request: Request, exc: Exception) -> Response:
    """A bug: logged with its traceback, answered with the envelope (never a traceback)."""
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return ApiError(500, "internal_error", "internal error; the server log has the details").response()


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(CanonError, _canon_error)
    app.add_exception_handler(Exception, _unexpected)
