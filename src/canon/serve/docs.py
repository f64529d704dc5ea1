"""`/docs`: the API reference, rendered on the server from the app's own OpenAPI schema.

FastAPI's Swagger UI loads its script and styles from a CDN, so it is blank offline and behind
a strict proxy; this page is one server-rendered HTML document (the catalog's stylesheet, no
script) listing every operation, its parameters and responses, and every schema. It is public,
as `/openapi.json` is: it says what the API accepts, never what it holds.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from canon.serve.catalog_detail import plural

METHODS = ("get", "post", "put", "patch", "delete")


def type_text(schema: dict[str, Any] | None) -> str:
    """An OpenAPI schema in a few words: `string`, `array of MetricSummary`, `integer or null`."""
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(dict.fromkeys(type_text(s) for s in schema[key]))
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_text(schema.get('items'))}"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    fmt = f" ({schema['format']})" if schema.get("format") else ""
    return f"{kind or 'any'}{fmt}"


def _response_schema(response: dict[str, Any]) -> str:
    content = response.get("content") or {}
    for media in content.values():
        return type_text(media.get("schema"))
    return ""


def reference(spec: dict[str, Any]) -> dict[str, Any]:
    """The template's view of an OpenAPI document: operations grouped by tag, then schemas."""
    info = spec.get("info") or {}
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for path, item in sorted((spec.get("paths") or {}).items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                {
                    "name": p.get("name"),
                    "where": p.get("in"),
                    "type": type_text(p.get("schema")),
                    "required": bool(p.get("required")),
                    "description": p.get("description") or (p.get("schema") or {}).get("description") or "",
                }
                for p in op.get("parameters") or []
            ]
            responses = [
                {"status": status, "description": r.get("description", ""), "schema": _response_schema(r)}
                for status, r in sorted((op.get("responses") or {}).items())
            ]
            tag = (op.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append(
                {
                    "id": op.get("operationId") or f"{method}-{path}",
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or "",
                    "description": op.get("description") or "",
                    "parameters": params,
                    "responses": responses,
                }
            )
    schemas = []
    for name, schema in sorted(((spec.get("components") or {}).get("schemas") or {}).items()):
        required = set(schema.get("required") or [])
        schemas.append(
            {
                "name": name,
                "description": schema.get("description") or "",
                "fields": [
                    {
                        "name": field,
                        "type": type_text(s),
                        "required": field in required,
                        "description": s.get("description") or "",
                    }
                    for field, s in (schema.get("properties") or {}).items()
                ],
            }
        )
    tags = [
        {"name": t, "operations": ops, "count_text": plural(len(ops), "operation")} for t, ops in sorted(by_tag.items())
    ]
    return {
        "api": {
            "title": info.get("title", ""),
            "version": info.get("version", ""),
            "description": info.get("description", ""),
            "openapi": spec.get("openapi", ""),
        },
        "tags": tags,
        "schemas": schemas,
    }


def docs_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    def docs(request: Request) -> Response:
        from canon.serve.page import render_page

        spec = request.app.openapi()
        view = reference(spec)
        return render_page(request, "docs.html.j2", f"API reference · {view['api']['title']}", consumer=None, **view)

    @router.get("/docs.json")
    def docs_json(request: Request) -> Response:
        from canon.serve.errors import OrjsonResponse

        return OrjsonResponse(request.app.openapi())

    return router
