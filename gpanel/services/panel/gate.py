"""The one gate between a viewer and a mailbox's mail: may this thread be shown, at what detail.

Every path that shows mail to someone goes through here and judges each thread with the same
`rules.evaluate`: the record panel (pages, fragment, embed, JSON), the thread page and its JSON,
attachments and inline images (via `threads.gate.authorize_thread`), "why isn't my email
here?", MailMagnet notifications and the Gmail label view. So opening a thread by id can never
show what the panel hides: spam and trash, blocked addresses (org-wide, the viewer's own, the
owner's own), group mail, internal-only mail, unlinks, private threads, the owner's sharing.

Two kinds of gate:

- `open_record()`: a record's context. It checks record access (`records.authorise`: Forbidden /
  RecordNotFound), reads the record's addresses (`crm.addresses`) and the Gmail searches for
  them, the mailboxes the viewer may see (`inputs.visible_mailboxes`, own first) and the rule
  inputs (block lists, unlinks of this record, private threads), all from one connection.
- `open_mailbox()`: no record (notifications, the label view): the viewer's own mailbox only;
  the participant and unlink rules do not apply, every other rule does.

What a shown thread reveals, field by field, is `policy.shown_fields(detail, is_owner)`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.addresses import record_addresses
from gpanel.crm.models import RecordType
from gpanel.gmail import participants_query
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.panel import inputs as panel_store
from gpanel.services.panel.rules import (
    MailboxOwner,
    Reason,
    RecordMatch,
    RuleInputs,
    ThreadMeta,
    Verdict,
    evaluate,
)
from gpanel.services.records import access as records
from gpanel.services.sharing.rules import mailbox_owners
from gpanel.settings import Settings


@dataclass(frozen=True)
class Gate:
    """What one viewer may see, loaded once per view; `judge` is the decision."""

    viewer: CurrentUser
    owners: tuple[MailboxOwner, ...]  # mailboxes the viewer may see, own first
    broken: tuple[MailboxOwner, ...]  # ... and those whose owner must reconnect
    inputs: RuleInputs
    queries: tuple[str, ...] = ()  # the Gmail searches for the record's addresses

    def owner(self, mailbox_id: int) -> MailboxOwner | None:
        return next((o for o in self.owners if o.mailbox_id == mailbox_id), None)

    def judge(self, thread: ThreadMeta) -> Verdict:
        """The verdict on `thread` for this viewer (NOT_SHARED for a mailbox not theirs to see)."""
        owner = self.owner(thread.mailbox_id)
        if owner is None:
            return Verdict(Reason.NOT_SHARED)
        return evaluate(thread, owner, self.inputs)

    def judge_ignoring_unlink(self, thread: ThreadMeta) -> Verdict:
        """The verdict had nobody unlinked this thread: an unlinked thread still opens from
        the record (so it can be linked again) when every other rule lets it."""
        key = (thread.mailbox_id, thread.thread_id)
        inputs = dataclasses.replace(self.inputs, unlinked=self.inputs.unlinked - {key})
        owner = self.owner(thread.mailbox_id)
        return Verdict(Reason.NOT_SHARED) if owner is None else evaluate(thread, owner, inputs)


async def load_context(
    conn: AsyncConnection,
    settings: Settings,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    include_company: bool,
) -> tuple[RecordMatch, list[str]]:
    """Check access (records.Forbidden / RecordNotFound) and return the record's addresses
    and the Gmail searches for them."""
    record = await records.load_record(conn, record_type, record_id)
    await records.authorise(conn, viewer, record)
    found = await record_addresses(
        conn,
        record_type,
        record_id,
        include_company,
        org_domains=settings.own_domains,
        openable=records.owner_filter(conn, viewer),
    )
    match = RecordMatch.of(found.emails, found.domains, settings.fold_gmail_addresses)
    return match, participants_query(sorted(found.emails), sorted(found.domains))


async def open_record(
    ctx: AppContext,
    viewer: CurrentUser,
    record_type: RecordType,
    record_id: int,
    *,
    include_company: bool = False,
) -> Gate:
    """The gate for `viewer` on one record (records.Forbidden, RecordNotFound)."""
    owners, broken = await panel_store.visible_mailboxes(ctx.engine, viewer)
    async with ctx.engine.connect() as conn:  # one connection for the record and the rules
        match, queries = await load_context(
            conn, ctx.settings, viewer, record_type, record_id, include_company
        )
        inputs = await panel_store.rule_inputs(
            conn, ctx.settings, viewer, record_type, record_id, match, owners
        )
    return Gate(viewer, tuple(owners), tuple(broken), inputs, tuple(queries))


async def open_mailbox(ctx: AppContext, viewer: CurrentUser, mailbox_id: int) -> Gate:
    """The gate for `viewer` on their own mailbox, outside any record. Anyone else's mailbox
    gets a gate that shows nothing (no owners)."""
    owners = [
        MailboxOwner(o.mailbox_id, o.owner, o.owner_name, o.sharing)
        for o in await mailbox_owners(ctx.engine)
        if o.mailbox_id == mailbox_id and o.owner.user_id == viewer.id
    ]
    async with ctx.engine.connect() as conn:
        inputs = await panel_store.rule_inputs(
            conn, ctx.settings, viewer, None, 0, RecordMatch.of((), (), False), owners
        )
    return Gate(viewer, tuple(owners), (), dataclasses.replace(inputs, record=None))
