"""The calls for one mailbox at one priority (`GmailClient.mailbox()` hands them out).

A `MailboxClient` speaks for one mailbox ("me" on the wire; `key` is gpanel's id for it) at
one priority: interactive for views and actions, background for jobs. Every method maps to one
Gmail method of the discovery document and returns Google's JSON as a dict; failures are the
exceptions of `errors.py`. Calls go through the shared dispatcher (budget, in-flight limits,
retries, counters); reads of many ids go out as batches.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from gpanel.gmail import discovery
from gpanel.gmail.batch import run_batch
from gpanel.gmail.budget import Priority
from gpanel.gmail.dispatch import Dispatcher, Outgoing
from gpanel.gmail.errors import BadResponse, Conflict, GmailError, InvalidRequest
from gpanel.gmail.history import HistoryPage
from gpanel.gmail.retry import Attempts, RetryPolicy
from gpanel.gmail.sending import SIMPLE_SEND_BYTES, max_send_bytes, resumable_upload

_ME = "me"
MAX_BATCH_MODIFY = 1000
MAX_LABEL_CHANGES = 100


class SharedWire(Protocol):
    """What a mailbox's calls use of the process-wide `GmailClient` (client.py)."""

    base_url: str
    batch_url: str
    batch_size: int
    dispatcher: Dispatcher


