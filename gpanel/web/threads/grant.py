"""Which thread a thread URL names, and opening it for the viewer: every route of the opened
thread starts here. The thread id is checked for shape, then `threads.authorize_thread` decides;
anything the viewer may not see is the same 404 (`NOT_FOUND`), so a refusal says nothing.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request

from gpanel.crm.models import RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.threads import gate as threads
from gpanel.services.threads.opened_by import record_open
from gpanel.services.threads.view import Links, ThreadPage, build_page
from gpanel.web.guard.viewer import ctx_of
from gpanel.web.threads import frame

NOT_FOUND = "There is no such conversation on this record, or you may not see it."
THREAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def base_url(kind: RecordType, record_id: int, mailbox_id: int, thread_id: str) -> str:
    return f"/records/{kind}/{record_id}/threads/{mailbox_id}/{thread_id}"


async def grant_for(
    request: Request,
    viewer: CurrentUser,
    kind: RecordType,
    record_id: int,
    mailbox_id: int,
    thread_id: str,
) -> threads.ThreadGrant:
    if not THREAD_ID.match(thread_id):
        raise HTTPException(404, NOT_FOUND)
    try:
        return await threads.authorize_thread(
            ctx_of(request), viewer, kind, record_id, mailbox_id, thread_id
        )
    except threads.ThreadNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except threads.ThreadUnavailable as exc:
        raise HTTPException(exc.status, exc.user_message) from None


def frame_links_for(request: Request, grant: threads.ThreadGrant) -> Links:
    base = base_url(grant.record_type, grant.record_id, grant.mailbox.id, grant.thread.id)
    return frame.frame_links(request, grant, base)


def shown_images(request: Request) -> set[str]:
    return {v for raw in request.query_params.getlist("images") for v in raw.split(",") if v}


async def load_page(request: Request, grant: threads.ThreadGrant) -> ThreadPage:
    ctx = ctx_of(request)
    return await build_page(
        ctx.engine,
        grant,
        frame_links_for(request, grant),
        show_images=shown_images(request),
        timezone=ctx.settings.org_timezone,
        fold=ctx.settings.fold_gmail_addresses,
        bodies=ctx.bodies,
    )


def record_type(segment: str) -> RecordType:
    """The record type a URL names (singular or plural); 404 for anything else."""
    try:
        return RecordType.parse(segment)
    except ValueError:
        raise HTTPException(404, NOT_FOUND) from None


def path_params(request: Request) -> tuple[RecordType, int, int, str]:
    p = request.path_params
    kind = record_type(str(p["type"]))
    return kind, int(p["id"]), int(p["mailbox_id"]), str(p["thread_id"])


async def note_open(request: Request, grant: threads.ThreadGrant) -> None:
    """A colleague opened the owner's thread: the owner can see that (`opened_by`)."""
    await record_open(
        ctx_of(request).engine,
        grant.mailbox.id,
        grant.owner.owner.user_id,
        grant.thread.id,
        grant.viewer.id,
    )


def api_record(request: Request) -> tuple[RecordType, int]:
    kind = request.query_params.get("record_type", "")
    raw_id = request.query_params.get("record_id", "")
    if not kind or not raw_id.isdigit():
        raise HTTPException(400, "Give record_type (contact, company or deal) and record_id.")
    return record_type(kind), int(raw_id)
