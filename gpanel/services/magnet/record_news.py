"""New mail for an open record page: "1 new email" while the page is open.

A record page's panel is read live from Gmail when the page loads. While it stays open, every
MailMagnet run that stores hits publishes the mailbox id on the `MagnetHub`; the page's
server-sent-event stream (`web/records/news.py`) wakes and asks `new_mail_count` how many
messages arrived since the page loaded from the record's addresses, in the mailboxes the
viewer may see on this record. The count passes the same gate as the panel (`open_record`:
record access, sharing, private threads, block lists), so the banner never counts mail the
reloaded panel would hide. Only ids, the sender address and times are read: MailMagnet's hits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gpanel.crm.models import RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.panel.gate import Gate, open_record
from gpanel.services.panel.rules import block_matches
from gpanel.store.tables import magnet_hits

# A page open longer than this counts from here: bounds the rows a wake-up reads.
LONGEST_OPEN = dt.timedelta(hours=12)


async def record_gate(
    ctx: AppContext, viewer: CurrentUser, record_type: RecordType, record_id: int
) -> Gate:
    """The panel's gate on this record (records.Forbidden, RecordNotFound)."""
    return await open_record(ctx, viewer, record_type, record_id)


def mailbox_ids(gate: Gate) -> list[int]:
    """The mailboxes whose MailMagnet runs can bring this record new mail for the viewer."""
    return [o.mailbox_id for o in gate.owners]


async def new_mail_count(ctx: AppContext, gate: Gate, since: dt.datetime) -> int:
    """Messages received after `since` from the record's addresses that the viewer may see."""
    record = gate.inputs.record
    owners = {o.mailbox_id: o for o in gate.owners}
    if record is None or not owners:
        return 0
    since = max(since, dt.datetime.now(dt.UTC) - LONGEST_OPEN)
    query = select(magnet_hits.c.mailbox_id, magnet_hits.c.thread_id, magnet_hits.c.sender).where(
        magnet_hits.c.mailbox_id.in_(owners), magnet_hits.c.received_at > since
    )
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    count = 0
    for row in rows:
        owner = owners[row.mailbox_id]
        if (row.mailbox_id, row.thread_id) in gate.inputs.private and (
            owner.owner.user_id != gate.viewer.id
        ):
            continue
        sender = row.sender.lower()
        if not record.matches(sender):
            continue
        if any(block_matches(p, sender) for p in gate.inputs.blocks_for(owner.owner.user_id)):
            continue
        count += 1
    return count
