"""`/records/{type}/{id}/news`: server-sent events telling an open record page about new mail.

The record page's panel script (`static/panel.js`) opens this stream when the panel loads. It
sends `event: news` with `{"count": n}`, the messages from the record's addresses that
MailMagnet found after the stream began (`services.magnet.record_news`), and wakes whenever a
MailMagnet run stores hits in a mailbox the panel shows. Each event's `id` is the start time in
epoch milliseconds, so the browser's automatic reconnect (`Last-Event-ID`) keeps counting from
the same moment; the panel script opens a fresh stream after it reloads the panel. A stream ends
after `STREAM_SECONDS`, like the bell's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from gpanel.crm.errors import RecordNotFound
from gpanel.crm.models import RecordType
from gpanel.services.magnet import record_news
from gpanel.services.records import access as records
from gpanel.web.guard.viewer import ctx_of, require_user

STREAM_SECONDS = 120.0
HEARTBEAT_SECONDS = 15.0


def _since(request: Request) -> dt.datetime:
    """Where counting starts: the reconnecting browser's Last-Event-ID, else now."""
    raw = request.headers.get("last-event-id", "")
    now = dt.datetime.now(dt.UTC)
    if raw.isdigit() and len(raw) < 16:
        return min(now, dt.datetime.fromtimestamp(int(raw) / 1000, dt.UTC))
    return now


async def stream(request: Request) -> Response:
    ctx, viewer = ctx_of(request), require_user(request)
    try:
        kind = RecordType(str(request.path_params["type"]))
    except ValueError:
        raise HTTPException(404, "There is no such kind of record.") from None
    record_id = int(request.path_params["id"])
    try:
        gate = await record_news.record_gate(ctx, viewer, kind, record_id)
    except RecordNotFound:
        raise HTTPException(404, "There is no such record, or it was deleted.") from None
    except records.Forbidden:
        raise HTTPException(403, "You do not have access to this record.") from None
    since = _since(request)
    event_id = str(int(since.timestamp() * 1000))

    async def events() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        ends = time.monotonic() + STREAM_SECONDS
        current = gate
        with ctx.magnet_hub.subscribe_many(record_news.mailbox_ids(gate)) as changed:
            last: int | None = None
            while time.monotonic() < ends:
                changed.clear()  # before reading, so a change during the read wakes the wait
                count = await record_news.new_mail_count(ctx, current, since)
                if count != last:
                    body = json.dumps({"count": count})
                    yield f"id: {event_id}\nevent: news\ndata: {body}\n\n"
                    last = count
                wait = min(HEARTBEAT_SECONDS, max(0.0, ends - time.monotonic()))
                try:
                    await asyncio.wait_for(changed.wait(), timeout=wait)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                try:  # sharing, blocks or private marks may have changed meanwhile
                    current = await record_news.record_gate(ctx, viewer, kind, record_id)
                except (RecordNotFound, records.Forbidden):
                    return

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


routes: list[BaseRoute] = [
    Route("/records/{type}/{id:int}/news", stream, name="record_news"),
]
