"""Signing from the catalog page: a person signs an agent's sign-off request with a signer token.

Signer tokens are not consumer tokens: they come from their own variable (`CANON_SIGNER_TOKENS`,
entries `NAME|ROLE=token`, e.g. `Dana Whitfield|CFO=…`), are compared in constant time like any
token, and a token that is also a consumer's is refused — reading the API never lets anyone sign.
A metric's page lists its pending requests with the paragraph the agent wrote for the person
and a form taking the signer token; `POST /signoff` signs exactly that request
(`Project.approve(..., proposal=ID)`: refused if the contract or proposal changed since) and
records who and in which role the token names.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from canon.errors import CanonError
from canon.serve.context import ServeContext
from canon.serve.deps import get_ctx


def pending_requests(ctx: ServeContext, metric: str) -> list[dict[str, str]]:
    """The requests waiting for a person to sign `metric`, with the paragraph the agent wrote for them."""
    try:
        status = ctx.project_view().signoff_status(metric)
    except CanonError:
        return []
    return [
        {"id": r.request.id, "by": r.request.requested_by, "at": r.request.requested_at, "summary": r.request.summary}
        for r in status.requests
        if r.state == "pending"
    ]


def _result(title: str, message: str, status: int) -> HTMLResponse:
    body = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title></head>"
        f"<body><h2>{html.escape(title)}</h2><p class=message>{html.escape(message)}</p>"
        "<p><a href='/'>back to the catalog</a></p></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def signing_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post("/signoff")
    async def sign(request: Request, ctx: ServeContext = Depends(get_ctx)) -> Response:
        form = parse_qs((await request.body())[:16384].decode("utf-8", "replace"))
        field = {k: (v or [""])[0].strip() for k, v in form.items()}
        token = field.get("signer_token", "")
        signer = ctx.signers.authenticate(token)
        if signer is None or ctx.tokens.authenticate(token) is not None:
            return _result("Not signed", "That is not a signer token (an API token cannot sign).", 403)
        name, _, role = signer.partition("|")
        if not role.strip():
            return _result("Not signed", f"Signer `{name}` has no role: configure it as `NAME|ROLE=token`.", 403)
        request.state.consumer = f"signer {name}"
        metric, proposal = field.get("metric", ""), field.get("proposal", "")

        def approve() -> str:
            from canon.project import load_project

            project = load_project(ctx.root)
            try:
                record = project.approve(metric, name.strip(), role.strip(), proposal=proposal)
            finally:
                project.close()
            return record.definition_hash

        try:
            await run_in_threadpool(approve)
        except CanonError as exc:
            return _result("Not signed", exc.render(), 409)
        ctx.project.reload()  # the page reads the sign-off from the contracts again
        ctx.metric_values.clear()
        return RedirectResponse(f"/metrics/{quote(metric)}?signed={quote(proposal)}", status_code=303)

    return router
