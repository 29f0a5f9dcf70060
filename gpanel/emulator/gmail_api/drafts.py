"""users.drafts.*: create, get, list, update, send and delete, plus their media-upload paths
(simple, multipart and resumable: `upload.handle_upload`).

A draft is, as in Gmail, a message labelled DRAFT in the mailbox (it shows in threads and in
`in:drafts` searches) under a draft id that stays the same while its message is replaced:
`update` swaps the message for a new one (a new message id), `send` takes the draft's latest
message out of DRAFT and sends it through `Mailbox.send_raw`, so it threads and is delivered to
the other emulator mailboxes exactly like messages.send. A draft whose id is unknown answers
404, as Google does for a draft deleted in the meantime.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator import errors
from gpanel.emulator.gmail_api.common import (
    PREFIX,
    Call,
    authorize,
    decode_raw,
    format_param,
    json_body,
    respond,
)
from gpanel.emulator.gmail_api.messages import (
    FORMATS,
    filtered,
    message_resource,
    page,
    short_resource,
)
from gpanel.emulator.gmail_api.upload import handle_upload
from gpanel.emulator.state import Mailbox, Message

DRAFT = "DRAFT"


def _message_part(body: dict[str, Any]) -> tuple[bytes, str | None]:
    """The raw bytes and threadId of a Draft body's `message`."""
    message = body.get("message")
    if not isinstance(message, dict) or not message.get("raw"):
        raise errors.bad_request("Missing draft message", reason="invalidArgument")
    thread_id = message.get("threadId")
    if thread_id is not None and not isinstance(thread_id, str):
        raise errors.bad_request("Invalid value for threadId.")
    return decode_raw(message["raw"], "draft.message.raw"), thread_id


def _draft_message(mailbox: Mailbox, draft_id: str) -> Message:
    message_id = mailbox.drafts.get(draft_id)
    if message_id is None or message_id not in mailbox.messages:
        raise errors.not_found("Requested entity was not found.")
    return mailbox.messages[message_id]


def _store(call: Call, raw: bytes, thread_id: str | None, draft_id: str | None) -> dict[str, Any]:
    """Create (or, with `draft_id`, replace) a draft's message; the Draft resource."""
    mailbox = call.mailbox
    with call.state.lock:
        if draft_id is not None:
            old = _draft_message(mailbox, draft_id)
            # An update without threadId keeps the draft in its thread, as Gmail does.
            thread_id = thread_id or old.thread_id
            mailbox.delete(old.id)
        else:
            draft_id = "r" + call.state.new_message_id(int(time.time() * 1000))
        if thread_id is not None and thread_id not in mailbox.threads:
            thread_id = None
        message = mailbox.insert_raw(raw, [DRAFT], None, thread_id)
        mailbox.drafts[draft_id] = message.id
    return {"id": draft_id, "message": short_resource(message)}


def _send(call: Call, draft_id: str) -> dict[str, Any]:
    mailbox = call.mailbox
    with call.state.lock:
        draft = _draft_message(mailbox, draft_id)
        raw, thread_id = draft.raw, draft.thread_id
        mailbox.delete(draft.id)
        # A draft alone in its thread took its own id as thread id; that thread is gone now.
        joined = thread_id if thread_id in mailbox.threads else None
        del mailbox.drafts[draft_id]
        sent = mailbox.send_raw(raw, joined)
    return short_resource(sent)


async def create_draft(request: Request) -> Response:
    call = authorize(request, "gmail.users.drafts.create")
    raw, thread_id = _message_part(await json_body(request))
    return respond(request, _store(call, raw, thread_id, None))


async def update_draft(request: Request) -> Response:
    call = authorize(request, "gmail.users.drafts.update")
    raw, thread_id = _message_part(await json_body(request))
    return respond(request, _store(call, raw, thread_id, request.path_params["id"]))


async def get_draft(request: Request) -> Response:
    call = authorize(request, "gmail.users.drafts.get")
    fmt = format_param(request, FORMATS)
    message = _draft_message(call.mailbox, request.path_params["id"])
    resource = message_resource(call.mailbox, message, fmt)
    return respond(request, {"id": request.path_params["id"], "message": resource})


