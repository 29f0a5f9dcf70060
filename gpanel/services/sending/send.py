"""One send, from the viewer's own connected mailbox, never twice and never lost.

Order of a send (docs/ARCHITECTURE.md, "Sending"): a repeated Idempotency-Key returns the first
result; the request is validated (compose.py) and filled from its template (merge.py); the From
must be the mailbox's address or a verified Gmail send-as alias; a reply must answer a message
of a thread the sender's own mailbox holds (and, from a record, that the panel's gate lets the
sender open); the key is claimed, then Gmail is called once. A 5xx or a dropped connection
after Gmail may have sent is not retried blindly: the mailbox is searched for the Message-ID
gpanel set, and only a message Gmail does not have is sent again. A 429 "Retry after" keeps the
message as a Gmail draft, scheduled (later.py) for the time Gmail gave. `send_at` makes it a
draft sent later. Nothing of the message is stored or logged: ids, the mailbox and times only.
`shared` sends from a mailbox that is not the sender's own (a team mailbox's reply): its caller
has authorised the sender and judged the answered message through the gate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from gpanel.crm.errors import RecordNotFound
from gpanel.gmail import GmailError, MailboxClient, SendLimitExceeded
from gpanel.gmail import sending as gsend
from gpanel.gmail.errors import BadResponse, Unavailable
from gpanel.mail.message import MessageView
from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.records.access import Forbidden
from gpanel.services.sending import drafts, follow_ups, keys, later, merge
from gpanel.services.sending.compose import (
    Attachment,
    Compose,
    Invalid,
    build_message,
    clean_html,
    final_checks,
    new_message_id,
    parse_request,
)
from gpanel.services.sending.compose import Refused as Refused
from gpanel.services.sending.reply import answered, forwarded_files, reply_fill
from gpanel.services.sending.templates import TemplateRefused, get_template
from gpanel.services.sharing.rules import gmail_withdrawn_for

log = logging.getLogger("gpanel.sending")


@dataclass(frozen=True)
class Alias:
    email: str
    name: str
    default: bool
    signature_html: str

    def as_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "default": self.default,
            "signature_html": self.signature_html,
        }


@dataclass(frozen=True)
class Shared:
    """A mailbox the sender writes from that is not their own (services.team_mailboxes.reply),
    and the message the reply answers, already judged by the caller's gate."""

    mailbox: mailboxes.Mailbox
    original: MessageView


@dataclass(frozen=True)
class Result:
    message_id: str | None = None
    thread_id: str | None = None
    draft_id: str | None = None
    send_at: dt.datetime | None = None
    held: bool = False  # Gmail's sending limit: kept as a draft until send_at
    replayed: bool = False

    def as_json(self) -> dict[str, Any]:
        if self.draft_id is not None:
            out: dict[str, Any] = {"draft_id": self.draft_id}
            out["send_at"] = self.send_at.isoformat() if self.send_at else None
            if self.held:
                out["held"] = "Gmail's sending limit was reached: the message waits as a draft."
            return out
        return {"message_id": self.message_id, "thread_id": self.thread_id}


async def own_mailbox(ctx: AppContext, viewer: CurrentUser) -> mailboxes.Mailbox:
    mailbox = await mailboxes.for_user(ctx.engine, viewer.id)
    if mailbox is None or mailbox.status != "connected":
        raise Refused(409, "Connect your Gmail to send from gpanel.")
    if not mailbox.can_modify:
        raise Refused(403, "gpanel may only read your mailbox. Reconnect it to send mail.")
    if await gmail_withdrawn_for(ctx.engine, [(viewer.id, viewer.role)]):
        raise Refused(403, "Your admin no longer allows gpanel to use your Gmail.")
    return mailbox


async def aliases(ctx: AppContext, gmail: MailboxClient) -> list[Alias]:
    """The addresses the mailbox may send as: its own and every verified send-as alias."""
    out = []
    for entry in await gsend.send_as(gmail):
        primary = bool(entry.get("isPrimary"))
        if not primary and entry.get("verificationStatus") != "accepted":
            continue  # Gmail would rewrite From to the primary address
        out.append(
            Alias(
                str(entry.get("sendAsEmail", "")).lower(),
                str(entry.get("displayName", "")),
                bool(entry.get("isDefault")),
                clean_html(str(entry.get("signature", ""))),
            )
        )
    return out


async def viewer_aliases(ctx: AppContext, viewer: CurrentUser) -> list[Alias]:
    mailbox = await own_mailbox(ctx, viewer)
    return await aliases(ctx, ctx.gmail.mailbox(mailbox.key))


