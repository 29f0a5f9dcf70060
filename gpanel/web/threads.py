"""The opened thread: its page, its JSON, its attachments, its live actions, and the image proxy.

Routes (record type is `contact`, `company` or `deal`; the plural is accepted too):
- `GET  /records/{type}/{id}/threads/{mailbox_id}/{thread_id}` the page (`?images=<message id>`
  or `?images=all` shows remote images of those messages through the proxy);
- `POST /records/{type}/{id}/threads/{mailbox_id}/{thread_id}/actions` form field `action`
  (read, unread, archive, inbox, star, unstar, add_label, remove_label) and `label_id`;
  303 back to the page, or JSON when the request accepts JSON;
- `GET  /records/{type}/{id}/threads/{mailbox_id}/{thread_id}/attachments/{message_id}/p{part}`
  one part's bytes (`part` is Gmail's partId, e.g. `p1`, `p0.2`), `?inline=1&t=<token>` for
  `cid:` images inside the message frame;
- `POST /records/{type}/{id}/threads/{mailbox_id}/{thread_id}/relink` undoes an unlink;
- `GET  /api/threads/{mailbox_id}/{thread_id}?record_type=&record_id=` the same data as JSON,
  `POST /api/threads/{mailbox_id}/{thread_id}/actions?record_type=&record_id=` JSON actions;
- `GET  /img?u=<url>&s=<signature>` the image proxy (`thread_frame.py`, with the frame's links).
Every route goes through `threads.authorize_thread`; see that module for the rules.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any
from urllib.parse import quote, urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.crm.models import RecordType
from gpanel.gmail import GmailError, NotFound
from gpanel.mail.filenames import content_disposition
from gpanel.mail.image_policy import ALLOWED_CONTENT_TYPES, sniff_image_type
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.panel import unlinks
from gpanel.services.sharing.policy import Detail
from gpanel.services.threads import gate as threads
from gpanel.services.threads.actions import (
    DONE_WORDS,
    Action,
    ActionRefused,
    apply_action,
    parse_action,
)
from gpanel.services.threads.opened_by import record_open
from gpanel.services.threads.view import Links, ThreadPage, build_page
from gpanel.web import thread_frame
from gpanel.web.errors import wants_json
from gpanel.web.guard.viewer import ctx_of, require_user, viewer_of
from gpanel.web.templating import render

NOT_FOUND = "There is no such conversation on this record, or you may not see it."
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PART = re.compile(r"^p[0-9.]{0,40}$")
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$")


def _base(kind: RecordType, record_id: int, mailbox_id: int, thread_id: str) -> str:
    return f"/records/{kind}/{record_id}/threads/{mailbox_id}/{thread_id}"


async def _grant(
    request: Request,
    viewer: CurrentUser,
    kind: RecordType,
    record_id: int,
    mailbox_id: int,
    thread_id: str,
) -> threads.ThreadGrant:
    if not _ID.match(thread_id):
        raise HTTPException(404, NOT_FOUND)
    try:
        return await threads.authorize_thread(
            ctx_of(request), viewer, kind, record_id, mailbox_id, thread_id
        )
    except threads.ThreadNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except threads.ThreadUnavailable as exc:
        raise HTTPException(exc.status, exc.user_message) from None


def _links(request: Request, grant: threads.ThreadGrant) -> Links:
    base = _base(grant.record_type, grant.record_id, grant.mailbox.id, grant.thread.id)
    return thread_frame.frame_links(request, grant, base)


def _shown(request: Request) -> set[str]:
    return {v for raw in request.query_params.getlist("images") for v in raw.split(",") if v}


async def _page(request: Request, grant: threads.ThreadGrant) -> ThreadPage:
    ctx = ctx_of(request)
    return await build_page(
        ctx.engine,
        grant,
        _links(request, grant),
        show_images=_shown(request),
        timezone=ctx.settings.org_timezone,
        fold=ctx.settings.fold_gmail_addresses,
        bodies=ctx.bodies,
    )


def _record_type(segment: str) -> RecordType:
    """The record type a URL names (singular or plural); 404 for anything else."""
    try:
        return RecordType.parse(segment)
    except ValueError:
        raise HTTPException(404, NOT_FOUND) from None


def _params(request: Request) -> tuple[RecordType, int, int, str]:
    p = request.path_params
    kind = _record_type(str(p["type"]))
    return kind, int(p["id"]), int(p["mailbox_id"]), str(p["thread_id"])


async def thread_page(request: Request) -> Response:
    viewer = require_user(request)
    kind, record_id, mailbox_id, thread_id = _params(request)
    grant = await _grant(request, viewer, kind, record_id, mailbox_id, thread_id)
    page = await _page(request, grant)
    await _note_open(request, grant)
    base = _base(grant.record_type, record_id, mailbox_id, thread_id)
    shown = _shown(request)
    done = request.query_params.get("done", "")
    return render(
        request,
        "threads/thread.html",
        {
            "page": page,
            "base": base,
            "record_url": f"/{grant.record_type.plural}/{record_id}",
            "record_word": grant.record_type.value,
            "shown": shown,
            "done": _done_words(done),
            "images_query": lambda message_id: (
                "?" + urlencode({"images": ",".join(sorted(shown | {message_id}))})
            ),
        },
    )


async def _note_open(request: Request, grant: threads.ThreadGrant) -> None:
    """A colleague opened the owner's thread: the owner can see that (`opened_by`)."""
    await record_open(
        ctx_of(request).engine,
        grant.mailbox.id,
        grant.owner.owner.user_id,
        grant.thread.id,
        grant.viewer.id,
    )


