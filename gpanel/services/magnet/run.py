"""MailMagnet: one run for one mailbox, turning new incoming mail from CRM people into hits.

A run reads what arrived since the stored cursor (`mailbox_jobs.magnet_history_id`) with one
`history.list` (messageAdded; more pages only when there are more changes), fetches the new
messages' labels, From and Date headers in one batch, decides from those labels what is
incoming mail (not spam, trash, a draft or sent mail), never from history.list's `labelId`
filter, whose semantics Google does not pin down (docs/gmail-facts.md, "History and change
tracking": reported to miss mail filtered on arrival and to include sent replies), matches
the senders against CRM contacts and leads in one query, and stores a `magnet_hits` row per
match: mailbox, message id, thread id, sender address, received time. Nothing else; no
subject, no snippet (docs/behaviour.md, "MailMagnet").

Crash safety comes from one rule: the hits are inserted (insert-if-absent) and the cursor moves
in the same transaction, the cursor last. A run that dies before the commit leaves the cursor
where it was, so the next run fetches the same messages again and inserts them once; a run that
dies after the commit has nothing left to redo. Runs are therefore idempotent and can be
retried by any scheduler or worker.

- First run: the cursor starts at the mailbox's current history id (old mail is not announced).
- `HistoryExpired` (the cursor is older than Gmail keeps): a bounded catch-up search of the
  mail since the last successful check (`CATCH_UP_LIMIT` messages at most), then a fresh
  cursor taken before the search, so nothing arriving meanwhile is missed.
- `ReconnectRequired`: the token broker has marked the mailbox "needs reconnect" (which pauses
  every job for it); the run records why and wakes the owner's bell.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.emails import normalise_email
from gpanel.gmail import GmailError, HistoryExpired, MailboxClient, Priority, ReconnectRequired
from gpanel.mail.headers import quote_bare_display_names
from gpanel.services.accounts import mailboxes
from gpanel.services.context import AppContext
from gpanel.services.magnet.events import is_postgres, notify_in_transaction
from gpanel.services.ops import job_state
from gpanel.store.tables import contact_emails, magnet_hits, mailbox_jobs, users

log = logging.getLogger("gpanel.magnet")

CATCH_UP_LIMIT = 500
# Labels that make a message not "new incoming mail" (docs/behaviour.md, "MailMagnet").
NOT_INCOMING = frozenset({"SPAM", "TRASH", "DRAFT", "SENT"})
# The catch-up search starts this long before the last successful check: Gmail's `after:` is
# by internal date, which may trail the moment a message became visible to history.
CATCH_UP_SLACK = dt.timedelta(minutes=10)
ERROR_PREFIX = "MailMagnet: "


@dataclass(frozen=True)
class Hit:
    message_id: str
    thread_id: str
    sender: str
    received_at: dt.datetime


@dataclass
class MagnetResult:
    mailbox_id: int
    status: str  # started | checked | caught_up | skipped | paused | failed
    cursor: str | None = None
    messages: int = 0  # new inbox messages looked at
    new_hits: list[Hit] = field(default_factory=list)
    error: str | None = None


def _sender(headers: Iterable[dict[str, Any]]) -> str:
    for h in headers:
        if str(h.get("name", "")).lower() == "from":
            value = quote_bare_display_names(str(h.get("value", "")))
            return email.utils.parseaddr(value)[1]
    return ""


def _received(message: dict[str, Any]) -> dt.datetime:
    raw = message.get("internalDate")
    if isinstance(raw, str | int) and str(raw).isdigit():
        return dt.datetime.fromtimestamp(int(raw) / 1000, dt.UTC)
    for h in message.get("payload", {}).get("headers", []):
        if str(h.get("name", "")).lower() == "date":
            try:
                parsed = email.utils.parsedate_to_datetime(str(h.get("value", "")))
            except (TypeError, ValueError):
                break
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return job_state.now_utc()


async def _crm_addresses(conn: AsyncConnection, keys: set[str], fold: bool) -> set[str]:
    """Which of the normalised `keys` belong to a contact or lead: one query. A gpanel user's
    own address is never a contact's here, even where an old row holds it (`crm.org`): a
    colleague's mail is no MailMagnet hit."""
    if not keys:
        return set()
    column = contact_emails.c.folded if fold else contact_emails.c.email
    rows = await conn.execute(select(column).where(column.in_(sorted(keys))).distinct())
    colleagues = {normalise_email(e, fold) for e in await conn.scalars(select(users.c.email))}
    return {str(r[0]) for r in rows} - colleagues


