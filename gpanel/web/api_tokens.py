"""The user's API tokens: make one (shown once), see when each was last used, revoke."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.accounts import api_tokens
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


async def page(request: Request, new_token: str | None = None) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    tokens = await api_tokens.mine(ctx.engine, user.id)
    return render(
        request,
        "api_tokens.html",
        {"tokens": tokens, "new_token": new_token, "api_base": ctx.settings.base_url + "/api"},
    )


async def create(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    form = await request.form()
    token = await api_tokens.create(ctx.engine, user, str(form.get("name", "")))
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
