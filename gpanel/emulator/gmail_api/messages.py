"""users.messages.*: list (with `q`), get in every format, send, insert, modify, batchModify,
trash, untrash, delete, batchDelete and attachments.get, as the discovery document defines them.

Listing is newest first by internalDate; SPAM and TRASH are left out unless `includeSpamTrash`
is true or the query or `labelIds` name them. Page tokens are opaque cursors (the last item's
date and id), so a page stays correct when mail arrives between calls.
"""

from __future__ import annotations

import base64
import email.utils
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator import errors
from gpanel.emulator.gmail_api.common import (
    PREFIX,
    Call,
    authorize,
    bool_param,
    decode_raw,
    format_param,
    int_param,
    json_body,
    list_param,
    metadata_forbids,
    respond,
    string_list,
)
from gpanel.emulator.mime import payload as mime_payload
from gpanel.emulator.search import Matcher
from gpanel.emulator.state import Mailbox, Message

HIDDEN = ("SPAM", "TRASH")
FORMATS = ("minimal", "metadata", "full", "raw")
T = TypeVar("T")


def message_resource(
    mailbox: Mailbox, message: Message, fmt: str, metadata_headers: Sequence[str] = ()
) -> dict[str, Any]:
    """Gmail's Message resource, in the field order Google sends."""
    out: dict[str, Any] = {"id": message.id, "threadId": message.thread_id}
    if message.label_ids:
        out["labelIds"] = list(message.label_ids)
    out["snippet"] = message.summary.snippet
    if fmt == "full":
        out["payload"] = mime_payload.payload_resource(message.raw, message.id)
    elif fmt == "metadata":
        out["payload"] = mime_payload.metadata_payload(message.raw, list(metadata_headers))
    out["sizeEstimate"] = len(message.raw)
    if fmt == "raw":
        out["raw"] = mime_payload.b64url(message.raw)
    out["historyId"] = str(message.history_id)
    out["internalDate"] = str(message.internal_date_ms)
    return out


def short_resource(message: Message) -> dict[str, Any]:
    """What modify/send/trash answer with: id, threadId and labelIds."""
    out: dict[str, Any] = {"id": message.id, "threadId": message.thread_id}
    if message.label_ids:
        out["labelIds"] = list(message.label_ids)
    return out


def filtered(
    call: Call, request: Request, q: str | None, label_ids: list[str]
) -> Callable[[Message], bool]:
    """The predicate list views share: labelIds, `q`, and the spam/trash rule."""
    metadata_forbids(call, q=q)
    mailbox = call.mailbox
    matcher = None
    if q:
        matcher = Matcher(
            q,
            lambda name: _label_id(mailbox, name),
            address_mode=mailbox.config.search_mode,
            labels=lambda: [(x.id, x.name) for x in mailbox.labels.all()],
        )
    include = bool_param(request, "includeSpamTrash") or any(x in HIDDEN for x in label_ids)
    include = include or (matcher is not None and matcher.mentions_spam_trash)
    wanted = set(label_ids)

    def keep(message: Message) -> bool:
        labels = message.label_ids
        if not include and any(x in HIDDEN for x in labels):
            return False
        if not wanted.issubset(labels):
            return False
        return matcher is None or matcher(message)

    return keep


def _label_id(mailbox: Mailbox, name: str) -> str | None:
    label = mailbox.labels.by_name(name)
    if label is not None:
        return label.id
    upper = name.upper()
    return upper if upper in {x.id for x in mailbox.labels.all()} else None


def page(
    items: list[T], key: Callable[[T], tuple[int, str]], request: Request
) -> tuple[list[T], str | None]:
    """One page of newest-first items after the cursor in `pageToken`, and the next token."""
    size = int_param(request, "maxResults", 100, 1, 500)
    token = request.query_params.get("pageToken")
    if token:
        try:
            padded = token + "=" * (-len(token) % 4)
            date_text, _, last_id = base64.urlsafe_b64decode(padded).decode().partition(":")
            cursor = (int(date_text), last_id)
        except (ValueError, UnicodeDecodeError):
            raise errors.bad_request("Invalid pageToken", reason="invalidArgument") from None
        items = [item for item in items if key(item) < cursor]
    chunk = items[:size]
    if len(items) <= size:
        return chunk, None
    date_ms, last = key(chunk[-1])
    return chunk, base64.urlsafe_b64encode(f"{date_ms}:{last}".encode()).decode().rstrip("=")


async def list_messages(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.list")
    keep = filtered(call, request, request.query_params.get("q"), list_param(request, "labelIds"))
    with call.state.lock:
        found = [m for m in call.mailbox.newest_first() if keep(m)]
    chunk, token = page(found, lambda m: (m.internal_date_ms, m.id), request)
    body: dict[str, Any] = {}
    if chunk:
        body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in chunk]
    if token:
        body["nextPageToken"] = token
    body["resultSizeEstimate"] = len(found)
    return respond(request, body)


