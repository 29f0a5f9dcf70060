"""The user's API tokens: make one with its scopes (shown once), see each one's scopes and when
it was last used, revoke."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.accounts import api_tokens
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


async def page(
    request: Request, new_token: str | None = None, error: str | None = None
) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    tokens = await api_tokens.mine(ctx.engine, user.id)
    return render(
        request,
        "api_tokens.html",
        {
            "tokens": tokens,
            "new_token": new_token,
            "error": error,
            "api_base": ctx.settings.base_url + "/api",
            "scopes": api_tokens.SCOPES,
            "default_scopes": api_tokens.DEFAULT_SCOPES,
        },
        status_code=422 if error else 200,
    )


async def create(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    form = await request.form()
    # The page's form says it offered the choice; a post without it (a script) gets the default.
    offered = form.get("scopes_offered") == "1"
    scopes = [str(v) for v in form.getlist("scopes")] if offered else None
    try:
        token = await api_tokens.create(ctx.engine, user, str(form.get("name", "")), scopes)
    except api_tokens.InvalidScopes as exc:
        return await page(request, error=str(exc))
    # Shown in this response only: never stored, never put in a URL.
    return await page(request, new_token=token)


async def revoke(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    await api_tokens.revoke(ctx.engine, user.id, int(request.path_params["token_id"]))
    return RedirectResponse("/settings/api-tokens", status_code=303)


routes: list[BaseRoute] = [
    Route("/settings/api-tokens", page, name="api_tokens"),
    Route("/settings/api-tokens", create, methods=["POST"]),
    Route("/settings/api-tokens/{token_id:int}/revoke", revoke, methods=["POST"]),
]
