"""The catalog web pages: every metric with its description, owner, status, sign-off, value and
trend, searchable and filterable; a page per metric with its definition in words and as SQL,
dimensions, lineage (sources → canonical model → exposures) and the latest audit's waterfalls.

Rendered on the server from Jinja2 templates (`serve/templates/`, autoescaped) with charts as
inline SVG; the only script is a small live filter served from the package (`/static/`), so
the pages work offline and without JavaScript. Every page has a `.json` twin (`/index.json`,
`/metrics/<name>.json`) built from the same data. The pages take the same token as the API —
a bearer header, or a cookie set by the login form.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from canon import __version__
from canon.serve import svg
from canon.serve.catalog_detail import metric_detail, number, plural
from canon.serve.context import ServeContext
from canon.serve.deps import COOKIE, authenticate, bearer, get_ctx, presented_token
from canon.serve.errors import ApiError, OrjsonResponse
from canon.serve.metrics import catalog
from canon.serve.signing import pending_requests

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
)
STATIC = {"catalog.css": "text/css", "catalog.js": "application/javascript"}

__all__ = ["CSP", "number", "page_router", "render_page"]


@lru_cache(maxsize=1)
def _templates() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("canon.serve", "templates"),
        autoescape=select_autoescape(["j2", "html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_page(
    request: Request, template: str, title: str, consumer: str | None, http_status: int = 200, **context: Any
) -> HTMLResponse:
    ctx: ServeContext | None = getattr(request.app.state, "ctx", None)
    name = ctx.project.config.name if ctx else "canon"
    context.setdefault("json_twin", None)
    html = (
        _templates()
        .get_template(template)
        .render(title=title, consumer=consumer, project_name=name, version=__version__, **context)
    )
    return HTMLResponse(
        html, status_code=http_status, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
    )


def login_page(request: Request, message: str | None = None, status: int = 401) -> HTMLResponse:
    resp = render_page(request, "login.html.j2", "Sign in · canon", consumer=None, http_status=status, message=message)
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="canon"'
    return resp


def _catalog(ctx: ServeContext) -> dict[str, Any]:
    """The catalog, stamped with when its values were computed (`as_of`) and how long they are reused."""
    return ctx.metric_values.get("catalog", lambda: ctx.stamped(catalog(ctx.project_view())))  # type: ignore[return-value]


def _detail(ctx: ServeContext, name: str) -> dict[str, Any]:
    """The metric page's data (cached as the catalog is: the trend and SQL cost queries)."""

    def make() -> dict[str, Any]:
        summary = next(m for m in _catalog(ctx)["metrics"] if m["name"] == name)
        project = ctx.project_view()
        return metric_detail(project, project.metrics[name], summary)

    return ctx.metric_values.get(("detail", name), make)  # type: ignore[return-value]


def _signoff_text(m: dict[str, Any]) -> str:
    so = m.get("signoff")
    if not so:
        return "not signed off"
    changed = " (definition changed since)" if not so["valid"] else ""
    return f"signed by {so['by']} ({so['role']}) on {so['at'][:10]}{changed}"


def _trend_chart(detail: dict[str, Any]) -> svg.Trend | None:
    from canon.serve.metrics import format_value

    trend = detail.get("trend") or {}
    points = [
        svg.Point(p["period"], p["value"])
        for p in trend.get("points") or []
        if isinstance(p["value"], int) or p["value"] is None
    ]
    kind = trend.get("kind", "count")
    return svg.trend(points, lambda v: format_value(kind, v) or "—")


def _matches(m: dict[str, Any], q: str, status: str, owner: str) -> bool:
    words = q.lower().split()
    text = m["search"]
    return (
        all(w in text for w in words) and (not status or m["status"] == status) and (not owner or m["owner"] == owner)
    )


def index_data(ctx: ServeContext) -> dict[str, Any]:
    """The catalog page's data and its `.json` twin: every metric's summary with its trend."""
    data = _catalog(ctx)
    metrics = []
    for m in data["metrics"]:
        detail = _detail(ctx, m["name"])
        metrics.append({**m, "trend": detail["trend"]})
    return {
        "current_period": data["current_period"],
        "as_of": data["as_of"],
        "max_age_seconds": data["max_age_seconds"],
        "count": len(metrics),
        "metrics": metrics,
    }


def render_index(request: Request, ctx: ServeContext, consumer: str, q: str, status: str, owner: str) -> HTMLResponse:
    data = index_data(ctx)
    cards = []
    for m in data["metrics"]:
        search = " ".join(
            [m["name"], m["label"], m["description"], m["owner"], m["status"], m["definition"], *m["dimensions"]]
        ).lower()
        card = {**m, "search": search, "signoff_text": _signoff_text(m)}
        card["shown"] = _matches(card, q, status, owner)
        card["trend_chart"] = _trend_chart(m)
        card["trend_len"] = len(m["trend"].get("points") or [])
        cards.append(card)
    shown = sum(1 for c in cards if c["shown"])
    return render_page(
        request,
        "index.html.j2",
        f"{ctx.project.config.name} · metric catalog",
        consumer,
        json_twin="/index.json",
        metrics=cards,
        count_text=plural(len(cards), "metric"),
        shown_text=f"Showing {plural(shown, 'metric')}",
        shown_count=shown,
        current_period=data["current_period"],
        as_of=data["as_of"],
        max_age_seconds=data["max_age_seconds"],
        q=q,
        status=status,
        owner=owner,
        statuses=sorted({c["status"] for c in cards}),
        owners=sorted({c["owner"] for c in cards}),
    )


