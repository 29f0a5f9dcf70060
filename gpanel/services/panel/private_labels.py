"""Private labels: Gmail labels (for example "Personal") whose threads a mailbox's owner never
shows to anyone else.

Stored as the label's Gmail id and its name when chosen (`private_labels`), nothing about any
message. The rule itself is in `rules.evaluate` (a thread carrying such a label is private), so
every path through the gate obeys it: the record panel, the thread page and its JSON,
attachments, "why isn't my email here?", the label view.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.store.tables import private_labels

log = logging.getLogger(__name__)
# Gmail's own labels are not offered: INBOX, SENT, UNREAD and the like are not a rep's folders.
USER_LABEL = "user"


@dataclass(frozen=True)
class GmailLabel:
    id: str
    name: str


def user_labels(listed: Iterable[dict[str, object]]) -> list[GmailLabel]:
    """The user's own labels from Gmail's labels.list, by name."""
    found = [
        GmailLabel(str(x["id"]), str(x.get("name", "")))
        for x in listed
        if x.get("type") == USER_LABEL and x.get("id")
    ]
    return sorted(found, key=lambda label: label.name.casefold())


async def chosen(engine: AsyncEngine, mailbox_id: int) -> list[GmailLabel]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(private_labels.c.label_id, private_labels.c.label_name)
                .where(private_labels.c.mailbox_id == mailbox_id)
                .order_by(private_labels.c.label_name)
            )
        ).all()
    return [GmailLabel(r.label_id, r.label_name) for r in rows]


async def save(engine: AsyncEngine, mailbox_id: int, labels: Iterable[GmailLabel]) -> None:
    """Replace the mailbox's private labels with `labels` (ids the caller read from Gmail)."""
    wanted = {label.id: label for label in labels}
    now = dt.datetime.now(dt.UTC)
    async with engine.begin() as conn:
        await conn.execute(delete(private_labels).where(private_labels.c.mailbox_id == mailbox_id))
        if wanted:
            await conn.execute(
                insert(private_labels),
                [
                    {
                        "mailbox_id": mailbox_id,
                        "label_id": label.id[:64],
                        "label_name": label.name[:200],
                        "created_at": now,
                    }
                    for label in wanted.values()
                ],
            )
    log.info("mailbox %s keeps %d labels private", mailbox_id, len(wanted))
