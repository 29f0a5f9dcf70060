"""Undo category labels: every category label off, gpanel-archived mail back in the inbox.

Order matters for a crash at any point: labels are disabled first (no scheduled run can label
again meanwhile), then the three labels are removed from every message carrying them, then
exactly the ids in `label_archived` get INBOX back, and only then are those rows deleted. Run
again after a crash, undo finishes the job; the only state it needs is those message ids.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from gpanel.crm.categories import Category
from gpanel.gmail import MailboxClient
from gpanel.services.accounts import mailboxes
from gpanel.services.context import AppContext
from gpanel.services.labels import state as labels_state
from gpanel.services.labels.plan import INBOX, ORDER, label_names

log = logging.getLogger("gpanel.labels")


@dataclass(frozen=True)
class UndoReport:
    unlabelled: int
    returned_to_inbox: int


async def _known_labels(
    ctx: AppContext, mb: MailboxClient, known: dict[Category, str]
) -> dict[Category, str]:
    """Known label ids, or the labels found by name (undo never creates a label)."""
    if all(c in known for c in ORDER):
        return known
    names = label_names(ctx.settings.label_names)
    existing = {str(x.get("name", "")).casefold(): str(x["id"]) for x in await mb.list_labels()}
    return {c: existing[names[c].casefold()] for c in ORDER if names[c].casefold() in existing}


async def undo_labels(ctx: AppContext, mailbox_id: int) -> UndoReport:
    box = await mailboxes.get(ctx.engine, mailbox_id)
    if box is None:
        raise LookupError(f"mailbox {mailbox_id} does not exist")
    async with ctx.engine.begin() as conn:
        await labels_state.set_disabled(conn, mailbox_id)
    job = await labels_state.get(ctx.engine, mailbox_id)
    mb = ctx.gmail.mailbox(box.key)
    label_ids = await _known_labels(ctx, mb, job.label_ids)
    holders = await asyncio.gather(
        *(mb.list_all_message_ids(None, label_ids=(label_ids[c],)) for c in label_ids)
    )
    unlabelled: set[str] = set()
    for category, found in zip(label_ids, holders, strict=True):
        ids = [str(m["id"]) for m in found]
        unlabelled.update(ids)
        if ids:
            await mb.batch_modify(ids, remove=[label_ids[category]])
    async with ctx.engine.connect() as conn:
        archived = await labels_state.archived_ids(conn, mailbox_id)
    if archived:
        await mb.batch_modify(archived, add=[INBOX])
    async with ctx.engine.begin() as conn:
        await labels_state.forget_archived(conn, mailbox_id)
    log.info(
        "labels undone for mailbox %s: %d unlabelled, %d back in the inbox",
        mailbox_id,
        len(unlabelled),
        len(archived),
    )
    return UndoReport(len(unlabelled), len(archived))
