"""MailMagnet in the browser: the bell, the notification list, the switch, the live stream.

- `/notifications`: the signed-in user's MailMagnet switch (if the admin allows MailMagnet) and
  their notifications (contact, company, time, and the subject fetched live from Gmail).
- `/notifications/stream`: server-sent events for the bell on every page (`static/bell.js`):
  the current state at once, then a new state whenever the mailbox's hits change. A stream
  ends after `STREAM_SECONDS` (EventSource reconnects by itself), so a server can always shut
  down without waiting for open pages.
- `/notifications/menu`: the bell's dropdown, an HTML fragment of the newest of what the page
  lists (same data function, `_listing`, so the same gate); it marks nothing seen.
- `/notifications/count`: the same state as JSON (for scripts and the bell's fallback).
- POST `/notifications/opened` (one message id, or all) and `/notifications/switch`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.mailboxes import Mailbox
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.magnet import notifications as notes
from gpanel.services.ops import job_state
from gpanel.services.sending import follow_ups
from gpanel.services.sending import later as send_later
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.services.team_mailboxes import notices as team_notices
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render

STREAM_SECONDS = 120.0
HEARTBEAT_SECONDS = 15.0
MENU_LIMIT = 8  # MailMagnet rows in the bell's menu; the page shows up to notes.LIST_LIMIT


async def _bell(ctx: AppContext, user_id: int, box: Mailbox | None) -> dict[str, object]:
    """The bell's state: MailMagnet's, its unread count plus the sending notices not yet seen
    (a follow-up with no reply, a scheduled send that did not go: services/sending) and the
    team mailbox entries not yet read (assigned to you, overdue, new mail: team_mailboxes)."""
    shown = (await notes.bell_state(ctx.engine, box)).as_json()
    if box is not None:
        sending = await follow_ups.unseen(ctx.engine, user_id)
        shown["unread"] = int(str(shown["unread"])) + sending
        shown["sending"] = sending
    team = await team_notices.unread(ctx.engine, user_id)
    shown["unread"] = int(str(shown["unread"])) + team
    shown["team"] = team
    return shown


async def _listing(
    ctx: AppContext, user: CurrentUser, *, limit: int, mark_seen: bool
) -> dict[str, object]:
    """What `/notifications` lists, for the page and for the bell's menu: the MailMagnet hits
    (through the panel's gate, `notes.with_live_subjects`), the sending notices and the unread
    team mailbox notices. `mark_seen` (the page) stops the bell counting the sending and team
    notices once shown; the menu only looks."""
    box = await mailboxes.for_user(ctx.engine, user.id)
    features = await sharing.features_for(ctx.engine, user.id, user.role)
    state = await notes.bell_state(ctx.engine, box)
    items: list[notes.Notification] = []
    if box is not None:
        items = await notes.list_notifications(ctx, box, limit=limit)
        items = await notes.with_live_subjects(ctx, user, box, items)
    # Sending: scheduled messages that did not go (services/sending/later.py) and follow-ups
    # with no reply are told here; shown, the bell stops counting them.
    unsent = await send_later.unsent(ctx.engine, user.id)
    reminders = await follow_ups.notified(ctx.engine, user.id)
    # Team mailboxes: assignments, overdue threads, new mail; shown, the bell stops counting.
    team = [n for n in await team_notices.recent(ctx.engine, user.id) if not n.read]
    if mark_seen:
        await follow_ups.mark_seen(ctx, user.id, box.id if box is not None else None)
        await team_notices.mark_read(ctx.engine, user.id)
    return {
        "unsent": unsent,
        "reminders": reminders,
        "team_notices": team,
        "mailbox": box,
        "state": state,
        "items": items,
        "may_use": features[Feature.MAILMAGNET],
    }


async def page(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    shown = await _listing(ctx, user, limit=notes.LIST_LIMIT, mark_seen=True)
    shown["notice"] = request.query_params.get("notice")
    return render(request, "notifications/index.html", shown)


async def menu(request: Request) -> Response:
    """The bell's dropdown (`static/bell.js` fetches it): the newest of what the page lists, as
    an HTML fragment, without marking anything seen."""
    ctx, user = ctx_of(request), require_user(request)
    shown = await _listing(ctx, user, limit=MENU_LIMIT, mark_seen=False)
    return render(request, "notifications/_menu.html", shown)


async def count(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    box = await mailboxes.for_user(ctx.engine, user.id)
    return JSONResponse(await _bell(ctx, user.id, box))


async def stream(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    box = await mailboxes.for_user(ctx.engine, user.id)

    async def events() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        hub = ctx.magnet_hub
        if box is None:
            alone = await _bell(ctx, user.id, None)
            yield f"event: bell\ndata: {json.dumps(alone)}\n\n"
            return
        ends = time.monotonic() + STREAM_SECONDS
        with hub.subscribe(box.id) as changed:
            last: dict[str, object] | None = None
            while time.monotonic() < ends:
                # Clear before reading, so a change during the read wakes the next wait.
                changed.clear()
                current = await mailboxes.get(ctx.engine, box.id)
                shown = await _bell(ctx, user.id, current)
                if shown != last:
                    yield f"event: bell\ndata: {json.dumps(shown)}\n\n"
                    last = shown
                wait = min(HEARTBEAT_SECONDS, max(0.0, ends - time.monotonic()))
                try:
                    await asyncio.wait_for(changed.wait(), timeout=wait)
                except TimeoutError:
                    yield ": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def opened(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    box = await mailboxes.for_user(ctx.engine, user.id)
    if box is None:
        raise HTTPException(404, "You have not connected a mailbox.")
    form = await request.form()
    message_id = str(form.get("message_id", "")).strip()
    if message_id:
        await notes.mark_opened(ctx, box.id, [message_id])
    else:
        await notes.mark_all_opened(ctx, box.id)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(await _bell(ctx, user.id, box))
    return RedirectResponse("/notifications", status_code=303)


async def switch(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    features = await sharing.features_for(ctx.engine, user.id, user.role)
    if not features[Feature.MAILMAGNET]:
        raise HTTPException(403, "Your admin has not enabled MailMagnet for your account.")
    box = await mailboxes.for_user(ctx.engine, user.id)
    if box is None:
        raise HTTPException(409, "Connect your Gmail first (My mailbox), then turn on MailMagnet.")
    form = await request.form()
    enable = str(form.get("enabled", "")) == "on"
    await job_state.set_magnet_enabled(ctx.engine, box.id, enable)
    if enable:
        # Take the starting point now rather than at the next tick, and ask Gmail to push
        # at once too: until the watch exists, new mail waits for the next poll.
        await job_state.trigger(ctx, "magnet", box.id)
        if ctx.settings.pubsub_topic:
            await job_state.trigger(ctx, "renew_watch", box.id)
    ctx.magnet_hub.publish(box.id)
    return RedirectResponse("/notifications?notice=" + ("on" if enable else "off"), status_code=303)


routes: list[BaseRoute] = [
    Route("/notifications", page, name="notifications"),
    Route("/notifications/menu", menu, name="notifications_menu"),
    Route("/notifications/count", count, name="notifications_count"),
    Route("/notifications/stream", stream, name="notifications_stream"),
    Route("/notifications/opened", opened, methods=["POST"], name="notifications_opened"),
    Route("/notifications/switch", switch, methods=["POST"], name="notifications_switch"),
]