def pick_alias(found: list[Alias], wanted: str | None, own: str) -> Alias:
    address = (wanted or own).lower()
    for alias in found:
        if alias.email == address:
            return alias
    raise Invalid([{"field": "from", "message": "is not a verified send-as address of yours"}])


_pick_alias = pick_alias


async def _apply_template(
    ctx: AppContext, viewer: CurrentUser, compose: Compose, alias: Alias
) -> None:
    """Fill subject/text/html from the template (when given) and every merge field."""
    record = compose.record
    try:
        values = await merge.record_values(
            ctx.engine,
            viewer,
            record.type if record else None,
            record.id if record else None,
            sender_name=alias.name or viewer.name,
            signature_html=alias.signature_html,
        )
    except (RecordNotFound, Forbidden):
        raise Refused(404, "No such record.", "record") from None
    if compose.template_id is not None:
        try:
            template = await get_template(ctx.engine, viewer, compose.template_id)
        except TemplateRefused:
            raise Refused(404, "No such template.", "template_id") from None
        compose.subject = compose.subject or template.subject
        compose.text = compose.text or template.text
        compose.html = compose.html or template.html
    missing: list[str] = []
    for key in ("subject", "text", "html"):
        filled, lacking = merge.render(getattr(compose, key), values, as_html=key == "html")
        setattr(compose, key, filled)
        missing += [m for m in lacking if m not in missing]
    if missing:
        errors = [{"field": m, "message": "has no value for this record"} for m in missing]
        raise Invalid(errors, missing=missing)


async def send(
    ctx: AppContext,
    viewer: CurrentUser,
    body: dict[str, Any],
    idempotency_key: str | None,
    attachments: list[Attachment] | None = None,
    *,
    shared: Shared | None = None,
) -> Result:
    """Send (or schedule) the request of `body` with `attachments`; Invalid, Refused or
    GmailError otherwise."""
    if idempotency_key is not None:
        if not idempotency_key.strip() or len(idempotency_key) > keys.MAX_KEY:
            raise Refused(400, "Idempotency-Key must be 1 to 200 characters.")
        first = await keys.find(ctx.engine, viewer.id, idempotency_key)
        if first is not None:
            return await _replay(ctx, first)
    compose = parse_request(body)
    compose.attachments = list(attachments or [])
    # Sending a draft reopened in gpanel: the message goes, then its Gmail draft is removed.
    from_draft = body.get("draft_id")
    if from_draft is not None:
        from_draft = drafts.check_draft_id(str(from_draft))
    try:
        remind_days = follow_ups.check_days(body.get("remind_days"))
    except ValueError as exc:
        raise Invalid([{"field": "remind_days", "message": str(exc)}]) from None
    mailbox = shared.mailbox if shared is not None else await own_mailbox(ctx, viewer)
    gmail = ctx.gmail.mailbox(mailbox.key)
    original: MessageView | None
    if shared is not None:
        found, original = await aliases(ctx, gmail), shared.original
    else:
        # The aliases and the answered thread are independent reads: one round trip, not two.
        found, original = await asyncio.gather(
            aliases(ctx, gmail), answered(ctx, viewer, mailbox, compose)
        )
    alias = pick_alias(found, compose.sender, mailbox.email)
    threading = None
    thread_id = original.thread_id if original is not None else None
    if original is not None:
        threading = reply_fill(compose, original, {mailbox.email.lower(), alias.email})
        if compose.reply_to is not None and compose.reply_to.mode == "forward":
            compose.attachments += await forwarded_files(gmail, original)
    elif from_draft is not None:
        thread_id, threading = await drafts.kept_threading(gmail, from_draft)
    await _apply_template(ctx, viewer, compose, alias)
    final_checks(compose)
    rfc_id = new_message_id(alias.email, secrets.token_hex(12))
    raw = build_message(
        compose,
        (alias.name, alias.email),
        message_id=rfc_id,
        signature_html=alias.signature_html,
        threading=threading,
    )
    if len(raw) > gsend.max_send_bytes():
        raise Invalid([{"field": "message", "message": "is larger than Gmail's 35 MB limit"}])
    claimed = None
    if idempotency_key is not None:
        claimed = await keys.claim(ctx.engine, viewer.id, mailbox.id, idempotency_key, rfc_id)
        if claimed is None:
            raise Refused(409, "A send with this Idempotency-Key is already under way.")
    try:
        result = await _deliver(
            ctx, viewer, mailbox, gmail, raw, thread_id, rfc_id, compose, remind_days
        )
    except GmailError as exc:
        # A plain refusal means Gmail sent nothing: the key is free again. Otherwise Gmail may
        # have sent; the claim stays, and a repeat checks the Message-ID before anything else.
        if claimed is not None and 0 < exc.status < 500 and not isinstance(exc, Unavailable):
            await keys.release(ctx.engine, claimed.id)
        raise
    if claimed is not None:
        state = "sent" if result.draft_id is None else "scheduled"
        await keys.finish(
            ctx.engine,
            claimed.id,
            state=state,
            gmail_message_id=result.message_id,
            gmail_thread_id=result.thread_id,
            draft_id=result.draft_id,
            send_at=result.send_at,
        )
    if remind_days and result.message_id and result.thread_id:
        await follow_ups.remember(
            ctx.engine, mailbox.id, viewer.id, result.thread_id, result.message_id, remind_days
        )
    if from_draft is not None and from_draft != result.draft_id:
        await drafts.discard_sent(gmail, from_draft)
    return result


