"""The home page (a rep's day: unread mail from customers, threads waiting for a reply, deals
closing this month, all read live), the expectations page, and the health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.accounts import mailboxes
from gpanel.services.magnet.day import rep_day
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.web.guard.viewer import ctx_of, viewer_of
from gpanel.web.templating import render


async def home(request: Request) -> Response:
    viewer = viewer_of(request)
    if viewer is None:
        return RedirectResponse("/auth/login", status_code=303)
    ctx = ctx_of(request)
    box = await mailboxes.for_user(ctx.engine, viewer.id)
    features = await sharing.features_for(ctx.engine, viewer.id, viewer.role)
    # The rep's day, read live (services/magnet/day.py); Gmail withdrawn: nothing of the mailbox.
    may_connect = features[Feature.CONNECT_GMAIL]
    day = await rep_day(ctx, viewer, box if may_connect else None)
    return render(request, "home.html", {"mailbox": box, "may_connect": may_connect, "day": day})


async def expectations(request: Request) -> Response:
    ctx = ctx_of(request)
    return render(
        request,
        "expectations.html",
        {
            "retention_days": ctx.settings.magnet_retention_days,
            "cache_seconds": ctx.settings.cache_ttl_seconds,
            "group_max": ctx.settings.group_mail_max_recipients,
            "label_minutes": ctx.settings.labels_interval_seconds // 60,
            "poll_seconds": ctx.settings.magnet_poll_seconds,
        },
    )


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


routes: list[BaseRoute] = [
    Route("/", home, name="home"),
    Route("/expectations", expectations, name="expectations"),
    Route("/healthz", health, name="health"),
]