async def _matches(
    ctx: AppContext, own_address: str, messages: dict[str, dict[str, Any] | GmailError]
) -> list[Hit]:
    fold = ctx.settings.fold_gmail_addresses
    candidates: list[tuple[str, dict[str, Any], str]] = []
    for message_id, answer in messages.items():
        if isinstance(answer, GmailError):
            if answer.status == 404:
                continue  # deleted since it arrived: nothing to announce
            raise answer  # the cursor must not move past a message we could not read
        if NOT_INCOMING & set(answer.get("labelIds", [])):
            continue
        sender = normalise_email(_sender(answer.get("payload", {}).get("headers", [])))
        if not sender or sender == own_address:
            continue
        candidates.append((message_id, answer, sender))
    async with ctx.engine.connect() as conn:
        known = await _crm_addresses(conn, {normalise_email(s, fold) for *_, s in candidates}, fold)
    return [
        Hit(
            message_id=mid,
            thread_id=str(msg.get("threadId", mid)),
            sender=sender,
            received_at=_received(msg),
        )
        for mid, msg, sender in candidates
        if normalise_email(sender, fold) in known
    ]


def _insert_ignore(conn: AsyncConnection) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(magnet_hits)


async def _store(
    ctx: AppContext, mailbox_id: int, hits: list[Hit], old_cursor: str | None, new_cursor: str
) -> list[Hit]:
    """Insert the hits (once) and move the cursor, in one transaction, the cursor last.
    Returns the hits that were new."""
    inserted: list[Hit] = []
    async with ctx.engine.begin() as conn:
        for hit in hits:
            result = await conn.execute(
                _insert_ignore(conn)
                .values(
                    mailbox_id=mailbox_id,
                    message_id=hit.message_id,
                    thread_id=hit.thread_id,
                    sender=hit.sender[:320],
                    received_at=hit.received_at,
                    opened_at=None,
                )
                .on_conflict_do_nothing(index_elements=["mailbox_id", "message_id"])
                .returning(magnet_hits.c.message_id)
            )
            # RETURNING answers a row only when the row was really inserted (rowcount is not
            # reliable for ON CONFLICT DO NOTHING on every driver).
            if result.first() is not None:
                inserted.append(hit)
        # Compare-and-set: a concurrent run that already moved the cursor keeps its value.
        await conn.execute(
            update(mailbox_jobs)
            .where(
                mailbox_jobs.c.mailbox_id == mailbox_id,
                mailbox_jobs.c.magnet_history_id.is_(None)
                if old_cursor is None
                else mailbox_jobs.c.magnet_history_id == old_cursor,
            )
            .values(magnet_history_id=new_cursor, magnet_checked_at=job_state.now_utc())
        )
        await conn.execute(
            update(mailbox_jobs)
            .where(
                mailbox_jobs.c.mailbox_id == mailbox_id,
                mailbox_jobs.c.last_error.like(ERROR_PREFIX + "%"),
            )
            .values(last_error=None, last_error_at=None)
        )
        if inserted:
            await notify_in_transaction(conn, mailbox_id)
    if inserted and not is_postgres(ctx):
        ctx.magnet_hub.publish(mailbox_id)  # on PostgreSQL the NOTIFY above reaches every hub
    return inserted


async def _catch_up(gm: MailboxClient, since: dt.datetime | None) -> tuple[list[str], str]:
    """Inbox message ids since `since` (bounded), and a cursor taken before searching."""
    profile = await gm.profile()
    cursor = str(profile["historyId"])
    start = (since or job_state.now_utc() - dt.timedelta(days=1)) - CATCH_UP_SLACK
    found = await gm.list_all_message_ids(f"after:{int(start.timestamp())}", limit=CATCH_UP_LIMIT)
    return [str(m["id"]) for m in found], cursor


