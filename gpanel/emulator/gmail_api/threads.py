"""users.threads.*: list (threads ordered by their newest matching message), get in the
minimal/metadata/full formats, modify, trash, untrash and delete.

A thread matches a list query when any of its messages does; threads.get returns every message
of the thread, trashed ones included, as Gmail does. Each listed thread carries its snippet (its
newest message's) and its historyId (the newest history record that touched any of its
messages), which clients use to tell what changed.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator.gmail_api.common import (
    PREFIX,
    authorize,
    format_param,
    json_body,
    list_param,
    metadata_forbids,
    respond,
    string_list,
)
from gpanel.emulator.gmail_api.messages import (
    filtered,
    message_resource,
    page,
    short_resource,
)
from gpanel.emulator.state import Mailbox, Message


def _thread_summary(mailbox: Mailbox, thread_id: str) -> dict[str, Any]:
    messages = mailbox.thread(thread_id)
    return {
        "id": thread_id,
        "snippet": messages[-1].summary.snippet,
        "historyId": str(max(m.history_id for m in messages)),
    }


async def list_threads(request: Request) -> Response:
    call = authorize(request, "gmail.users.threads.list")
    keep = filtered(call, request, request.query_params.get("q"), list_param(request, "labelIds"))
    newest: dict[str, Message] = {}
    with call.state.lock:
        for message in call.mailbox.newest_first():
            if message.thread_id not in newest and keep(message):
                newest[message.thread_id] = message
        # Threads come in the order of their newest matching message (dict keeps that order).
        found = list(newest.values())
        chunk, token = page(found, lambda m: (m.internal_date_ms, m.thread_id), request)
        body: dict[str, Any] = {}
        if chunk:
            body["threads"] = [_thread_summary(call.mailbox, m.thread_id) for m in chunk]
    if token:
        body["nextPageToken"] = token
    body["resultSizeEstimate"] = len(found)
    return respond(request, body)


def _thread_resource(
    mailbox: Mailbox, thread_id: str, fmt: str, metadata_headers: list[str]
) -> dict[str, Any]:
    messages = mailbox.thread(thread_id)
    return {
        "id": thread_id,
        "historyId": str(max(m.history_id for m in messages)),
        "messages": [message_resource(mailbox, m, fmt, metadata_headers) for m in messages],
    }


async def get_thread(request: Request) -> Response:
    call = authorize(request, "gmail.users.threads.get")
    fmt = format_param(request, ("minimal", "metadata", "full"))
    metadata_forbids(call, fmt=fmt)
    headers = list_param(request, "metadataHeaders")
    with call.state.lock:
        body = _thread_resource(call.mailbox, request.path_params["id"], fmt, headers)
    return respond(request, body)


def _apply(mailbox: Mailbox, thread_id: str, add: list[str], remove: list[str]) -> dict[str, Any]:
    mailbox.labels.check_ids([*add, *remove])
    messages = [mailbox.modify(m.id, add, remove) for m in mailbox.thread(thread_id)]
    return {
        "id": thread_id,
        "historyId": str(max(m.history_id for m in messages)),
        "messages": [short_resource(m) for m in messages],
    }


async def modify_thread(request: Request) -> Response:
    call = authorize(request, "gmail.users.threads.modify")
    body = await json_body(request, required=False)
    add = string_list(body, "addLabelIds", 100)
    remove = string_list(body, "removeLabelIds", 100)
    return respond(request, _apply(call.mailbox, request.path_params["id"], add, remove))


async def trash_thread(request: Request) -> Response:
    call = authorize(request, "gmail.users.threads.trash")
    return respond(request, _apply(call.mailbox, request.path_params["id"], ["TRASH"], ["SPAM"]))


async def untrash_thread(request: Request) -> Response:
    call = authorize(request, "gmail.users.threads.untrash")
    return respond(request, _apply(call.mailbox, request.path_params["id"], [], ["TRASH"]))


async def delete_thread(request: Request) -> Response:
    call = authorize(request, "gmail.users.threads.delete")
    for message in call.mailbox.thread(request.path_params["id"]):
        call.mailbox.delete(message.id)
    return respond(request, None)


def routes() -> list[BaseRoute]:
    base = PREFIX + "/threads"
    return [
        Route(base, list_threads, methods=["GET"]),
        Route(base + "/{id}/modify", modify_thread, methods=["POST"]),
        Route(base + "/{id}/trash", trash_thread, methods=["POST"]),
        Route(base + "/{id}/untrash", untrash_thread, methods=["POST"]),
        Route(base + "/{id}", get_thread, methods=["GET"]),
        Route(base + "/{id}", delete_thread, methods=["DELETE"]),
    ]
