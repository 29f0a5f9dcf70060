"""One thread of a team inbox, opened, and a reply from the team mailbox.

Opening reads the thread live from Gmail (`threads.gate.load_thread`, through the content
cache) and shows it only if the panel's gate on the team inbox (`access.team_gate`) lets the
member see it; the assignee opening it clears the "New" badge.

A reply goes out from the team mailbox's address, or from its verified send-as alias
(`team_mailboxes.send_as`), through `services.sending.send.send` from the shared mailbox (its
Gmail client and quota budget): the reply form's idempotency key makes a repeated submit answer
the first result, and a lost answer from Gmail is checked by Message-ID, never sent twice. Its
assignee or a dispatcher may reply; the event `replied` names the member who wrote it, and the
first reply after assignment is the thread's first response. Nothing of the message is kept.
"""

from __future__ import annotations

import logging
from typing import Any

from gpanel.mail.headers import MessageSummary
from gpanel.mail.message import MessageView
from gpanel.services.accounts import mailboxes
from gpanel.services.context import AppContext
from gpanel.services.panel.rules import ThreadMeta
from gpanel.services.sending.compose import Invalid as SendInvalid
from gpanel.services.sending.compose import Refused as SendRefused
from gpanel.services.sending.send import Shared, send
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


async def reply(
    ctx: AppContext,
    access: Access,
    thread_id: str,
    text: str,
    *,
    reply_all: bool = False,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Send `text` as a reply in the thread from the team mailbox; returns Gmail's ids.

    The send is `services.sending.send.send` from the shared mailbox: a repeated
    `idempotency_key` (one per reply form) answers the first result and sends nothing, and a
    lost answer from Gmail is checked by Message-ID before anything is sent again. The event
    `replied` is written once, by the request that sent."""
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
    own = {mailbox.email.lower(), (access.box.send_as or mailbox.email).lower()}
    original = _answered(thread, own)
    body: dict[str, Any] = {
        "text": text,
        "reply_to": {
            "mailbox_id": mailbox.id,
            "thread_id": thread_id,
            "message_id": original.id,
            "mode": "reply_all" if reply_all else "reply",
        },
    }
    if access.box.send_as:
        body["from"] = access.box.send_as
    try:
        result = await send(
            ctx, access.viewer, body, idempotency_key, shared=Shared(mailbox, original)
        )
    except SendInvalid as exc:
        raise Invalid("The reply cannot be sent: " + str(exc)) from None
    except SendRefused as exc:
        raise Invalid(exc.message) from None
    if not result.replayed:
        await actions.replied(ctx, access, thread_id)
        log.info("team mailbox %s: reply sent by user %s", access.box.id, access.viewer.id)
    return {"message_id": result.message_id or "", "thread_id": result.thread_id or ""}