def _done_words(value: str) -> str:
    try:
        return DONE_WORDS[Action(value)]
    except ValueError:
        return ""


def _person(p: Any) -> dict[str, Any]:
    return {"name": p.name, "email": p.email, "contact_id": p.contact_id, "user_name": p.user_name}


def page_json(page: ThreadPage) -> dict[str, Any]:
    """The JSON shape of a thread (the API's answer; fields absent below FULL are null)."""
    grant = page.grant
    messages = []
    for m in page.messages:
        body = None
        if m.body is not None:
            body = {
                "html": m.body.html,
                "srcdoc": m.body.srcdoc,
                "text": m.body.text,
                "truncated": m.body.truncated,
                "remote_images": m.body.remote_images,
                "blocked_images": m.body.blocked_images,
                "images_shown": m.body.images_shown,
                "too_large": m.body.too_large,
            }
        messages.append(
            {
                "id": m.id,
                "from": [_person(p) for p in m.sender],
                "to": [_person(p) for p in m.to],
                "cc": [_person(p) for p in m.cc],
                "bcc": [_person(p) for p in m.bcc],
                "date": m.date.isoformat() if m.date else None,
                "subject": m.subject,
                "unread": m.unread,
                "body": body,
                "attachments": [
                    {"filename": a.filename, "mime_type": a.mime_type, "size": a.size, "url": a.url}
                    for a in m.attachments
                ],
            }
        )
    return {
        "mailbox_id": grant.mailbox.id,
        "thread_id": grant.thread.id,
        "record_type": grant.record_type.value,
        "record_id": grant.record_id,
        "owner": {"user_id": grant.owner.owner.user_id, "name": grant.owner.owner_name},
        "detail": page.detail.value,
        "subject": page.subject,
        # The owner's labels and read, starred and inbox state are theirs alone (docs/behaviour.md,
        # "Sharing").
        "labels": list(page.labels) if page.is_owner else None,
        "unread": page.unread if page.is_owner else None,
        "starred": page.starred if page.is_owner else None,
        "in_inbox": page.in_inbox if page.is_owner else None,
        "unlinked": grant.unlinked,
        "can_act": page.is_owner,
        "gmail_url": page.gmail_url,
        "user_labels": [{"id": i, "name": n} for i, n in page.user_labels],
        "messages": messages,
    }


def _api_record(request: Request) -> tuple[RecordType, int]:
    kind = request.query_params.get("record_type", "")
    raw_id = request.query_params.get("record_id", "")
    if not kind or not raw_id.isdigit():
        raise HTTPException(400, "Give record_type (contact, company or deal) and record_id.")
    return _record_type(kind), int(raw_id)


async def api_thread(request: Request) -> Response:
    viewer = require_user(request)
    kind, record_id = _api_record(request)
    grant = await _grant(
        request,
        viewer,
        kind,
        record_id,
        int(request.path_params["mailbox_id"]),
        str(request.path_params["thread_id"]),
    )
    body = page_json(await _page(request, grant))
    await _note_open(request, grant)
    return JSONResponse(body, headers={"Cache-Control": "private, no-store"})


async def _action_input(request: Request) -> tuple[str, str | None]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise HTTPException(400, "The request body is not JSON.") from None
        if not isinstance(body, dict):
            raise HTTPException(400, "The request body must be a JSON object.")
        action, label = body.get("action"), body.get("label_id")
    else:
        form = await request.form()
        action, label = form.get("action"), form.get("label_id")
    return (
        str(action) if action else "",
        str(label) if isinstance(label, str | int) and str(label) else None,
    )


async def _act(request: Request, grant: threads.ThreadGrant) -> tuple[str, threads.ThreadGrant]:
    action_name, label_id = await _action_input(request)
    try:
        result = await apply_action(ctx_of(request), grant, parse_action(action_name), label_id)
    except ActionRefused as exc:
        raise HTTPException(exc.status, exc.message) from None
    except threads.ThreadNotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except threads.ThreadUnavailable as exc:
        raise HTTPException(exc.status, exc.user_message) from None
    return result.action.value, _with_thread(grant, result.thread)