class MailboxClient:
    def __init__(
        self, client: SharedWire, key: str, priority: Priority, retry: RetryPolicy
    ) -> None:
        self.client = client
        self.key = key
        self.priority = priority
        self.retry = retry

    def last_write(self) -> float:
        """When gpanel's last write to this mailbox ended (`Dispatcher.last_write`)."""
        return self.client.dispatcher.last_write(self.key)

    # --- plumbing ------------------------------------------------------------------------
    async def _call(
        self,
        method_id: str,
        params: dict[str, object] | None = None,
        *,
        body: dict[str, Any] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        built = discovery.build(method_id, {"userId": _ME, **(params or {})})
        out = Outgoing(
            calls=(method_id,),
            http_method=built.http_method,
            url=self.client.base_url + built.path,
            query=built.query,
            headers={"Content-Type": "application/json"} if body is not None else {},
            content=json.dumps(body).encode() if body is not None else None,
            error_method=method_id,
            idempotent=idempotent,
        )
        return await self._send_json(out)

    async def _send_json(self, out: Outgoing) -> dict[str, Any]:
        resp = await self.client.dispatcher.send(self.key, self.priority, Attempts(self.retry), out)
        if not resp.content.strip():
            return {}
        try:
            value = resp.json()
        except (ValueError, UnicodeDecodeError):
            raise BadResponse(
                "Gmail answered malformed JSON", status=resp.status_code, method=out.error_method
            ) from None
        if not isinstance(value, dict):
            raise BadResponse(
                "Gmail answered JSON that is not an object",
                status=resp.status_code,
                method=out.error_method,
            )
        return value

    async def _batch_get(
        self, method_id: str, ids: Iterable[str], params: dict[str, object]
    ) -> dict[str, dict[str, Any] | GmailError]:
        unique = list(dict.fromkeys(ids))
        calls = {i: discovery.build(method_id, {"userId": _ME, "id": i, **params}) for i in unique}
        # One run: batches sized by the mailbox's window, refused parts retried, all inside
        # this call's retry policy (one deadline for the whole read).
        merged = await run_batch(
            self.client.dispatcher,
            self.key,
            self.priority,
            Attempts(self.retry),
            self.client.batch_url,
            calls,
        )
        return {i: merged[i] for i in unique}

    async def call(
        self, method_id: str, params: dict[str, object] | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Any discovery method by id (sending.py's drafts and sendAs calls use this)."""
        return await self._call(method_id, params, **kw)

    async def send_outgoing(self, out: Outgoing) -> dict[str, Any]:
        """A prepared request (a media upload) through the dispatcher; its JSON answer."""
        return await self._send_json(out)

    # --- reading -------------------------------------------------------------------------
    async def profile(self) -> dict[str, Any]:
        return await self._call("gmail.users.getProfile")

    def _list_params(
        self,
        q: str | None,
        label_ids: Sequence[str],
        page_token: str | None,
        max_results: int,
        include_spam_trash: bool,
    ) -> dict[str, object]:
        return {
            "q": q or None,
            "labelIds": list(label_ids) or None,
            "pageToken": page_token,
            "maxResults": max_results,
            "includeSpamTrash": include_spam_trash,
        }

    async def list_threads(
        self,
        q: str | None = None,
        *,
        label_ids: Sequence[str] = (),
        page_token: str | None = None,
        max_results: int = 50,
        include_spam_trash: bool = False,
    ) -> dict[str, Any]:
        params = self._list_params(q, label_ids, page_token, max_results, include_spam_trash)
        return await self._call("gmail.users.threads.list", params)

    async def list_messages(
        self,
        q: str | None = None,
        *,
        label_ids: Sequence[str] = (),
        page_token: str | None = None,
        max_results: int = 50,
        include_spam_trash: bool = False,
    ) -> dict[str, Any]:
        params = self._list_params(q, label_ids, page_token, max_results, include_spam_trash)
        return await self._call("gmail.users.messages.list", params)

    async def list_all_message_ids(
        self, q: str | None, *, label_ids: Sequence[str] = (), limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Every `{"id", "threadId"}` matching, following page tokens (500 a page)."""
        found: list[dict[str, Any]] = []
        token: str | None = None
        while limit is None or len(found) < limit:
            want = 500 if limit is None else min(500, limit - len(found))
            page = await self.list_messages(
                q, label_ids=label_ids, page_token=token, max_results=want
            )
            found.extend(page.get("messages", []))
            token = page.get("nextPageToken")
            if not token:
                break
        return found if limit is None else found[:limit]

    async def get_thread(
        self, thread_id: str, *, format: str = "full", metadata_headers: Sequence[str] = ()
    ) -> dict[str, Any]:
        return await self._call(
            "gmail.users.threads.get",
            {"id": thread_id, "format": format, "metadataHeaders": list(metadata_headers) or None},
        )

    async def get_message(
        self, message_id: str, *, format: str = "full", metadata_headers: Sequence[str] = ()
    ) -> dict[str, Any]:
        return await self._call(
            "gmail.users.messages.get",
            {"id": message_id, "format": format, "metadataHeaders": list(metadata_headers) or None},
        )

    async def batch_get_threads(
        self, ids: Iterable[str], *, format: str = "metadata", metadata_headers: Sequence[str] = ()
    ) -> dict[str, dict[str, Any] | GmailError]:
        """Each thread's JSON or its own error (e.g. `NotFound`), one round trip per chunk."""
        return await self._batch_get(
            "gmail.users.threads.get",
            ids,
            {"format": format, "metadataHeaders": list(metadata_headers) or None},
        )

    async def batch_get_messages(
        self, ids: Iterable[str], *, format: str = "metadata", metadata_headers: Sequence[str] = ()
    ) -> dict[str, dict[str, Any] | GmailError]:
        return await self._batch_get(
            "gmail.users.messages.get",
            ids,
            {"format": format, "metadataHeaders": list(metadata_headers) or None},
        )

    async def get_attachment(self, message_id: str, attachment_id: str) -> bytes:
        body = await self._call(
            "gmail.users.messages.attachments.get", {"messageId": message_id, "id": attachment_id}
        )
        data = body.get("data")
        if not isinstance(data, str):
            raise BadResponse("Attachment answer has no data", method="attachments.get")
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))

    # --- changing labels -------------------------------------------------------------------
    @staticmethod
    def _changes(add: Sequence[str], remove: Sequence[str], method_id: str) -> dict[str, Any]:
        if len(add) + len(remove) > MAX_LABEL_CHANGES:
            raise InvalidRequest("At most 100 label changes per call", method=method_id)
        return {"addLabelIds": list(add), "removeLabelIds": list(remove)}

    async def modify_thread(
        self, thread_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> dict[str, Any]:
        m = "gmail.users.threads.modify"
        return await self._call(m, {"id": thread_id}, body=self._changes(add, remove, m))

    async def modify_message(
        self, message_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> dict[str, Any]:
        m = "gmail.users.messages.modify"
        return await self._call(m, {"id": message_id}, body=self._changes(add, remove, m))

    async def batch_modify(
        self, ids: Iterable[str], add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        """Apply the same label change to many messages, 1000 ids a call."""
        m = "gmail.users.messages.batchModify"
        changes = self._changes(add, remove, m)
        unique = list(dict.fromkeys(ids))
        await asyncio.gather(
            *(
                self._call(m, body={"ids": unique[n : n + MAX_BATCH_MODIFY], **changes})
                for n in range(0, len(unique), MAX_BATCH_MODIFY)
            )
        )

    async def get_label(self, label_id: str) -> dict[str, Any]:
        """One label with its exact counts (messagesTotal, threadsTotal, ...): 1 quota unit."""
        return await self._call("gmail.users.labels.get", {"id": label_id})

    async def list_labels(self) -> list[dict[str, Any]]:
        body = await self._call("gmail.users.labels.list")
        labels = body.get("labels", [])
        return labels if isinstance(labels, list) else []

    async def create_label(
        self,
        name: str,
        *,
        color: dict[str, str] | None = None,
        label_list_visibility: str = "labelShow",
        message_list_visibility: str = "show",
    ) -> dict[str, Any]:
        """Create a label; if Gmail says it exists (409), return the existing one."""
        body: dict[str, Any] = {
            "name": name,
            "labelListVisibility": label_list_visibility,
            "messageListVisibility": message_list_visibility,
        }
        if color is not None:
            body["color"] = color
        try:
            return await self._call("gmail.users.labels.create", body=body)
        except Conflict:
            existing = self._find_label(await self.list_labels(), name)
            if existing is None:
                raise
            return existing

    async def ensure_label(self, name: str, color: dict[str, str] | None = None) -> dict[str, Any]:
        """The label called `name`, created (once) if the mailbox does not have it."""
        existing = self._find_label(await self.list_labels(), name)
        if existing is not None:
            return existing
        return await self.create_label(name, color=color)

    @staticmethod
    def _find_label(labels: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
        # Gmail compares label names without regard to case.
        wanted = name.casefold()
        return next((lb for lb in labels if str(lb.get("name", "")).casefold() == wanted), None)

    # --- change tracking -------------------------------------------------------------------
    async def history(
        self,
        start_history_id: str,
        *,
        history_types: Sequence[str] = (),
        label_id: str | None = None,
        page_token: str | None = None,
        max_results: int = 500,
    ) -> HistoryPage:
        """One page of changes since `start_history_id`; `HistoryExpired` if it is too old."""
        body = await self._call(
            "gmail.users.history.list",
            {
                "startHistoryId": str(start_history_id),
                "historyTypes": list(history_types) or None,
                "labelId": label_id,
                "pageToken": page_token,
                "maxResults": max_results,
            },
        )
        return HistoryPage.from_response(body, str(start_history_id))

    async def history_all(
        self,
        start_history_id: str,
        *,
        history_types: Sequence[str] = (),
        label_id: str | None = None,
    ) -> HistoryPage:
        """Every change since `start_history_id`, all pages followed."""
        pages = [
            await self.history(start_history_id, history_types=history_types, label_id=label_id)
        ]
        while pages[-1].next_page_token:
            pages.append(
                await self.history(
                    start_history_id,
                    history_types=history_types,
                    label_id=label_id,
                    page_token=pages[-1].next_page_token,
                )
            )
        return HistoryPage.merge(pages)

    async def watch(self, topic_name: str, label_ids: Sequence[str] = ()) -> dict[str, Any]:
        body: dict[str, Any] = {"topicName": topic_name}
        if label_ids:
            body["labelIds"] = list(label_ids)
            body["labelFilterBehavior"] = "include"
        return await self._call("gmail.users.watch", body=body)

    async def stop(self) -> None:
        await self._call("gmail.users.stop")

    # --- sending ---------------------------------------------------------------------------
    async def send(self, raw: bytes, *, thread_id: str | None = None) -> dict[str, Any]:
        """Send an RFC 2822 message (in `thread_id`'s thread when given).

        Up to 5 MB goes as JSON (`raw`, base64url); larger by resumable upload; over Gmail's
        35 MB cap it is refused here, before any network traffic.
        """
        m = "gmail.users.messages.send"
        if len(raw) > max_send_bytes():
            raise InvalidRequest(
                "Message exceeds Gmail's 35 MB limit",
                method=m,
                user_message="This message is larger than Gmail's 35 MB limit. "
                "Remove or shrink attachments.",
            )
        if len(raw) <= SIMPLE_SEND_BYTES:
            body: dict[str, Any] = {"raw": base64.urlsafe_b64encode(raw).decode()}
            if thread_id:
                body["threadId"] = thread_id
            return await self._call(m, body=body, idempotent=False)
        meta: dict[str, Any] = {"threadId": thread_id} if thread_id else {}
        return await resumable_upload(self, m, {}, meta, raw)