async def list_drafts(request: Request) -> Response:
    call = authorize(request, "gmail.users.drafts.list")
    keep = filtered(call, request, request.query_params.get("q"), [])
    mailbox = call.mailbox
    with call.state.lock:
        by_message = {m: d for d, m in mailbox.drafts.items()}
        found = [
            (by_message[m.id], m) for m in mailbox.newest_first() if m.id in by_message and keep(m)
        ]
    chunk, token = page(found, lambda item: (item[1].internal_date_ms, item[0]), request)
    body: dict[str, Any] = {}
    if chunk:
        body["drafts"] = [
            {"id": d, "message": {"id": m.id, "threadId": m.thread_id}} for d, m in chunk
        ]
    if token:
        body["nextPageToken"] = token
    body["resultSizeEstimate"] = len(found)
    return respond(request, body)


async def send_draft(request: Request) -> Response:
    call = authorize(request, "gmail.users.drafts.send")
    body = await json_body(request)
    draft_id = body.get("id")
    if not isinstance(draft_id, str) or not draft_id:
        raise errors.bad_request("Invalid draft", reason="invalidArgument")
    if isinstance(body.get("message"), dict) and body["message"].get("raw"):
        raw, thread_id = _message_part(body)
        _store(call, raw, thread_id, draft_id)
    return respond(request, _send(call, draft_id))


async def delete_draft(request: Request) -> Response:
    call = authorize(request, "gmail.users.drafts.delete")
    draft_id = request.path_params["id"]
    with call.state.lock:
        message = _draft_message(call.mailbox, draft_id)
        call.mailbox.delete(message.id)
        del call.mailbox.drafts[draft_id]
    return respond(request, None)


def _upload_thread(metadata: dict[str, Any]) -> str | None:
    message = metadata.get("message")
    thread_id = message.get("threadId") if isinstance(message, dict) else None
    if thread_id is not None and not isinstance(thread_id, str):
        raise errors.bad_request("Invalid value for threadId.")
    return thread_id


async def create_upload(request: Request) -> Response:
    call = authorize(request, "gmail.users.drafts.create")
    return await handle_upload(
        request, call, lambda c, meta, raw: _store(c, raw, _upload_thread(meta), None)
    )


async def update_upload(request: Request) -> Response:
    call = authorize(request, "gmail.users.drafts.update")
    draft_id = request.path_params["id"]
    return await handle_upload(
        request, call, lambda c, meta, raw: _store(c, raw, _upload_thread(meta), draft_id)
    )


def _store_and_send(call: Call, metadata: dict[str, Any], raw: bytes) -> dict[str, Any]:
    draft_id = metadata.get("id")
    if not isinstance(draft_id, str) or not draft_id:
        raise errors.bad_request("Invalid draft", reason="invalidArgument")
    _store(call, raw, _upload_thread(metadata), draft_id)
    return _send(call, draft_id)


async def send_upload(request: Request) -> Response:
    call = authorize(request, "gmail.users.drafts.send")
    return await handle_upload(request, call, _store_and_send)


def routes() -> list[BaseRoute]:
    base = PREFIX + "/drafts"
    upload = "/upload/gmail/v1/users/{userId}/drafts"
    resumable = "/resumable" + upload
    return [
        Route(base, list_drafts, methods=["GET"]),
        Route(base, create_draft, methods=["POST"]),
        Route(base + "/send", send_draft, methods=["POST"]),
        Route(base + "/{id}", get_draft, methods=["GET"]),
        Route(base + "/{id}", update_draft, methods=["PUT"]),
        Route(base + "/{id}", delete_draft, methods=["DELETE"]),
        Route(upload, create_upload, methods=["POST"]),
        Route(upload + "/send", send_upload, methods=["POST"]),
        Route(upload + "/{id}", update_upload, methods=["PUT"]),
        Route(resumable, create_upload, methods=["POST"]),
        Route(resumable + "/send", send_upload, methods=["POST"]),
        Route(resumable + "/{id}", update_upload, methods=["PUT"]),
    ]
