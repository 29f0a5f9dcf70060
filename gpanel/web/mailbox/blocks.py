"""The signed-in user's block rules as a page: list them, add one, remove one.

The same service functions as the panel's "Block an address or domain" form and the JSON API
(`/api/blocks`), so the same rules hold: a rep lists and removes only their own rules; the
organisation-wide ones are shown (they hide mail too) and only an admin may remove them.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.panel import unlinks
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render

NOTICES = {
    "added": "Blocked. Mail from that address or domain no longer shows on records for you.",
    "removed": "Block removed. That mail shows on records again.",
}


async def page(request: Request) -> Response:
    ctx, viewer = ctx_of(request), require_user(request)
    error = request.query_params.get("error", "")
    notice = NOTICES.get(request.query_params.get("notice", ""), "")
    rules = await unlinks.list_blocks(ctx, viewer)
    return render(
        request,
        "mailbox/blocks.html",
        {
            "own": [b for b in rules if not b.org_wide],
            "org": [b for b in rules if b.org_wide],
            "error": error[:200],
            "notice": notice,
        },
        status_code=400 if error else 200,
    )


def _back(**query: str) -> RedirectResponse:
    key, value = next(iter(query.items()))
    return RedirectResponse(f"/mailbox/blocks?{key}={quote(value)}", status_code=303)


async def add(request: Request) -> Response:
    ctx, viewer = ctx_of(request), require_user(request)
    form = await request.form()
    pattern = str(form.get("pattern") or "")
    try:
        await unlinks.block(ctx, viewer, pattern, org_wide=bool(form.get("org_wide")))
    except (unlinks.NotAllowed, unlinks.InvalidInput) as exc:
        return _back(error=str(exc))
    return _back(notice="added")


async def remove(request: Request) -> Response:
    ctx, viewer = ctx_of(request), require_user(request)
    try:
        await unlinks.unblock(ctx, viewer, int(request.path_params["block_id"]))
    except unlinks.NotAllowed as exc:
        return _back(error=str(exc))
    return _back(notice="removed")


routes: list[BaseRoute] = [
    Route("/mailbox/blocks", page, name="mailbox_blocks"),
    Route("/mailbox/blocks", add, methods=["POST"], name="mailbox_blocks_add"),
    Route("/mailbox/blocks/{block_id:int}/remove", remove, methods=["POST"]),
]