async def _deliver(
    ctx: AppContext,
    viewer: CurrentUser,
    mailbox: mailboxes.Mailbox,
    gmail: MailboxClient,
    raw: bytes,
    thread_id: str | None,
    rfc_id: str,
    compose: Compose,
    remind_days: int | None = None,
) -> Result:
    if compose.send_at is not None:
        return await _hold(
            ctx, viewer, mailbox, gmail, raw, thread_id, compose.send_at, False, remind_days
        )
    try:
        answer = await gmail.send(raw, thread_id=thread_id)
    except SendLimitExceeded as exc:
        when = exc.retry_at or dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
        return await _hold(ctx, viewer, mailbox, gmail, raw, thread_id, when, True, remind_days)
    except (Unavailable, BadResponse) as exc:
        answer = await _after_lost_answer(gmail, raw, thread_id, rfc_id, exc)
    except GmailError as exc:
        if exc.status < 500:
            raise
        answer = await _after_lost_answer(gmail, raw, thread_id, rfc_id, exc)
    log.info("sent from mailbox %s", mailbox.id)
    return Result(str(answer.get("id", "")), str(answer.get("threadId", "")))


async def _after_lost_answer(
    gmail: MailboxClient, raw: bytes, thread_id: str | None, rfc_id: str, exc: GmailError
) -> dict[str, Any]:
    """Gmail may have sent: look for the Message-ID; send again only if Gmail has not got it."""
    log.warning("send answer lost (%s): checking the sent mail", type(exc).__name__)
    found = await gsend.find_sent(gmail, rfc_id)
    if found is not None:
        return found
    return await gmail.send(raw, thread_id=thread_id)


async def _hold(
    ctx: AppContext,
    viewer: CurrentUser,
    mailbox: mailboxes.Mailbox,
    gmail: MailboxClient,
    raw: bytes,
    thread_id: str | None,
    when: dt.datetime,
    held: bool,
    remind_days: int | None = None,
) -> Result:
    draft = await gsend.save_draft(gmail, raw, thread_id=thread_id)
    draft_id = str(draft.get("id", ""))
    await later.schedule(ctx.engine, mailbox.id, viewer.id, draft_id, when, remind_days)
    return Result(draft_id=draft_id, send_at=when, held=held)


async def _replay(ctx: AppContext, first: keys.SendKey) -> Result:
    """The first result of a key; a send whose outcome was never recorded is checked in Gmail."""
    if first.state == "scheduled":
        return Result(draft_id=first.draft_id, send_at=first.send_at, replayed=True)
    if first.state == "sent":
        return Result(first.gmail_message_id, first.gmail_thread_id, replayed=True)
    mailbox = await mailboxes.get(ctx.engine, first.mailbox_id)
    if mailbox is not None:
        found = await gsend.find_sent(ctx.gmail.mailbox(mailbox.key), first.rfc_message_id)
        if found is not None:
            await keys.finish(
                ctx.engine,
                first.id,
                state="sent",
                gmail_message_id=found.get("id"),
                gmail_thread_id=found.get("threadId"),
            )
            return Result(found.get("id"), found.get("threadId"), replayed=True)
    raise Refused(
        409,
        "The first send with this Idempotency-Key did not finish and Gmail does not have "
        "the message (yet). Check your sent mail; send again with a new key if it is not there.",
    )