async def run_magnet(ctx: AppContext, mailbox_id: int) -> MagnetResult:
    """One MailMagnet run for one mailbox (idempotent; safe to retry after any crash)."""
    state = await job_state.get(ctx.engine, mailbox_id)
    box = await mailboxes.get(ctx.engine, mailbox_id)
    if state is None or box is None or not state.magnet_enabled:
        return MagnetResult(mailbox_id, "skipped")
    if box.status != "connected":
        return MagnetResult(mailbox_id, "paused", error=box.last_error)
    gm = ctx.gmail.mailbox(box.key, priority=Priority.BACKGROUND)
    try:
        if state.magnet_history_id is None:
            cursor = str((await gm.profile())["historyId"])
            await _store(ctx, mailbox_id, [], None, cursor)
            return MagnetResult(mailbox_id, "started", cursor=cursor)
        status = "checked"
        try:
            page = await gm.history_all(state.magnet_history_id, history_types=["messageAdded"])
            ids, cursor = page.message_ids_added, page.history_id
        except HistoryExpired:
            log.info("mailbox %s: history expired, catching up", mailbox_id)
            ids, cursor = await _catch_up(gm, state.magnet_checked_at)
            status = "caught_up"
        hits: list[Hit] = []
        if ids:
            answers = await gm.batch_get_messages(
                ids, format="metadata", metadata_headers=["From", "Date"]
            )
            hits = await _matches(ctx, box.email.lower(), answers)
        new = await _store(ctx, mailbox_id, hits, state.magnet_history_id, cursor)
        log.info(
            "mailbox %s: magnet %s, %d messages, %d new hits",
            mailbox_id,
            status,
            len(ids),
            len(new),
        )
        return MagnetResult(mailbox_id, status, cursor=cursor, messages=len(ids), new_hits=new)
    except ReconnectRequired as exc:
        await job_state.record_error(
            ctx.engine, mailbox_id, ERROR_PREFIX + "paused. " + exc.user_message
        )
        ctx.magnet_hub.publish(mailbox_id)
        log.warning("mailbox %s: magnet paused, reconnect required", mailbox_id)
        return MagnetResult(mailbox_id, "paused", error=exc.user_message)
    except GmailError as exc:
        await job_state.record_error(ctx.engine, mailbox_id, ERROR_PREFIX + exc.user_message)
        log.warning("mailbox %s: magnet failed: %s", mailbox_id, exc)
        return MagnetResult(mailbox_id, "failed", error=exc.user_message)


async def purge_hits(ctx: AppContext, now: dt.datetime | None = None) -> int:
    """Delete hits older than the retention period (`magnet_retention_days`); returns how many."""
    cutoff = (now or job_state.now_utc()) - dt.timedelta(days=ctx.settings.magnet_retention_days)
    async with ctx.engine.begin() as conn:
        result = await conn.execute(delete(magnet_hits).where(magnet_hits.c.received_at < cutoff))
    if result.rowcount:
        log.info("purged %d MailMagnet hits older than %s", result.rowcount, cutoff.date())
    return int(result.rowcount or 0)


async def renew_watch(ctx: AppContext, mailbox_id: int) -> dt.datetime | None:
    """Ask Gmail to push inbox changes for the mailbox to the Pub/Sub topic (7 days)."""
    topic = ctx.settings.pubsub_topic
    box = await mailboxes.get(ctx.engine, mailbox_id)
    if not topic or box is None or box.status != "connected":
        return None
    gm = ctx.gmail.mailbox(box.key, priority=Priority.BACKGROUND)
    try:
        answer = await gm.watch(topic, ["INBOX"])
    except GmailError as exc:
        await job_state.record_error(
            ctx.engine, mailbox_id, ERROR_PREFIX + "push not renewed. " + exc.user_message
        )
        return None
    expires = dt.datetime.fromtimestamp(int(answer.get("expiration", 0)) / 1000, dt.UTC)
    await job_state.set_watch_expiry(ctx.engine, mailbox_id, expires)
    return expires
