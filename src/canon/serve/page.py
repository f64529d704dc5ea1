"""The catalog web page: every metric, its definition, owner, sign-off, value now, and the
audit's waterfall where an audit was stored (`<project>/.canon/audit/<metric>.json`).

Server-rendered HTML with every value escaped; the only script is plotly, served from the
installed plotly package under /static (no network at runtime). The page takes the same
token as the API — a bearer header, or a cookie set by the login form.
"""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from canon.audit.store import audit_path
from canon.present.money import format_cents, format_signed_cents
from canon.serve.context import ServeContext
from canon.serve.deps import COOKIE, authenticate, bearer, get_ctx, presented_token
from canon.serve.errors import ApiError
from canon.serve.metrics import catalog

CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
)


def h(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def plotly_js() -> Path:
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def load_audit(root: Path, metric: str) -> dict[str, Any] | None:
    """The stored audit of `metric` (AuditResult.to_json()), or None when absent or unreadable."""
    path = audit_path(root, metric)
    if not path.is_file():
        return None
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


STYLE = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 28px;display:flex;justify-content:space-between;align-items:center}
header h1{font-size:20px;margin:0}main{max-width:1100px;margin:0 auto;padding:20px 28px}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:8px}
nav a{display:inline-block;padding:4px 10px;border-radius:12px;background:#e4e8ef;color:#1d2330;text-decoration:none}
section.metric{background:#fff;border-radius:10px;padding:18px 22px;margin:18px 0;box-shadow:0 1px 3px #0002}
.top{display:flex;justify-content:space-between;gap:20px}.value{font-size:30px;font-weight:650}
.muted{color:#687083}.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;background:#e4e8ef}
.badge.authoritative,.badge.approved{background:#d5f2dc}.badge.deprecated{background:#f7d9d9}
table{border-collapse:collapse;width:100%;margin:8px 0}td,th{border-bottom:1px solid #e4e8ef;padding:5px 8px;
text-align:left;vertical-align:top}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:13px}.warn{color:#a33}form.login{max-width:380px;margin:80px auto;background:#fff;padding:26px;
border-radius:10px;box-shadow:0 1px 3px #0002}
form.login input{width:100%;padding:8px;margin:8px 0;box-sizing:border-box}
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'><title>{h(title)}</title>"
        f"<style>{STYLE}</style><script src='/static/plotly.min.js'></script></head><body>{body}</body></html>"
    )
    return HTMLResponse(doc, status_code=status, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"})


def login_page(message: str | None = None, status: int = 401) -> HTMLResponse:
    note = f"<p class=warn>{h(message)}</p>" if message else ""
    body = (
        "<form class=login method=post action='/login'><h2>canon metric catalog</h2>"
        "<p class=muted>Sign in with your API token.</p>"
        f"{note}<input type=password name=token autocomplete=current-password placeholder='API token' required>"
        "<button type=submit>Sign in</button></form>"
    )
    resp = _page("Sign in · canon", body, status)
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="canon"'
    return resp


def _signoff(m: dict[str, Any]) -> str:
    so = m["signoff"]
    if not so:
        return "<span class=muted>not signed off</span>"
    state = "" if so["valid"] else " <span class=warn>(definition changed since sign-off)</span>"
    return f"signed by {h(so['by'])} ({h(so['role'])}) on {h(so['at'][:10])}{state}"


def _value(m: dict[str, Any]) -> str:
    cv = m["current_value"]
    if cv and cv.get("formatted") is not None:
        return (
            f"<div class=value data-value='{h(cv['value'])}'>{h(cv['formatted'])}</div>"
            f"<div class=muted>{h(cv['period'])}</div>"
        )
    note = m.get("current_value_note") or "not computed"
    return f"<div class='value muted'>—</div><div class=muted>{h(note)}</div>"


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _waterfall(
    div_id: str, title: str, start_label: str, start: int, steps: list[dict[str, Any]], end_label: str
) -> str:
    """A horizontal waterfall (long decision labels read left to right), in exact integer cents.

    Bars are positioned in cents (integers) and every figure shown is formatted from cents, so
    nothing on the chart passes through a float; steps are numbered so equal labels stay apart.
    """
    import plotly.graph_objects as go
    import plotly.io as pio

    names = [str(s.get("label") or s.get("decision")) for s in steps]
    labels = [start_label, *[f"{i}. {_short(n)}" for i, n in enumerate(names, start=1)], end_label]
    values = [int(start), *[int(s["impact_cents"]) for s in steps], 0]
    running = [int(start)]
    for s in steps:
        running.append(running[-1] + int(s["impact_cents"]))
    end = running[-1]
    lo, hi = min(0, *running), max(0, *running)
    pad = (hi - lo) // 5 or 100
    texts = [format_cents(start), *[format_signed_cents(int(s["impact_cents"])) for s in steps], format_cents(end)]
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            y=labels,
            x=values,
            measure=["absolute", *["relative"] * len(steps), "total"],
            text=texts,
            textposition="outside",
            cliponaxis=False,
            hovertext=[start_label, *names, end_label],
            hoverinfo="text",
            connector={"line": {"color": "#999"}},
            increasing={"marker": {"color": "#2e8b57"}},
            decreasing={"marker": {"color": "#d9534f"}},
            totals={"marker": {"color": "#4a78c2"}},
        )
    )
    fig.update_layout(
        title=title,
        height=110 + 30 * len(labels),
        margin={"l": 20, "r": 90, "t": 45, "b": 20},
        showlegend=False,
        xaxis={"showticklabels": False, "zeroline": True, "range": [lo - (pad if lo < 0 else 0), hi + pad]},
        yaxis={"autorange": "reversed", "automargin": True},
    )
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id, config={"displayModeBar": False})


def _audit_block(name: str, audit: dict[str, Any]) -> str:
    parts = [f"<h3>Audit · {h(audit.get('period'))}</h3><p>{h(audit.get('headline'))}</p>"]
    canonical = audit.get("canonical") or {}
    canon_cents = canonical.get("value_cents")
    charts = 0
    for i, d in enumerate(audit.get("definitions") or []):
        steps = d.get("bridge") or []
        if not steps or canon_cents is None or charts >= 6:
            continue
        charts += 1
        parts.append(  # bridges start at the canonical figure: each step is definition − canonical
            _waterfall(
                f"waterfall-{name}-{i}",
                f"canonical → {d.get('model')} (definition − canonical)",
                "canonical",
                int(d.get("bridge_from_cents", canon_cents)),
                steps,
                str(d.get("model")),
            )
        )
    rows = []
    for d in audit.get("definitions") or []:
        flags = ", ".join(f for f, on in (("canonical", d.get("canonical")), ("deprecated", d.get("deprecated"))) if on)
        dec = d.get("decisions") or {}
        filters = "; ".join(f"{k} ∈ {{{', '.join(map(str, v))}}}" for k, v in (dec.get("filters") or {}).items())
        usage = d.get("usage") or {}
        rows.append(
            "<tr>"
            f"<td><code>{h(d.get('model'))}</code><div class=muted>{h(d.get('path'))}</div></td>"
            f"<td class=num>{h(format_cents(d.get('value_cents')))}</td>"
            f"<td>{'yes' if d.get('reproduced') else '<span class=warn>no</span>'}</td>"
            f"<td>{h((dec.get('measure') or {}).get('column'))}<div class=muted>dated by "
            f"{h(', '.join(dec.get('time_basis') or []))}</div><div class=muted>{h(filters)}</div></td>"
            f"<td class=num>{h(usage.get('queries_per_month', ''))}</td><td>{h(flags)}</td></tr>"
        )
    if rows:
        parts.append(
            "<table class=definitions><thead><tr><th>model</th><th class=num>value</th><th>reproduced</th>"
            "<th>decisions</th><th class=num>queries/month</th><th></th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
    return "<div class=audit>" + "".join(parts) + "</div>"


def _metric_section(m: dict[str, Any], audit: dict[str, Any] | None) -> str:
    points = "".join(f"<tr><td>{h(p['decision'])}</td><td>{h(p['choice'])}</td></tr>" for p in m["decision_points"])
    return (
        f"<section class=metric id='metric-{h(m['name'])}' data-metric='{h(m['name'])}'>"
        f"<div class=top><div><h2>{h(m['label'])} <span class=muted>({h(m['name'])})</span> "
        f"<span class='badge {h(m['status'])}'>{h(m['status'])}</span></h2>"
        f"<p class=definition>{h(m['definition'])}</p>"
        f"<p class=muted>owner {h(m['owner'])} · {_signoff(m)} · <code>{h(m['definition_hash'][:19])}</code></p></div>"
        f"<div>{_value(m)}</div></div>"
        + (f"<table class=decisions><tbody>{points}</tbody></table>" if points else "")
        + (_audit_block(m["name"], audit) if audit else "")
        + "</section>"
    )


def render_catalog(ctx: ServeContext, consumer: str) -> str:
    data: dict[str, Any] = ctx.metric_values.get("catalog", lambda: catalog(ctx.project_view()))  # type: ignore[assignment]
    metrics = data["metrics"]
    nav = "".join(f"<li><a href='#metric-{h(m['name'])}'>{h(m['label'])}</a></li>" for m in metrics)
    sections = "".join(_metric_section(m, load_audit(ctx.root, m["name"])) for m in metrics)
    name = ctx.project.config.name
    return (
        f"<header><h1>{h(name)} · metric catalog</h1><div>{h(consumer)} · "
        "<form method=post action='/logout' style='display:inline'><button>sign out</button></form></div></header>"
        f"<main><p class=muted>{len(metrics)} metrics · current period {h(data['current_period'] or '—')}</p>"
        f"<nav><ul id=metric-list>{nav}</ul></nav>{sections}</main>"
    )


def page_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def index(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
        ctx: ServeContext = Depends(get_ctx),
    ) -> Response:
        token = presented_token(request, credentials)
        if not token:
            return login_page()
        try:
            consumer = authenticate(request, ctx, token)
        except ApiError as exc:
            if exc.status == 401:
                return login_page("That token is not valid.")
            raise
        return _page(f"{ctx.project.config.name} · canon", render_catalog(ctx, consumer))

    @router.post("/login")
    async def login(request: Request, ctx: ServeContext = Depends(get_ctx)) -> Response:
        from urllib.parse import parse_qs

        body = (await request.body())[:8192].decode("utf-8", "replace")
        token = (parse_qs(body).get("token") or [""])[0].strip()
        try:
            authenticate(request, ctx, token)
        except ApiError as exc:
            if exc.status == 401:
                return login_page("That token is not valid.")
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

    @router.get("/static/plotly.min.js")
    def plotly() -> Response:
        return FileResponse(
            plotly_js(), media_type="application/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )

    return router