def _waterfalls(detail: dict[str, Any]) -> list[dict[str, Any]]:
    audit = detail.get("audit")
    if not audit or not isinstance(audit.get("canonical_cents"), int):
        return []
    out = []
    for d in audit["definitions"]:
        steps = list(d["steps"])
        if not steps or d["canonical"]:
            continue
        if d["unattributed_cents"]:
            steps.append(
                {
                    "label": "not attributed to one decision",
                    "cents": d["unattributed_cents"],
                    "formatted": d["unattributed_formatted"],
                }
            )
        bars = [svg.Step(s["label"], s["cents"]) for s in steps]
        if d.get("from_canonical"):  # the audit's bridges run canonical → definition (definition − canonical)
            chart = svg.waterfall("canonical", audit["canonical_cents"], bars, str(d["model"]))
            title, start, start_text, end_text = (
                f"canonical → {d['model']} (definition − canonical)",
                "canonical",
                audit["canonical_formatted"],
                d["formatted"],
            )
        else:
            chart = svg.waterfall(str(d["model"]), d["value_cents"], bars, "canonical")
            title, start, start_text, end_text = (
                f"{d['model']} → canonical",
                d["model"],
                d["formatted"],
                audit["canonical_formatted"],
            )
        out.append(
            {
                "title": title,
                "chart": chart,
                "steps": steps,
                "start_label": start,
                "start_text": start_text,
                "end_text": end_text,
            }
        )
    return out


def _authenticated(request: Request, ctx: ServeContext, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The consumer a request speaks for, None when it presented no token (the login page)."""
    token = presented_token(request, credentials)
    if not token:
        return None
    return authenticate(request, ctx, token)


def page_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def index(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
        ctx: ServeContext = Depends(get_ctx),
    ) -> Response:
        try:
            consumer = _authenticated(request, ctx, credentials)
        except ApiError as exc:
            if exc.status == 401:
                return login_page(request, "That token is not valid.")
            raise
        if consumer is None:
            return login_page(request)
        params = request.query_params
        q, status, owner = (params.get(k, "")[:200] for k in ("q", "status", "owner"))
        return render_index(request, ctx, consumer, q, status, owner)

    @router.get("/index.json")
    def index_json(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
        ctx: ServeContext = Depends(get_ctx),
    ) -> Response:
        authenticate(request, ctx, presented_token(request, credentials))  # the API's 401 when absent
        return OrjsonResponse(index_data(ctx))

    @router.get("/metrics/{name}")
    def metric_page(
        request: Request,
        name: str = PathParam(max_length=140),
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
        ctx: ServeContext = Depends(get_ctx),
    ) -> Response:
        as_json = name.endswith(".json")
        metric = name[: -len(".json")] if as_json else name
        if as_json:
            consumer: str | None = authenticate(request, ctx, presented_token(request, credentials))
        else:
            try:
                consumer = _authenticated(request, ctx, credentials)
            except ApiError as exc:
                if exc.status == 401:
                    return login_page(request, "That token is not valid.")
                raise
            if consumer is None:
                return login_page(request)
        metrics = ctx.project.metrics
        if metric not in metrics:
            raise ApiError(404, "unknown_metric", f"no metric `{metric}`", parameter="name", accepted=sorted(metrics))
        key = metrics[metric].name
        detail = _detail(ctx, key)
        if as_json:
            return OrjsonResponse(detail)
        return render_page(
            request,
            "metric.html.j2",
            f"{detail['label']} · {ctx.project.config.name} metric catalog",
            consumer,
            json_twin=f"/metrics/{key}.json",
            m=detail,
            trend_chart_data=_trend_chart(detail),
            trend_len=len(detail["trend"].get("points") or []),
            waterfalls=_waterfalls(detail),
            pending=pending_requests(ctx, key),  # an agent's sign-off requests, signed here (serve/signing.py)
        )

    @router.post("/login")
    async def login(request: Request, ctx: ServeContext = Depends(get_ctx)) -> Response:
        from urllib.parse import parse_qs

        body = (await request.body())[:8192].decode("utf-8", "replace")
        token = (parse_qs(body).get("token") or [""])[0].strip()
        try:
            authenticate(request, ctx, token)
        except ApiError as exc:
            if exc.status == 401:
                return login_page(request, "That token is not valid.")
            raise
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(
            COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", max_age=8 * 3600
        )
        return resp

    @router.post("/logout")
    def logout() -> Response:
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @router.get("/static/{name}")
    def static(name: str = PathParam(max_length=64)) -> Response:
        if name not in STATIC:
            raise ApiError(404, "not_found", f"no static file `{name}`", parameter="name", accepted=sorted(STATIC))
        path = Path(str(resources.files("canon.serve") / "static" / name))
        return FileResponse(path, media_type=STATIC[name], headers={"Cache-Control": "public, max-age=3600"})

    return router
