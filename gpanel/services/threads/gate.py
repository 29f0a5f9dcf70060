"""One Gmail thread opened from a CRM record: who may open it, and reading it from Gmail.

`authorize_thread()` is what every thread path goes through (the page, the JSON API,
attachments, inline images and actions). It answers `ThreadNotFound` (shown as a plain 404,
never saying which check failed, so nothing about a mailbox or thread leaks) unless the
panel's own gate (`services.panel.gate`, judging with `panel.rules.evaluate`) would list the
thread on this record for this viewer: record access, a connected mailbox its owner shares
with the viewer, a real participant of the record (a deal counts its company's addresses
too, as the panel can show those on request), not all in spam or trash, no blocked
participant (org-wide, the viewer's or the owner's rule), not group mail, not internal-only
(for anyone but the owner), not private. The grant's detail is the panel's. Others never see
the thread's messages that sit in Spam or Trash.

A thread unlinked from this record still opens when every other rule lets it; the grant says
so, and the page offers to undo the unlink.

Reading: `threads.get(format=full)` in one round trip, alongside `getProfile` and
`labels.list` (sent together, so still one sequential round trip). A text body too large for
Gmail to inline (several MB) arrives as an `attachmentId`; those few bodies are fetched in one
more round trip, in parallel, and cut to the reader's limit. The parsed thread is kept in
the process's `ContentCache` keyed by (mailbox, thread) and reused only while `getProfile`
(1 quota unit) reports the same mailbox history id. Opening a thread marks its owner's
MailMagnet hits for that thread opened, when the owner opens it (the "New" badge is theirs).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm.errors import RecordNotFound
from gpanel.crm.models import RecordType
from gpanel.gmail import GmailError, MailboxClient, NotFound, RetryPolicy
from gpanel.mail.headers import MessageSummary
from gpanel.mail.message import DEFAULT_MAX_BODY_BYTES, MessageView, read_message
from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.panel.content_cache import estimate_size
from gpanel.services.panel.gate import open_record
from gpanel.services.panel.rules import HIDDEN_LABELS, Reason, ThreadMeta
from gpanel.services.records.access import Forbidden
from gpanel.services.sharing.policy import Detail
from gpanel.services.sharing.rules import OwnerSharing
from gpanel.store.tables import magnet_hits, users

log = logging.getLogger("gpanel.threads")

# A view gives Gmail a few seconds, then explains, rather than hanging the page.
VIEW_RETRY = RetryPolicy(max_tries=3, base=0.25, cap=2.0, deadline=6.0, max_retry_after=3.0)

MAX_SEPARATE_BODIES = 10  # bodies Gmail sends apart (over ~4 MB) fetched per thread, at most


class ThreadNotFound(Exception):
    """Not there, or not for this viewer on this record: the web layer shows one plain 404."""


class ThreadUnavailable(Exception):
    """Gmail did not answer usefully; `user_message` says what to do, in plain words."""

    def __init__(self, user_message: str, status: int = 503) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.status = status


@dataclass(frozen=True)
class LoadedThread:
    """A parsed `format=full` thread and the mailbox's labels (id -> name)."""

    id: str
    history_id: str
    messages: tuple[MessageView, ...]
    label_names: Mapping[str, str]
    user_labels: tuple[tuple[str, str], ...]  # (id, name) of the mailbox's own labels, sorted

    @property
    def label_ids(self) -> tuple[str, ...]:
        """Every label any message carries, in first-seen order (Gmail's thread labels)."""
        return tuple(dict.fromkeys(label for m in self.messages for label in m.label_ids))


@dataclass(frozen=True)
class ThreadGrant:
    detail: Detail
    mailbox: mailboxes.Mailbox
    owner: OwnerSharing
    viewer: CurrentUser
    record_type: RecordType
    record_id: int
    thread: LoadedThread
    unlinked: bool

    @property
    def viewer_is_owner(self) -> bool:
        return self.viewer.id == self.owner.owner.user_id


