"""One thread of a team inbox, opened, and a reply from the team mailbox.

Opening reads the thread live from Gmail (`threads.gate.load_thread`, through the content
cache) and shows it only if the panel's gate on the team inbox (`access.team_gate`) lets the
member see it; the assignee opening it clears the "New" badge.

A reply goes out from the team mailbox's address, or from its verified send-as alias
(`team_mailboxes.send_as`), through the mailbox's own Gmail (`users.messages.send` via the
gmail client and its quota budget), built by `services.sending.compose` like every gpanel
send. Its assignee or a dispatcher may reply; the event `replied` names the member who wrote
it, and the first reply after assignment is the thread's first response. Nothing of the
message is kept.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from gpanel.mail.headers import MessageSummary
from gpanel.mail.message import MessageView
from gpanel.services.accounts import mailboxes
from gpanel.services.context import AppContext
from gpanel.services.panel.rules import ThreadMeta
from gpanel.services.sending.compose import Invalid as SendInvalid
from gpanel.services.sending.compose import (
    build_message,
    final_checks,
    new_message_id,
    parse_request,
)
from gpanel.services.sending.reply import reply_fill
from gpanel.services.sending.send import Alias, aliases
from gpanel.services.team_mailboxes import actions, store
from gpanel.services.team_mailboxes.access import Access, team_gate
from gpanel.services.team_mailboxes.model import Invalid, NotFound, Refused
from gpanel.services.threads.gate import LoadedThread, ThreadNotFound, load_thread

log = logging.getLogger("gpanel.team_mailboxes")


async def open_thread(
    ctx: AppContext, access: Access, thread_id: str, *, mark_opened: bool = True
) -> LoadedThread:
    """The thread, if the gate shows it to this member (NotFound otherwise)."""
    if await store.get_state(ctx.engine, access.box.id, thread_id) is None:
        raise NotFound(actions.NO_SUCH_THREAD)
    mailbox = await mailboxes.get(ctx.engine, access.box.mailbox_id)
    if mailbox is None:
        raise NotFound(actions.NO_SUCH_THREAD)
    gate = await team_gate(ctx, access)
    try:
        thread = await load_thread(ctx, mailbox, thread_id)
    except ThreadNotFound:
        raise NotFound(actions.NO_SUCH_THREAD) from None
    summaries = tuple(
        MessageSummary(m.id, m.thread_id, m.label_ids, m.internal_date, m.snippet, m.headers)
        for m in thread.messages
    )
    if not gate.judge(ThreadMeta(mailbox.id, thread.id, thread.history_id, summaries)).shown:
        raise NotFound(actions.NO_SUCH_THREAD)
    if mark_opened:
        await actions.opened(ctx, access, thread_id)
    return thread


def _answered(thread: LoadedThread, own: set[str]) -> MessageView:
    """The latest message not sent by the team mailbox itself (else the latest)."""
    for message in reversed(thread.messages):
        if not (set(message.headers.from_.emails) & own):
            return message
    return thread.messages[-1]


def _alias(found: list[Alias], wanted: str | None, own: str) -> Alias:
    address = (wanted or own).lower()
    for alias in found:
        if alias.email == address:
            return alias
    raise Invalid(f"{address} is not a verified send-as address of the team mailbox.")


async def reply(
    ctx: AppContext, access: Access, thread_id: str, text: str, *, reply_all: bool = False
) -> dict[str, Any]:
    """Send `text` as a reply in the thread from the team mailbox; returns Gmail's ids."""
    if not text.strip():
        raise Invalid("Write a reply first.", field="text")
    state = await store.get_state(ctx.engine, access.box.id, thread_id)
    if state is None:
        raise NotFound(actions.NO_SUCH_THREAD)
    if state.assignee_id != access.viewer.id and not access.is_dispatcher:
        raise Refused("Only the thread's assignee or a dispatcher replies from the team mailbox.")
    thread = await open_thread(ctx, access, thread_id, mark_opened=False)
    mailbox = await mailboxes.get(ctx.engine, access.box.mailbox_id)
    assert mailbox is not None
    gmail = ctx.gmail.mailbox(mailbox.key)
    alias = _alias(await aliases(ctx, gmail), access.box.send_as, mailbox.email)
    original = _answered(thread, {mailbox.email.lower(), alias.email})
    compose = parse_request(
        {
            "text": text,
            "reply_to": {
                "mailbox_id": mailbox.id,
                "thread_id": thread_id,
                "message_id": original.id,
                "mode": "reply_all" if reply_all else "reply",
            },
        }
    )
    threading = reply_fill(compose, original, {mailbox.email.lower(), alias.email})
    try:
        final_checks(compose)
    except SendInvalid as exc:
        raise Invalid("The reply cannot be sent: " + str(exc)) from None
    rfc_id = new_message_id(alias.email, secrets.token_hex(12))
    raw = build_message(
        compose,
        (alias.name or access.box.name, alias.email),
        message_id=rfc_id,
        signature_html=alias.signature_html,
        threading=threading,
    )
    answer = await gmail.send(raw, thread_id=thread_id)
    await actions.replied(ctx, access, thread_id)
    log.info("team mailbox %s: reply sent by user %s", access.box.id, access.viewer.id)
    return {"message_id": str(answer.get("id", "")), "thread_id": str(answer.get("threadId", ""))}
