"""Who looked at my mail: the owner's page (`/mailbox/opened`) and its JSON
(`/api/mailbox/opened`), listing which colleagues opened which of the signed-in user's threads,
and when. Owner-only by construction: each user sees the openings of their own mailbox only.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.accounts import mailboxes
from gpanel.services.threads.opened_by import opened_threads
from gpanel.services.threads.view import gmail_link
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


async def page(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    box = await mailboxes.for_user(ctx.engine, user.id)
    items = await opened_threads(ctx.engine, user.id)
    return render(
        request,
        "mailbox/opened.html",
        {
            "mailbox": box,
            "items": items,
            "gmail": (lambda tid: gmail_link(box.email, tid)) if box else None,
        },
    )


async def api(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    items = await opened_threads(ctx.engine, user.id)
    return JSONResponse(
        {
            "opened": [
                {
                    "thread_id": o.thread_id,
                    "viewer_id": o.viewer_id,
                    "viewer_name": o.viewer_name,
                    "viewed_at": o.viewed_at.isoformat(),
                }
                for o in items
            ]
        },
        headers={"Cache-Control": "private, no-store"},
    )


routes: list[BaseRoute] = [
    Route("/mailbox/opened", page, name="mailbox_opened"),
    Route("/api/mailbox/opened", api, name="api_mailbox_opened"),
]