def _history_number(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def _unavailable(exc: GmailError) -> ThreadUnavailable:
    log.warning("thread read failed: %s", type(exc).__name__)
    return ThreadUnavailable(exc.user_message, 502 if exc.status and exc.status < 500 else 503)


def _labels(raw: list[dict[str, Any]]) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    names: dict[str, str] = {}
    own: list[tuple[str, str]] = []
    for label in raw:
        if not isinstance(label, Mapping):
            continue
        label_id, name = label.get("id"), label.get("name")
        if isinstance(label_id, str) and isinstance(name, str):
            names[label_id] = name
            if label.get("type") == "user":
                own.append((label_id, name))
    return names, tuple(sorted(own, key=lambda pair: pair[1].lower()))


def _separate_bodies(raw: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(message id, body dict) of text parts whose bytes Gmail did not inline: a body over a few
    megabytes comes with an `attachmentId` instead of `data`, like a file would."""
    found: list[tuple[str, dict[str, Any]]] = []
    messages = raw.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, Mapping) or not isinstance(message.get("id"), str):
            continue
        stack = [message.get("payload")]
        while stack and len(found) < MAX_SEPARATE_BODIES:
            part = stack.pop()
            if not isinstance(part, dict):
                continue
            children = part.get("parts")
            if isinstance(children, list):
                stack.extend(children[:200])
                continue
            body = part.get("body")
            disposition = next(
                (
                    str(h.get("value", ""))
                    for h in part.get("headers") or []
                    if isinstance(h, Mapping)
                    and str(h.get("name", "")).lower() == "content-disposition"
                ),
                "",
            )
            if (
                str(part.get("mimeType", "")).lower() in ("text/plain", "text/html")
                and not part.get("filename")
                and not disposition.lower().startswith("attachment")
                and isinstance(body, dict)
                and body.get("attachmentId")
                and not body.get("data")
            ):
                found.append((message["id"], body))
    return found


async def _fill_separate_bodies(gmail: MailboxClient, raw: Mapping[str, Any]) -> None:
    """Fetch separately sent bodies (one more round trip, all in parallel) and put their first
    `DEFAULT_MAX_BODY_BYTES` (+1, so the reader sees the cut) back as inline data."""
    wanted = _separate_bodies(raw)
    if not wanted:
        return
    answers = await asyncio.gather(
        *(gmail.get_attachment(mid, str(body["attachmentId"])) for mid, body in wanted),
        return_exceptions=True,
    )
    for (_, body), answer in zip(wanted, answers, strict=True):
        if isinstance(answer, bytes):
            head = answer[: DEFAULT_MAX_BODY_BYTES + 1]
            body["data"] = base64.urlsafe_b64encode(head).decode("ascii")
            body["size"] = max(len(answer), int(body.get("size") or 0))
            body.pop("attachmentId", None)
        elif isinstance(answer, GmailError):
            log.info("separate body not fetched: %s", type(answer).__name__)
        elif isinstance(answer, BaseException):
            raise answer


def _parse(raw: Mapping[str, Any], thread_id: str) -> tuple[MessageView, ...]:
    messages = raw.get("messages")
    if not isinstance(messages, list):
        return ()
    views = [read_message(m) for m in messages if isinstance(m, Mapping)]
    return tuple(v for v in views if v.thread_id in ("", thread_id))


async def load_thread(ctx: AppContext, mailbox: mailboxes.Mailbox, thread_id: str) -> LoadedThread:
    """The thread from cache (after one `getProfile`) or from Gmail in one round trip.

    NotFound from Gmail becomes ThreadNotFound; other Gmail failures ThreadUnavailable.
    """
    cache = ctx.content_cache
    gmail = ctx.gmail.mailbox(mailbox.key, retry=VIEW_RETRY)
    validator = ctx.panel  # its getProfile is shared with the panel (single flight)
    thread_key = (mailbox.id, "thread", thread_id)
    labels_key = (mailbox.id, "labels")
    try:
        if cache.peek(thread_key) is None:
            # Cold: the history id, the thread and the labels travel together.
            history, raw, raw_labels = await asyncio.gather(
                validator.history_id(gmail),
                gmail.get_thread(thread_id, format="full"),
                gmail.list_labels(),
            )
            if _history_number(raw.get("historyId")) > _history_number(history):
                # The thread saw a newer change than the profile did: key it by the newer id,
                # which is still no later than the mailbox's.
                history = str(raw.get("historyId"))
        else:
            history = await validator.history_id(gmail)
            cached = cache.get(thread_key, history)
            if isinstance(cached, LoadedThread):
                return cached
            cached_labels = cache.get(labels_key, history)
            if cached_labels is None:
                raw, raw_labels = await asyncio.gather(
                    gmail.get_thread(thread_id, format="full"), gmail.list_labels()
                )
            else:
                raw, raw_labels = await gmail.get_thread(thread_id, format="full"), cached_labels
        await _fill_separate_bodies(gmail, raw)
    except NotFound:
        raise ThreadNotFound() from None
    except GmailError as exc:
        raise _unavailable(exc) from None
    names, own = _labels(raw_labels)
    thread = LoadedThread(thread_id, history, _parse(raw, thread_id), names, own)
    if not thread.messages:
        raise ThreadNotFound()
    cache.put(labels_key, raw_labels, history)
    cache.put(thread_key, thread, history, estimate_size(raw))
    return thread


def remember_modified(
    ctx: AppContext, mailbox_id: int, thread: LoadedThread, answer: Mapping[str, Any]
) -> LoadedThread:
    """Apply the labels `threads.modify` answered to the cached thread.

    The answer lists every message with its labels and the thread's new history id, which is
    the mailbox's newest unless something else changed meanwhile (then the next `getProfile`
    differs and the thread is read again). If the message list differs from ours (a message
    arrived or went), the cached copy is dropped instead.
    """
    cache = ctx.content_cache
    key = (mailbox_id, "thread", thread.id)
    raw = answer.get("messages")
    labels: dict[str, tuple[str, ...]] = {}
    if isinstance(raw, list):
        for m in raw:
            if isinstance(m, Mapping) and isinstance(m.get("id"), str):
                ids = m.get("labelIds")
                labels[m["id"]] = (
                    tuple(x for x in ids if isinstance(x, str)) if isinstance(ids, list) else ()
                )
    if set(labels) != {m.id for m in thread.messages}:
        cache.discard(key)
        return thread
    updated = dataclasses.replace(
        thread,
        messages=tuple(dataclasses.replace(m, label_ids=labels[m.id]) for m in thread.messages),
        history_id=str(answer.get("historyId", "")),
    )
    entry = cache.peek(key)
    cache.put(key, updated, updated.history_id, entry.size if entry else None)
    return updated


def participants(messages: Iterable[MessageView]) -> list[str]:
    """Every address in From/To/Cc/Bcc of the messages, as written (not normalised)."""
    found: list[str] = []
    for m in messages:
        h = m.headers
        for group in (h.from_, h.to, h.cc, h.bcc):
            found.extend(group.emails)
    return found


async def authorize_thread(
    ctx: AppContext,
    viewer: CurrentUser,
    kind: RecordType,
    record_id: int,
    mailbox_id: int,
    thread_id: str,
) -> ThreadGrant:
    """The viewer's grant on this thread from this record, with the thread read; or
    ThreadNotFound (any refusal) / ThreadUnavailable (Gmail trouble).

    The decision is the panel's own (`panel.gate`): the thread opens exactly when the panel
    would list it on this record for this viewer (an unlinked thread aside, see the module
    docstring), at the detail the panel would show it."""
    try:
        # A deal's page can show its company's threads on request, so those open too.
        gate = await open_record(
            ctx, viewer, kind, record_id, include_company=kind is RecordType.DEAL
        )
    except (RecordNotFound, Forbidden):
        raise ThreadNotFound() from None
    owner = gate.owner(mailbox_id)
    if owner is None:
        raise ThreadNotFound()
    mailbox = await mailboxes.get(ctx.engine, mailbox_id)
    if mailbox is None or mailbox.status != "connected":
        raise ThreadNotFound()
    thread = await load_thread(ctx, mailbox, thread_id)
    meta = ThreadMeta(mailbox_id, thread.id, thread.history_id, _summaries(thread.messages))
    verdict = gate.judge(meta)
    unlinked = verdict.reason is Reason.UNLINKED
    if unlinked:
        verdict = gate.judge_ignoring_unlink(meta)
    if not verdict.shown or verdict.detail is None:
        raise ThreadNotFound()
    is_owner = viewer.id == owner.owner.user_id
    if not is_owner:
        # Spam and trash are never shown; the owner still sees their whole thread.
        live = tuple(m for m in thread.messages if not HIDDEN_LABELS & set(m.label_ids))
        thread = dataclasses.replace(thread, messages=live)
    if is_owner:
        await mark_hits_opened(ctx.engine, mailbox_id, thread_id)
    sharing = OwnerSharing(owner.mailbox_id, owner.owner, owner.owner_name, owner.sharing)
    return ThreadGrant(verdict.detail, mailbox, sharing, viewer, kind, record_id, thread, unlinked)


def _summaries(messages: Iterable[MessageView]) -> tuple[MessageSummary, ...]:
    """The panel's view of full messages, so the panel's rules judge them."""
    return tuple(
        MessageSummary(m.id, m.thread_id, m.label_ids, m.internal_date, m.snippet, m.headers)
        for m in messages
    )


async def mark_hits_opened(engine: AsyncEngine, mailbox_id: int, thread_id: str) -> int:
    """Mark the thread's unopened MailMagnet hits opened; returns how many changed."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(magnet_hits)
            .where(
                magnet_hits.c.mailbox_id == mailbox_id,
                magnet_hits.c.thread_id == thread_id,
                magnet_hits.c.opened_at.is_(None),
            )
            .values(opened_at=dt.datetime.now(dt.UTC))
        )
    return int(result.rowcount or 0)


async def load_viewer(engine: AsyncEngine, user_id: int) -> CurrentUser | None:
    """An active user by id, for requests authorised by a signed link rather than a session
    (images inside the sandboxed message frame are fetched without cookies)."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    if row is None or not row.active:
        return None
    return CurrentUser(row.id, row.email, row.name, row.role, row.team_id)
