"""Routes of the mart sections and the metric catalog/queries (the warehouse API has its own)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from canon.compiler.periods import Grain
from canon.compiler.question import value_column
from canon.serve.context import ServeContext
from canon.serve.deps import get_ctx, require_consumer, strict_query
from canon.serve.encoding import encode_table
from canon.serve.errors import ApiError, OrjsonResponse, error_responses
from canon.serve.mart import (
    KEY_PARAMETER,
    Section,
    key_parameters,
    parse_filters,
    read_section,
    request_period,
    section_columns,
)
from canon.serve.mart_models import section_model
from canon.serve.metrics import catalog
from canon.serve.models import MartSection, MetricCatalog, MetricQueryResult

MAX_SPAN_DAYS = 20 * 366  # a metric query spans at most 20 years of periods (range metrics build a spine)
PERIOD_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?|-W(0[1-9]|[1-4]\d|5[0-3])|-Q[1-4])?$"
PERIOD_FROM = Query(
    None, description="First period (any grain: 2026-01, 2026-W05, 2026-Q1, 2026, 2026-01-15).", pattern=PERIOD_PATTERN
)
PERIOD_TO = Query(None, description="Last period, inclusive.", pattern=PERIOD_PATTERN)
GRAIN = Query(
    None, description="Rollup level: every grouping with that level is read at it; the others whole.", max_length=64
)
KEY = Query(None, description="The section's coordination key: one finest-level entity.", max_length=256)


def _sections(ctx: ServeContext) -> dict[str, Section]:
    from canon.serve.mart import resolve_sections

    return resolve_sections(ctx.project.config.serve, ctx.project.metrics)


def _serve_section(
    ctx: ServeContext,
    request: Request,
    section: Section,
    period_from: str | None,
    period_to: str | None,
    grain: str | None,
    keys: dict[str, str | None],
) -> Response:
    filters = parse_filters(section, period_from, period_to, grain, keys)
    engine = ctx.pool.get()
    columns: dict[str, list[str]] = ctx.mart_columns.get(section.name, lambda: section_columns(engine, section))  # type: ignore[assignment]
    groupings, as_of, total = read_section(engine, section, filters, columns)
    request.state.row_count = total
    return OrjsonResponse({"section": section.name, "as_of": as_of, "filters": filters.echo(), "groupings": groupings})


def add_mart_routes(app: FastAPI, ctx: ServeContext) -> None:
    """A typed route per known section (its schema from the contracts), then a catch-all 404."""
    router = APIRouter(
        prefix="/api/mart/sections",
        tags=["mart"],
        dependencies=[Depends(require_consumer), Depends(strict_query)],
        responses=error_responses(400, 401, 404, 429, 503),
    )
    sections = _sections(ctx)
    for _name, section in sorted(sections.items()):
        _add_section(router, section)

    @router.get(
        "/{section}",
        response_model=MartSection,
        operation_id="mart_section",
        summary="A mart section not listed above (answers 404 naming the sections served)",
    )
    def any_section(
        request: Request,
        section: str = PathParam(description="Section name.", max_length=128),
        period_from: str | None = PERIOD_FROM,
        period_to: str | None = PERIOD_TO,
        grain: str | None = GRAIN,
        key: str | None = KEY,
        ctx: ServeContext = Depends(get_ctx),
    ) -> Response:
        request.state.section = section
        known = _sections(ctx)
        if section not in known:
            raise ApiError(
                404, "unknown_section", f"no mart section `{section}`", parameter="section", accepted=sorted(known)
            )
        return _serve_section(ctx, request, known[section], period_from, period_to, grain, {KEY_PARAMETER: key})

    app.include_router(router)


def _key_query(section: Section) -> Callable[..., Awaitable[dict[str, str | None]]]:
    """A dependency declaring the section's key parameters (`key` and the name its contracts
    give the key, e.g. `org_market`), so OpenAPI lists them and unknown names stay a 400."""
    names = key_parameters(section)
    described = f" (`{section.key}`)" if section.key else ""

    async def keys(**values: str | None) -> dict[str, str | None]:
        return {name: values[f"k{i}"] for i, name in enumerate(names)}

    keys.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                f"k{i}",
                inspect.Parameter.KEYWORD_ONLY,
                default=Query(None, alias=name, description=KEY.description + described, max_length=256),
                annotation=str | None,
            )
            for i, name in enumerate(names)
        ]
    )
    return keys


def _add_section(router: APIRouter, section: Section) -> None:
    model = section_model(section)

    def endpoint(
        request: Request,
        period_from: str | None = PERIOD_FROM,
        period_to: str | None = PERIOD_TO,
        grain: str | None = GRAIN,
        keys: dict[str, str | None] = Depends(_key_query(section)),
        ctx: ServeContext = Depends(get_ctx),
    ) -> Response:
        request.state.section = section.name
        return _serve_section(ctx, request, section, period_from, period_to, grain, keys)

    router.add_api_route(
        f"/{section.name}",
        endpoint,
        methods=["GET"],
        response_model=model,
        operation_id=f"mart_section_{section.name}",
        summary=f"Mart section `{section.name}`: {', '.join(g.dotted for g in section.groupings)}",
    )


def metrics_router() -> APIRouter:
    router = APIRouter(
        prefix="/api/metrics",
        tags=["metrics"],
        dependencies=[Depends(require_consumer), Depends(strict_query)],
        responses=error_responses(400, 401, 404, 429),
    )

    @router.get("", response_model=MetricCatalog, operation_id="metric_catalog", summary="Every metric contract")
    def list_metrics(request: Request, ctx: ServeContext = Depends(get_ctx)) -> Response:
        data: dict[str, Any] = ctx.metric_values.get("catalog:api", lambda: ctx.stamped(catalog(ctx.project_view())))  # type: ignore[assignment]
        request.state.row_count = len(data["metrics"])
        return OrjsonResponse(data)

    @router.get(
        "/{name}/query",
        response_model=MetricQueryResult,
        operation_id="metric_query",
        summary="Values of one metric per period, optionally broken down by dimensions",
    )
    def query_metric(
        request: Request,
        name: str = PathParam(description="Metric name.", max_length=128),
        grain: Grain = Query("month", description="Time grain of the periods."),
        by: list[str] = Query([], description="Dimension to break down by (repeatable).", max_length=8),
        period_from: str | None = Query(
            None, alias="from", description="First period, e.g. 2026-01.", pattern=PERIOD_PATTERN
        ),
        period_to: str | None = Query(None, alias="to", description="Last period, inclusive.", pattern=PERIOD_PATTERN),
        compare: Literal["prior_period", "prior_year"] | None = Query(
            None, description="Add each value's previous value, change and change in basis points."
        ),
        window: Literal["mtd", "qtd", "ytd"] | None = Query(
            None, description="To-date sums over periods (additive metrics only)."
        ),
        trailing: int | None = Query(
            None, ge=1, le=120, description="Sum over the last N periods (additive metrics only)."
        ),
        ctx: ServeContext = Depends(get_ctx),
    ) -> Response:
        request.state.metric = name
        metrics = ctx.project.metrics
        if name not in metrics:
            raise ApiError(404, "unknown_metric", f"no metric `{name}`", parameter="name", accepted=sorted(metrics))
        project = ctx.project_view()
        dims = metrics[name].spec.dimensions
        for dim in by:
            if dim not in dims:
                raise ApiError(
                    400,
                    "invalid_parameter",
                    f"metric `{name}` has no dimension `{dim}`",
                    parameter="by",
                    accepted=sorted(dims),
                )
        request_period(period_from, "from", grain)
        request_period(period_to, "to", grain)
        question = project.question(
            [name], grain, by, None, period_from, period_to, compare=compare, window=window, trailing=trailing
        )
        first, last = question.first, question.last
        if first and last and (last.start - first.start).days > MAX_SPAN_DAYS:
            raise ApiError(
                400,
                "invalid_parameter",
                f"the range {first}..{last} is longer than {MAX_SPAN_DAYS // 366} years",
                parameter="from",
                accepted="a shorter range (the compiler builds one row per period)",
            )
        table = project.query(question)
        column = value_column(metrics[name])
        if "period_start" in table.column_names:
            table = table.drop_columns(["period_start"])
        rows = encode_table(table)
        request.state.row_count = len(rows)
        return OrjsonResponse(
            {
                "metric": name,
                "grain": question.grain,
                "by": list(question.by),
                "period_from": question.first.label if question.first else None,
                "period_to": question.last.label if question.last else None,
                "value_column": column,
                "compare": compare,
                "window": window or (f"trailing {trailing}" if trailing else None),
                "row_count": len(rows),
                "rows": rows,
            }
        )

    return router