async def get_message(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.get")
    fmt = format_param(request, FORMATS)
    metadata_forbids(call, fmt=fmt)
    message = call.mailbox.get(request.path_params["id"])
    headers = list_param(request, "metadataHeaders")
    return respond(request, message_resource(call.mailbox, message, fmt, headers))


def _raw_from(body: dict[str, Any], upload_hint: bool = True) -> bytes:
    if not body.get("raw"):
        raise errors.bad_request(
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
            reason="invalidArgument",
        )
    return decode_raw(body["raw"])


async def send_message(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.send")
    body = await json_body(request)
    raw = _raw_from(body)
    thread_id = body.get("threadId")
    message = call.mailbox.send_raw(raw, thread_id if isinstance(thread_id, str) else None)
    return respond(request, short_resource(message))


def _date_header_ms(raw: bytes) -> int | None:
    msg = mime_payload.parse(raw)
    try:
        value = msg.get("Date")
        parsed = email.utils.parsedate_to_datetime(str(value)) if value else None
        return int(parsed.timestamp() * 1000) if parsed else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


async def insert_message(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.insert")
    body = await json_body(request)
    raw = _raw_from(body)
    labels = string_list(body, "labelIds")
    when = None
    if request.query_params.get("internalDateSource") == "dateHeader":
        when = _date_header_ms(raw)
    thread_id = body.get("threadId")
    message = call.mailbox.insert_raw(
        raw,
        labels,
        when or int(time.time() * 1000),
        thread_id if isinstance(thread_id, str) else None,
    )
    return respond(request, short_resource(message))


async def _label_changes(request: Request) -> tuple[list[str], list[str]]:
    body = await json_body(request, required=False)
    return string_list(body, "addLabelIds", 100), string_list(body, "removeLabelIds", 100)


async def modify_message(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.modify")
    add, remove = await _label_changes(request)
    message = call.mailbox.modify(request.path_params["id"], add, remove)
    return respond(request, short_resource(message))


async def batch_modify(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.batchModify")
    body = await json_body(request)
    ids = string_list(body, "ids", 1000)
    add = string_list(body, "addLabelIds", 100)
    remove = string_list(body, "removeLabelIds", 100)
    call.mailbox.labels.check_ids([*add, *remove])
    for message_id in ids:
        # Ids that no longer exist are skipped, so one stale id does not fail the whole batch.
        if message_id in call.mailbox.messages:
            call.mailbox.modify(message_id, add, remove)
    return respond(request, None)


async def trash_message(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.trash")
    message = call.mailbox.modify(request.path_params["id"], ["TRASH"], ["SPAM"])
    return respond(request, short_resource(message))


async def untrash_message(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.untrash")
    message = call.mailbox.modify(request.path_params["id"], [], ["TRASH"])
    return respond(request, short_resource(message))


async def delete_message(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.delete")
    call.mailbox.delete(request.path_params["id"])
    return respond(request, None)


async def batch_delete(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.batchDelete")
    body = await json_body(request)
    for message_id in string_list(body, "ids", 1000):
        if message_id in call.mailbox.messages:
            call.mailbox.delete(message_id)
    return respond(request, None)


async def get_attachment(request: Request) -> Response:
    call = authorize(request, "gmail.users.messages.attachments.get")
    message = call.mailbox.get(request.path_params["messageId"])
    att_id = request.path_params["id"]
    data = mime_payload.attachment_bytes(message.raw, message.id, att_id)
    if data is None:
        raise errors.bad_request("Invalid attachment token", reason="invalidArgument")
    return respond(request, {"size": len(data), "data": mime_payload.b64url(data)})


def routes() -> list[BaseRoute]:
    base = PREFIX + "/messages"
    return [
        Route(base, list_messages, methods=["GET"]),
        Route(base, insert_message, methods=["POST"]),
        Route(base + "/send", send_message, methods=["POST"]),
        Route(base + "/batchModify", batch_modify, methods=["POST"]),
        Route(base + "/batchDelete", batch_delete, methods=["POST"]),
        Route(base + "/{messageId}/attachments/{id}", get_attachment, methods=["GET"]),
        Route(base + "/{id}/modify", modify_message, methods=["POST"]),
        Route(base + "/{id}/trash", trash_message, methods=["POST"]),
        Route(base + "/{id}/untrash", untrash_message, methods=["POST"]),
        Route(base + "/{id}", get_message, methods=["GET"]),
        Route(base + "/{id}", delete_message, methods=["DELETE"]),
    ]
