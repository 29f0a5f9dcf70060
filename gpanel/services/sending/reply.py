"""Replies, reply all and forwards: the message answered, from a thread the sender's own
mailbox holds and the panel's gate shows them (from the record when one is named, else by the
gate on their own mailbox); the recipients, subject and threading headers Gmail expects; the
original's attachments for a forward (read live, in memory for this send only).
"""

from __future__ import annotations

from gpanel.crm.models import RecordType
from gpanel.gmail import MailboxClient
from gpanel.mail.headers import MessageSummary
from gpanel.mail.message import MessageView
from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.panel.gate import open_mailbox
from gpanel.services.panel.rules import ThreadMeta
from gpanel.services.sending.compose import Attachment, Compose, Refused, Threading, reply_subject
from gpanel.services.threads.gate import ThreadNotFound, authorize_thread, load_thread


async def answered(
    ctx: AppContext, viewer: CurrentUser, mailbox: mailboxes.Mailbox, compose: Compose
) -> MessageView | None:
    """The message a reply answers, from a thread the sender's own mailbox holds."""
    reply = compose.reply_to
    if reply is None:
        return None
    if reply.mailbox_id != mailbox.id:
        raise Refused(403, "You can only reply from your own mailbox.", "reply_to.mailbox_id")
    try:
        if compose.record is not None:
            grant = await authorize_thread(
                ctx,
                viewer,
                RecordType(compose.record.type),
                compose.record.id,
                mailbox.id,
                reply.thread_id,
            )
            thread = grant.thread
        else:
            # Outside a record: the panel's gate on the sender's own mailbox judges the thread.
            gate = await open_mailbox(ctx, viewer, mailbox.id)
            thread = await load_thread(ctx, mailbox, reply.thread_id)
            summaries = tuple(
                MessageSummary(
                    m.id, m.thread_id, m.label_ids, m.internal_date, m.snippet, m.headers
                )
                for m in thread.messages
            )
            meta = ThreadMeta(mailbox.id, thread.id, thread.history_id, summaries)
            if not gate.judge(meta).shown:
                raise ThreadNotFound()
    except ThreadNotFound:
        raise Refused(404, "No such thread in your mailbox.", "reply_to.thread_id") from None
    for message in thread.messages:
        if message.id == reply.message_id and message.thread_id == reply.thread_id:
            return message
    raise Refused(404, "No such message in that thread.", "reply_to.message_id")


def reply_fill(compose: Compose, original: MessageView, own: set[str]) -> Threading:
    """Recipients and subject of a reply, reply all or forward, and its threading headers."""
    assert compose.reply_to is not None
    mode = compose.reply_to.mode
    h = original.headers
    if mode != "forward" and not compose.to:
        source = h.reply_to.addresses or h.from_.addresses
        compose.to = [(a.name, a.email.lower()) for a in source if a.email]
        if mode == "reply_all":
            seen = {e for _, e in compose.to} | own
            for a in (*h.to.addresses, *h.cc.addresses):
                if a.email and a.email.lower() not in seen:
                    compose.cc.append((a.name, a.email.lower()))
                    seen.add(a.email.lower())
        if not compose.to:  # answering one's own message: to its recipients
            compose.to = [(a.name, a.email.lower()) for a in h.to.addresses if a.email]
    # Gmail threads a reply only with the same subject, so it is set, not taken from input.
    compose.subject = reply_subject(h.subject, mode)
    refs = tuple(dict.fromkeys((*h.references, h.message_id)))
    return Threading(h.message_id, tuple(r for r in refs if r))


async def forwarded_files(gmail: MailboxClient, original: MessageView) -> list[Attachment]:
    """A forward carries the original's attachments and inline images (read live, kept in
    memory for this send only)."""
    out = []
    for part in original.attachments:
        data = part.data
        if data is None and part.attachment_id:
            data = await gmail.get_attachment(original.id, part.attachment_id)
        if data is not None:
            out.append(
                Attachment(part.filename, part.mime_type or "application/octet-stream", data)
            )
    return out
