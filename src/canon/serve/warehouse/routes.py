"""HTTP routes of the warehouse API, one router per API version.

v1 is served at `/api/warehouse/{domain}/manifest` and `/api/warehouse/{domain}/{table}`.
A breaking change ships as another `ApiVersion` — its own path prefix (`/v2`) and an `adapt`
function turning the resolved v1 domain into the v2 view (renamed or retyped columns, removed
tables) — and both routers are mounted side by side for the deprecation window.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from canon.serve.context import ServeContext
from canon.serve.cursor import CursorError
from canon.serve.deps import get_ctx, require_consumer, strict_query
from canon.serve.encoding import encode_rows, iso_utc
from canon.serve.errors import ApiError, OrjsonResponse, bad_parameter, error_responses
from canon.serve.models import Manifest, Page
from canon.serve.warehouse.catalog import Domain, Table
from canon.serve.warehouse.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    fetch_page,
    parse_bounds,
)


def _identity(domain: Domain) -> Domain:
    return domain


@dataclass(frozen=True)
class ApiVersion:
    number: int
    prefix: str = ""  # "" for v1, "/v2" for version 2
    adapt: Callable[[Domain], Domain] = _identity


V1 = ApiVersion(1)


def manifest_entry(table: Table) -> dict[str, Any]:
    return {
        "table": table.name,
        "description": table.description,
        "primary_key": table.served_name(table.primary_key),
        "cursor_column": table.served_name(table.cursor_column),
        "date_column": table.served_name(table.date.name) if table.date else None,
        "columns": [
            {"name": c.name, "type": c.type, "nullable": c.nullable, "description": c.description}
            for c in table.columns
        ],
    }


def now_iso() -> str:
    return iso_utc(datetime.now(UTC))


class WarehouseApi:
    """Lookups shared by the routes of one version (domain views are computed once)."""

    def __init__(self, version: ApiVersion) -> None:
        self.version = version
        self._views: weakref.WeakKeyDictionary[ServeContext, dict[str, Domain]] = weakref.WeakKeyDictionary()

    def domains(self, ctx: ServeContext) -> dict[str, Domain]:
        views = self._views.get(ctx)
        if views is None:
            views = self._views[ctx] = {name: self.version.adapt(d) for name, d in ctx.domains.items()}
        return views

    def domain(self, ctx: ServeContext, name: str, request: Request) -> Domain:
        request.state.domain = name
        domains = self.domains(ctx)
        if name not in domains:
            raise ApiError(
                404,
                "unknown_domain",
                f"no warehouse domain `{name}` is served",
                parameter="domain",
                accepted=sorted(domains),
            )
        return domains[name]

    def table(self, ctx: ServeContext, domain: str, name: str, request: Request) -> Table:
        dom = self.domain(ctx, domain, request)
        request.state.table = name
        if name not in dom.tables:
            raise ApiError(
                404,
                "unknown_table",
                f"domain `{domain}` serves no table `{name}` (in API version {self.version.number})",
                parameter="table",
                accepted=sorted(dom.tables),
            )
        return dom.tables[name]

    def manifest(self, ctx: ServeContext, domain: Domain) -> dict[str, Any]:
        def build() -> dict[str, Any]:
            return {
                "generated_at": now_iso(),
                "domain": domain.name,
                "api_version": self.version.number,
                "max_page_size": MAX_PAGE_SIZE,
                "default_page_size": DEFAULT_PAGE_SIZE,
                "tables": [manifest_entry(t) for t in domain.tables.values()],
            }

        return ctx.manifests.get((self.version.number, domain.name), build)


def _path_param(description: str, names: list[str]) -> Any:
    """A path parameter documented with the served names (other values answer 404)."""
    extra = {"examples": names[:3]} if names else None
    return PathParam(description=description, max_length=128, json_schema_extra=extra)


ISO_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
SINCE = Query(
    None,
    description="ISO 8601 date or datetime; rows with `date_column >= since` (inclusive). Naive values are UTC.",
    pattern=ISO_PATTERN,
)
UNTIL = Query(
    None, description="ISO 8601 date or datetime; rows with `date_column < until` (exclusive).", pattern=ISO_PATTERN
)
CURSOR = Query(None, description="Opaque `next_cursor` of the previous page.", max_length=4096)
LIMIT = Query(
    None,
    description=f"Page size, default {DEFAULT_PAGE_SIZE}; values above {MAX_PAGE_SIZE} are capped to {MAX_PAGE_SIZE}.",
    ge=1,
)


def warehouse_router(version: ApiVersion = V1, domains: dict[str, Domain] | None = None) -> APIRouter:
    """Routes of one API version; `domains` (the resolved whitelist) only documents examples."""
    api = WarehouseApi(version)
    views = {name: version.adapt(d) for name, d in (domains or {}).items()}
    tables = sorted({t for d in views.values() for t in d.tables})
    domain_param = _path_param("Warehouse domain (canon.yml `serve.domains`).", sorted(views))
    table_param = _path_param("A table of the domain's manifest.", tables)
    router = APIRouter(
        prefix="/api/warehouse",
        tags=[f"warehouse v{version.number}"],
        dependencies=[Depends(require_consumer), Depends(strict_query)],
        responses=error_responses(400, 401, 404, 429),
    )
    suffix = "v1" if version.number == 1 else f"v{version.number}"

    @router.get(
        "/{domain}" + version.prefix + "/manifest",
        response_model=Manifest,
        operation_id=f"warehouse_manifest_{suffix}",
        summary=f"Catalogue of a domain's tables and columns (API version {version.number})",
    )
    def manifest(request: Request, domain: str = domain_param, ctx: ServeContext = Depends(get_ctx)) -> Response:
        dom = api.domain(ctx, domain, request)
        return OrjsonResponse(api.manifest(ctx, dom))

    @router.get(
        "/{domain}" + version.prefix + "/{table}",
        response_model=Page,
        operation_id=f"warehouse_page_{suffix}",
        summary=f"One page of rows, keyset-paginated on the cursor column (API version {version.number})",
    )
    def page(
        request: Request,
        domain: str = domain_param,
        table: str = table_param,
        since: str | None = SINCE,
        until: str | None = UNTIL,
        cursor: str | None = CURSOR,
        limit: int | None = LIMIT,
        ctx: ServeContext = Depends(get_ctx),
    ) -> Response:
        tbl = api.table(ctx, domain, table, request)
        size = min(limit or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        bounds = parse_bounds(tbl, since, until)
        key = None
        if cursor:
            try:
                key = ctx.cursors.decode(cursor, f"{domain}.{table}", len(tbl.keyset), version.number)
            except CursorError as exc:
                raise bad_parameter(
                    "cursor", f"invalid cursor: {exc}", accepted="a next_cursor returned by this API, unchanged"
                ) from None
        pg = fetch_page(ctx.pool.get(), tbl, bounds, key, size)
        rows = encode_rows(pg.rows, tbl.kinds, [c.name for c in tbl.columns])
        request.state.row_count = len(rows)
        next_cursor = (
            ctx.cursors.encode(f"{domain}.{table}", pg.last_key, version.number) if pg.last_key is not None else None
        )
        return OrjsonResponse(
            {
                "table": tbl.name,
                "row_count": len(rows),
                "rows": rows,
                "next_cursor": next_cursor,
                "has_more": pg.has_more,
                "served_at": now_iso(),
            }
        )

    return router
