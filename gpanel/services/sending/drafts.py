"""Save draft: what a rep writes in gpanel is kept as a Gmail draft of their own mailbox
(`users.drafts.create`, then `users.drafts.update` of the same id), so the draft opened later in
Gmail or in gpanel is the same draft. gpanel keeps nothing of it: not even the draft id (the
compose page and the API caller hold it); reopening reads the draft live (`drafts.get`,
format raw) into the page and forgets it.

A draft may be unfinished (no recipient yet, a `{{...}}` not filled), but never carries a header
injection, more than 500 recipients or more than Gmail's 35 MB. A reply's draft joins the
thread it answers; an update without reply context keeps the thread and the threading headers
the draft already had, so a reopened reply stays a reply. The alias's signature is added at
send time, not to the draft (so saving a reopened draft does not repeat it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email
import email.policy
import email.utils
import re
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from gpanel.gmail import GmailError, MailboxClient, NotFound
from gpanel.gmail import sending as gsend
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.panel.gate import open_mailbox
from gpanel.services.sending.compose import (
    MAX_RECIPIENTS,
    Attachment,
    Invalid,
    Refused,
    Threading,
    build_message,
    check_attachment,
    new_message_id,
    parse_request,
)
from gpanel.services.sending.reply import answered, forwarded_files, reply_fill

DRAFT_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


@dataclass(frozen=True)
class Saved:
    draft_id: str
    message_id: str
    thread_id: str

    def as_json(self) -> dict[str, Any]:
        return {
            "draft_id": self.draft_id,
            "message_id": self.message_id,
            "thread_id": self.thread_id,
        }


@dataclass(frozen=True)
class DraftView:
    """A draft read live for the compose page or the API; never stored."""

    draft_id: str
    thread_id: str
    sender: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    text: str
    html: str
    in_reply_to: str
    references: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "draft_id": self.draft_id,
            "thread_id": self.thread_id,
            "from": self.sender,
            "to": self.to,
            "cc": self.cc,
            "bcc": self.bcc,
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
        }


def check_draft_id(draft_id: str) -> str:
    if not DRAFT_ID.fullmatch(draft_id):
        raise Refused(404, "No such draft in your Gmail.", "draft_id")
    return draft_id


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _addresses(message: EmailMessage, header: str) -> list[str]:
    values = [str(v) for v in message.get_all(header, [])]
    return [
        email.utils.formataddr((name, address)) if name else address
        for name, address in email.utils.getaddresses(values)
        if address
    ]


def _body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    if part is None or not isinstance(part, EmailMessage):
        return ""
    content = part.get_content()
    return content.replace("\r\n", "\n") if isinstance(content, str) else ""


async def _fetch(gmail: MailboxClient, draft_id: str) -> DraftView:
    try:
        answer = await gmail.call("gmail.users.drafts.get", {"id": draft_id, "format": "raw"})
    except NotFound:
        raise Refused(404, "That draft is no longer in your Gmail.", "draft_id") from None
    message = answer.get("message") if isinstance(answer.get("message"), dict) else {}
    assert isinstance(message, dict)
    raw = base64.urlsafe_b64decode(str(message.get("raw", "")) + "==")
    parsed = _parse(raw)
    refs = tuple(str(parsed.get("References", "")).split())
    return DraftView(
        draft_id=draft_id,
        thread_id=str(message.get("threadId", "")),
        sender=email.utils.parseaddr(str(parsed.get("From", "")))[1].lower(),
        to=_addresses(parsed, "To"),
        cc=_addresses(parsed, "Cc"),
        bcc=_addresses(parsed, "Bcc"),
        subject=str(parsed.get("Subject", "")),
        text=_body(parsed, "plain").rstrip("\n"),
        html=_body(parsed, "html"),
        in_reply_to=str(parsed.get("In-Reply-To", "")).strip(),
        references=refs,
    )


async def read(ctx: AppContext, viewer: CurrentUser, draft_id: str) -> DraftView:
    """The viewer's own draft, read live from their own mailbox (drafts.get)."""
    from gpanel.services.sending.send import own_mailbox  # send imports this module

    check_draft_id(draft_id)
    mailbox = await own_mailbox(ctx, viewer)
    gate = await open_mailbox(ctx, viewer, mailbox.id)
    if gate.owner(mailbox.id) is None:
        raise Refused(404, "No such draft in your Gmail.", "draft_id")
    return await _fetch(ctx.gmail.mailbox(mailbox.key), draft_id)