def _with_thread(grant: threads.ThreadGrant, thread: threads.LoadedThread) -> threads.ThreadGrant:
    return dataclasses.replace(grant, thread=thread)


async def thread_action(request: Request) -> Response:
    viewer = require_user(request)
    kind, record_id, mailbox_id, thread_id = _params(request)
    grant = await _grant(request, viewer, kind, record_id, mailbox_id, thread_id)
    action, updated = await _act(request, grant)
    if wants_json(request):
        return JSONResponse({"done": action, "thread": page_json(await _page(request, updated))})
    base = _base(grant.record_type, record_id, mailbox_id, thread_id)
    return RedirectResponse(f"{base}?done={quote(action)}", status_code=303)


async def api_action(request: Request) -> Response:
    viewer = require_user(request)
    kind, record_id = _api_record(request)
    grant = await _grant(
        request,
        viewer,
        kind,
        record_id,
        int(request.path_params["mailbox_id"]),
        str(request.path_params["thread_id"]),
    )
    action, updated = await _act(request, grant)
    return JSONResponse({"done": action, "thread": page_json(await _page(request, updated))})


async def relink(request: Request) -> Response:
    viewer = require_user(request)
    kind, record_id, mailbox_id, thread_id = _params(request)
    grant = await _grant(request, viewer, kind, record_id, mailbox_id, thread_id)
    try:
        await unlinks.relink(
            ctx_of(request), viewer, grant.record_type, record_id, mailbox_id, thread_id
        )
    except unlinks.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    if wants_json(request):
        return JSONResponse({"unlinked": False})
    return RedirectResponse(
        _base(grant.record_type, record_id, mailbox_id, thread_id), status_code=303
    )


async def _attachment_viewer(request: Request, key: list[object]) -> CurrentUser:
    """The session's user, or for a `cid:` image in the (cookie-less) message frame, the user
    named by a live frame token for this very part (`thread_frame.inline_viewer`)."""
    viewer = viewer_of(request)
    if viewer is not None:
        return viewer
    if request.query_params.get("t", ""):
        return await thread_frame.inline_viewer(request, key, NOT_FOUND)
    return require_user(request)


def _safe_type(mime: str) -> str:
    mime = mime.strip().lower()
    return mime if _MIME.match(mime) else "application/octet-stream"


async def attachment(request: Request) -> Response:
    kind, record_id, mailbox_id, thread_id = _params(request)
    message_id = str(request.path_params["message_id"])
    part_ref = str(request.path_params["part"])
    if not _ID.match(message_id) or not _PART.match(part_ref):
        raise HTTPException(404, NOT_FOUND)
    part_id = part_ref[1:]
    viewer = await _attachment_viewer(
        request, [kind, record_id, mailbox_id, thread_id, message_id, part_id]
    )
    grant = await _grant(request, viewer, kind, record_id, mailbox_id, thread_id)
    if grant.detail is not Detail.FULL:
        raise HTTPException(
            403,
            "You may see this conversation's subject and participants, "
            "but not its messages or attachments.",
        )
    message = next((m for m in grant.thread.messages if m.id == message_id), None)
    part = next((a for a in message.attachments if a.part_id == part_id), None) if message else None
    if message is None or part is None:
        raise HTTPException(404, NOT_FOUND)
    data = part.data
    if data is None:
        if not part.attachment_id:
            raise HTTPException(404, NOT_FOUND)
        gmail = ctx_of(request).gmail.mailbox(grant.mailbox.key, retry=threads.VIEW_RETRY)
        try:
            data = await gmail.get_attachment(message_id, part.attachment_id)
        except NotFound:
            raise HTTPException(404, NOT_FOUND) from None
        except GmailError as exc:
            raise HTTPException(503, exc.user_message) from None
    media_type = _safe_type(part.mime_type)
    inline = False
    raster = part.mime_type.lower() in ALLOWED_CONTENT_TYPES
    if request.query_params.get("inline") == "1" and raster:
        sniffed = sniff_image_type(data[:32])
        if sniffed is not None:
            media_type, inline = sniffed, True
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(part.filename, inline=inline),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )


_PAGE = "/records/{type}/{id:int}/threads/{mailbox_id:int}/{thread_id}"
_API = "/api/threads/{mailbox_id:int}/{thread_id}"

routes: list[BaseRoute] = [
    Route(_PAGE, thread_page, name="thread_page"),
    Route(_PAGE + "/actions", thread_action, methods=["POST"], name="thread_action"),
    Route(_PAGE + "/relink", relink, methods=["POST"], name="thread_relink"),
    Route(_PAGE + "/attachments/{message_id}/{part}", attachment, name="thread_attachment"),
    Route(_API, api_thread, name="api_thread"),
    Route(_API + "/actions", api_action, methods=["POST"], name="api_thread_action"),
    *thread_frame.routes,
]
