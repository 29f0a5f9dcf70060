"""Change tracking: users.getProfile, users.history.list, users.watch/stop and push delivery.

history.list answers the records after `startHistoryId` (404 notFound once they have left the
retention window), filtered by `historyTypes` and `labelId`, paged by record id. When
`config.push_endpoint` is set and a mailbox is watched, `PushNotifier` POSTs a Cloud Pub/Sub
push body after changes: at most one per second per mailbox, from a background task so the
request that caused the change never waits for it. Delivery failures are dropped, as Pub/Sub
push may lose or delay messages; clients must keep polling history.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import itertools
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator import errors
from gpanel.emulator.gmail_api.common import (
    PREFIX,
    authorize,
    int_param,
    json_body,
    list_param,
    respond,
)
from gpanel.emulator.state import (
    LABEL_ADDED,
    LABEL_REMOVED,
    MESSAGE_ADDED,
    MESSAGE_DELETED,
    Change,
    EmulatorState,
    Mailbox,
)

log = logging.getLogger(__name__)

WATCH_DAYS = 7
_TYPES = (MESSAGE_ADDED, MESSAGE_DELETED, LABEL_ADDED, LABEL_REMOVED)
_KEYS = {
    MESSAGE_ADDED: "messagesAdded",
    MESSAGE_DELETED: "messagesDeleted",
    LABEL_ADDED: "labelsAdded",
    LABEL_REMOVED: "labelsRemoved",
}
_TOPIC = re.compile(r"projects/[^/]+/topics/[^/]+")


async def get_profile(request: Request) -> Response:
    call = authorize(request, "gmail.users.getProfile")
    mailbox = call.mailbox
    return respond(
        request,
        {
            "emailAddress": mailbox.owner,
            "messagesTotal": len(mailbox.messages),
            "threadsTotal": len(mailbox.threads),
            "historyId": str(mailbox.history_id),
        },
    )


def _change_json(change: Change) -> dict[str, Any]:
    message: dict[str, Any] = {"id": change.message_id, "threadId": change.thread_id}
    if change.kind != MESSAGE_DELETED and change.message_labels:
        message["labelIds"] = list(change.message_labels)
    item: dict[str, Any] = {"message": message}
    if change.kind in (LABEL_ADDED, LABEL_REMOVED):
        item["labelIds"] = list(change.label_ids)
    return item


def _label_matches(mailbox: Mailbox, change: Change, label_id: str, by_thread: bool) -> bool:
    """Whether `labelId` keeps a change: per message at the change, or per thread now."""
    if by_thread:
        return label_id in mailbox.thread_labels(change.thread_id)
    return label_id in change.message_labels or label_id in change.label_ids


async def list_history(request: Request) -> Response:
    call = authorize(request, "gmail.users.history.list")
    start_text = request.query_params.get("startHistoryId", "")
    if not start_text:
        raise errors.bad_request("Required parameter: startHistoryId", reason="required")
    if not start_text.isdigit():
        raise errors.bad_request(
            f"Invalid value at 'start_history_id' (TYPE_UINT64), \"{start_text[:40]}\"",
            reason="invalid",
        )
    types = set()
    for value in list_param(request, "historyTypes"):
        for name in value.split(","):
            if name not in _TYPES:
                raise errors.bad_request(
                    f"Invalid value at 'history_types' (type.googleapis.com/"
                    f'google.apps.gmail.v1.ListHistoryRequest.HistoryType), "{name[:40]}"',
                    reason="invalid",
                )
            types.add(name)
    label_id = request.query_params.get("labelId")
    size = int_param(request, "maxResults", 100, 1, 500)
    start = int(start_text)
    token = request.query_params.get("pageToken", "")
    if token:
        if not token.isdigit():
            raise errors.bad_request("Invalid pageToken", reason="invalidArgument")
        start = max(start, int(token))
    mailbox = call.mailbox
    records = mailbox.history_since(int(start_text))
    by_thread = mailbox.config.history_label_filter == "thread"
    out: list[dict[str, Any]] = []
    next_token = None
    for record in records:
        if record.id <= start:
            continue
        changes = [
            c
            for c in record.changes
            if (not types or c.kind in types)
            and (label_id is None or _label_matches(mailbox, c, label_id, by_thread))
        ]
        if not changes:
            continue
        if len(out) == size:
            next_token = str(out[-1]["id"])
            break
        item: dict[str, Any] = {
            "id": str(record.id),
            "messages": [{"id": c.message_id, "threadId": c.thread_id} for c in changes],
        }
        for change in changes:
            item.setdefault(_KEYS[change.kind], []).append(_change_json(change))
        out.append(item)
    body: dict[str, Any] = {}
    if out:
        body["history"] = out
    if next_token:
        body["nextPageToken"] = next_token
    body["historyId"] = str(mailbox.history_id)
    return respond(request, body)


async def watch(request: Request) -> Response:
    call = authorize(request, "gmail.users.watch")
    body = await json_body(request)
    topic = body.get("topicName")
    if not isinstance(topic, str) or not _TOPIC.fullmatch(topic):
        raise errors.bad_request(
            "Invalid topicName does not match projects/SOME_PROJECT/topics/*",
            reason="invalidArgument",
        )
    labels = body.get("labelIds") or []
    if not isinstance(labels, list):
        raise errors.bad_request("Invalid value at 'label_ids'", reason="invalid")
    mailbox = call.mailbox
    expiration = int(time.time() * 1000) + WATCH_DAYS * 86_400_000
    mailbox.watch_expiration_ms = expiration
    mailbox.watch_label_ids = frozenset(str(x) for x in labels)
    mailbox.watch_topic = topic
    return respond(request, {"historyId": str(mailbox.history_id), "expiration": str(expiration)})


async def stop(request: Request) -> Response:
    call = authorize(request, "gmail.users.stop")
    call.mailbox.watch_expiration_ms = None
    return respond(request, None)


class PushNotifier:
    """Sends Pub/Sub-shaped push messages for watched mailboxes, rate-limited per mailbox."""

    def __init__(
        self, state: EmulatorState, sign: Callable[[dict[str, Any]], str] | None = None
    ) -> None:
        self._state = state
        self._sign = sign  # signs the push's OIDC token (the OAuth server's key, from app.py)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._pending: set[str] = set()
        self._last_sent: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._guard = threading.Lock()

    def bind_loop(self) -> None:
        """Remember the serving loop, so changes made from other threads can schedule pushes."""
        self._loop = asyncio.get_running_loop()

    def on_change(self, mailbox: Mailbox, changes: list[Change]) -> None:
        if not self._state.config.push_endpoint or self._loop is None:
            return
        expires = mailbox.watch_expiration_ms
        if expires is None or expires < time.time() * 1000:
            return
        wanted = mailbox.watch_label_ids
        if wanted and not any(wanted & set(c.message_labels + c.label_ids) for c in changes):
            return
        key = mailbox.owner.lower()
        with self._guard:
            if key in self._pending:
                return  # a push is already scheduled; it will carry the newest historyId
            self._pending.add(key)
        try:
            self._loop.call_soon_threadsafe(self._start, mailbox)
        except RuntimeError:  # the serving loop is gone (emulator stopped)
            with self._guard:
                self._pending.discard(key)

    def _start(self, mailbox: Mailbox) -> None:
        task = asyncio.get_running_loop().create_task(self._push(mailbox))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(self, mailbox: Mailbox) -> None:
        key = mailbox.owner.lower()
        wait = self._last_sent.get(key, 0.0) + 1.0 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        with self._guard:
            self._pending.discard(key)
        self._last_sent[key] = time.monotonic()
        data = json.dumps({"emailAddress": mailbox.owner, "historyId": mailbox.history_id})
        project = mailbox.watch_topic.split("/")[1]
        message_id = str(next(self._ids))
        published = (
            dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
        body = {
            # Pub/Sub push bodies carry both spellings of these two fields.
            "message": {
                "data": base64.urlsafe_b64encode(data.encode()).decode(),
                "messageId": message_id,
                "message_id": message_id,
                "publishTime": published,
                "publish_time": published,
            },
            "subscription": f"projects/{project}/subscriptions/gmail-push",
        }
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0)
        endpoint = self._state.config.push_endpoint
        try:
            await self._client.post(str(endpoint), json=body, headers=self._auth_headers())
        except httpx.HTTPError as exc:
            log.info("push to watch endpoint failed: %s", type(exc).__name__)

    def _auth_headers(self) -> dict[str, str]:
        """`Authorization: Bearer <JWT>` as authenticated Pub/Sub push sends it, or nothing."""
        config = self._state.config
        if not config.push_audience or self._sign is None:
            return {}
        now = int(time.time())
        account = config.push_service_account
        claims = {
            "iss": "https://accounts.google.com",
            "aud": config.push_audience,
            "azp": account,
            # Google's subject is the account's numeric id; a stable stand-in of 21 digits.
            "sub": str(int(hashlib.sha256(account.encode()).hexdigest(), 16) % 10**21),
            "email": account,
            "email_verified": True,
            "iat": now,
            "exp": now + 3600,
        }
        return {"Authorization": f"Bearer {self._sign(claims)}"}

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def routes() -> list[BaseRoute]:
    return [
        Route(PREFIX + "/profile", get_profile, methods=["GET"]),
        Route(PREFIX + "/history", list_history, methods=["GET"]),
        Route(PREFIX + "/watch", watch, methods=["POST"]),
        Route(PREFIX + "/stop", stop, methods=["POST"]),
    ]