async def kept_threading(
    gmail: MailboxClient, draft_id: str
) -> tuple[str | None, Threading | None]:
    """The thread and threading headers an existing draft already has (a reopened reply)."""
    view = await _fetch(gmail, draft_id)
    threading = None
    if view.in_reply_to:
        threading = Threading(view.in_reply_to, view.references or (view.in_reply_to,))
    return view.thread_id or None, threading


def _draft_checks(count: int, attachments: list[Attachment], errors: list[dict[str, str]]) -> None:
    errors = list(errors)
    if count > MAX_RECIPIENTS:
        errors.append(
            {"field": "to", "message": f"{count} recipients: Gmail takes at most {MAX_RECIPIENTS}"}
        )
    for i, item in enumerate(attachments):
        check_attachment(item, f"attachments[{i}]", errors)
    if errors:
        raise Invalid(errors)


async def save(
    ctx: AppContext,
    viewer: CurrentUser,
    body: dict[str, Any],
    draft_id: str | None = None,
    attachments: list[Attachment] | None = None,
) -> Saved:
    """Create the viewer's Gmail draft from `body` (the send request's fields), or replace the
    message of their draft `draft_id`; Invalid, Refused or GmailError otherwise."""
    from gpanel.services.sending.send import aliases, own_mailbox, pick_alias

    if draft_id is not None:
        check_draft_id(draft_id)
    compose = parse_request(body)
    compose.send_at = None  # saving is not sending
    compose.attachments = list(attachments or [])
    mailbox = await own_mailbox(ctx, viewer)
    gmail = ctx.gmail.mailbox(mailbox.key)
    found, original = await asyncio.gather(
        aliases(ctx, gmail), answered(ctx, viewer, mailbox, compose)
    )
    alias = pick_alias(found, compose.sender, mailbox.email)
    thread_id: str | None = None
    threading: Threading | None = None
    if original is not None:
        threading = reply_fill(compose, original, {mailbox.email.lower(), alias.email})
        thread_id = original.thread_id
        if compose.reply_to is not None and compose.reply_to.mode == "forward":
            compose.attachments += await forwarded_files(gmail, original)
    elif draft_id is not None:
        thread_id, threading = await kept_threading(gmail, draft_id)
    _draft_checks(len(compose.recipients), compose.attachments, compose.errors)
    rfc_id = new_message_id(alias.email, secrets.token_hex(12))
    raw = build_message(compose, (alias.name, alias.email), message_id=rfc_id, threading=threading)
    if len(raw) > gsend.max_send_bytes():
        raise Invalid([{"field": "message", "message": "is larger than Gmail's 35 MB limit"}])
    try:
        draft = await gsend.save_draft(gmail, raw, thread_id=thread_id, draft_id=draft_id)
    except NotFound:
        raise Refused(404, "That draft is no longer in your Gmail.", "draft_id") from None
    message = draft.get("message") if isinstance(draft.get("message"), dict) else {}
    assert isinstance(message, dict)
    return Saved(
        str(draft.get("id", "")), str(message.get("id", "")), str(message.get("threadId", ""))
    )


async def discard_sent(gmail: MailboxClient, draft_id: str) -> None:
    """After a reopened draft was sent as a new message, its Gmail draft goes (as Gmail's own
    send does); a draft already gone is fine."""
    with contextlib.suppress(GmailError):
        await gsend.delete_draft(gmail, draft_id)
