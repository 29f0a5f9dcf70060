"""Why a message or a contact gets a category label, or why it gets none.

docs/behaviour.md, "Category labels": for any message or contact gpanel says which label applies and
which deal decided it, or why none: not a contact, no deal, lost deals only, outside the window,
labels disabled. A message is explained from its own From header and date (one metadata get, read
live, never stored); a contact from the CRM alone. Only records the viewer may open are named or
described (contacts, deals, stages, closing dates): the same `records.authorise` as the
record pages, so ids cannot be walked here. The category itself comes from
`crm.categories.contact_category`, the same rule the label runs use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.categories import Category, contact_category, org_today
from gpanel.crm.contacts import get_contact
from gpanel.crm.deals import list_deals
from gpanel.crm.models import Contact, Deal
from gpanel.crm.stages import list_stages
from gpanel.gmail import MailboxClient
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.labels import crm as labels_crm
from gpanel.services.labels import state as labels_state
from gpanel.services.labels.plan import ORDER, header, label_names, sender_address
from gpanel.services.records.access import Forbidden, authorise


class Why(StrEnum):
    LABELLED = "labelled"
    NOT_A_CONTACT = "not_a_contact"
    NO_DEAL = "no_deal"
    LOST_ONLY = "lost_only"
    OUTSIDE_WINDOW = "outside_window"
    LABELS_DISABLED = "labels_disabled"


@dataclass(frozen=True)
class Explanation:
    why: Why
    words: str
    category: Category | None = None
    label: str | None = None
    deal: Deal | None = None
    contact: Contact | None = None
    carries: tuple[str, ...] = ()  # the category labels the message carries now


async def _category(
    ctx: AppContext, contact_id: int, today: dt.date
) -> tuple[Category | None, Deal | None]:
    async with ctx.engine.connect() as conn:
        return await contact_category(conn, contact_id, today)


def _title(contact: Contact) -> str:
    name = f"{contact.first_name} {contact.last_name}".strip()
    return name or (contact.emails[0] if contact.emails else f"contact {contact.id}")


async def _may_open(
    conn: AsyncConnection, viewer: CurrentUser | None, record: Contact | Deal
) -> bool:
    try:
        await authorise(conn, viewer, record)
    except Forbidden:
        return False
    return True


async def _for_contact(
    ctx: AppContext, contact: Contact, today: dt.date, enabled: bool, viewer: CurrentUser | None
) -> Explanation:
    """The explanation of a contact the viewer may open. Deals they may not open are never
    named nor described (stage, closing date): the category still says which label applies."""
    names = label_names(ctx.settings.label_names)
    async with ctx.engine.connect() as conn:
        category, deal = await contact_category(conn, contact.id, today)
        if deal is not None and not await _may_open(conn, viewer, deal):
            deal = None
        if category is None:
            deals = [
                d
                for d in await list_deals(conn, contact_id=contact.id, limit=1000)
                if await _may_open(conn, viewer, d)
            ]
            stages = {s.name: s for s in await list_stages(conn)}
    who = _title(contact)
    if category is None:
        if not deals:
            return Explanation(
                Why.NO_DEAL, f"{who} has no deal, so no category label.", contact=contact
            )
        lost = all(stages[d.stage].is_closed and not stages[d.stage].is_won for d in deals)
        words = (
            f"{who}'s deals are all lost, so no category label."
            if lost
            else f"{who} has no open or won deal, so no category label."
        )
        return Explanation(Why.LOST_ONLY if lost else Why.NO_DEAL, words, contact=contact)
    label = names[category]
    if deal is None:
        words = f"{label}: decided by a deal you do not have access to."
    else:
        when = f", closing {deal.closing_date.isoformat()}" if deal.closing_date else ""
        words = f"{label}: decided by the deal {deal.name} ({deal.stage}{when})."
    if not enabled:
        return Explanation(
            Why.LABELS_DISABLED,
            "Labels are off for this mailbox. If they were on: " + words,
            category,
            label,
            deal,
            contact,
        )
    return Explanation(Why.LABELLED, words, category, label, deal, contact)


async def explain_contact(
    ctx: AppContext,
    mailbox_id: int,
    contact_id: int,
    *,
    now: dt.datetime | None = None,
    viewer: CurrentUser | None = None,
) -> Explanation | None:
    """None when the contact does not exist or `viewer` may not open it (the same answer, so
    ids cannot be walked). `viewer` None is a trusted caller (CLI, tests)."""
    job = await labels_state.get(ctx.engine, mailbox_id)
    async with ctx.engine.connect() as conn:
        contact = await get_contact(conn, contact_id)
        if contact is None or not await _may_open(conn, viewer, contact):
            return None
    today = org_today(ctx.settings.org_timezone, now)
    return await _for_contact(ctx, contact, today, job.enabled, viewer)


async def explain_message(
    ctx: AppContext,
    mb: MailboxClient,
    mailbox_id: int,
    message_id: str,
    *,
    now: dt.datetime | None = None,
    viewer: CurrentUser | None = None,
) -> Explanation:
    """Raises the Gmail error (e.g. NotFound) when the message cannot be read. A sender who
    is a contact `viewer` may not open is explained without naming it or its deals."""
    job = await labels_state.get(ctx.engine, mailbox_id)
    message = await mb.get_message(message_id, format="metadata", metadata_headers=["From"])
    labels = message.get("labelIds") if isinstance(message.get("labelIds"), list) else []
    names = label_names(ctx.settings.label_names)
    carries = tuple(names[c] for c in ORDER if job.label_ids.get(c) in (labels or []))
    sender = sender_address(header(message, "From"), ctx.settings.fold_gmail_addresses)
    async with ctx.engine.connect() as conn:
        found = await labels_crm.contacts_for_senders(
            conn, [sender] if sender else [], ctx.settings.fold_gmail_addresses
        )
        contact = await get_contact(conn, next(iter(found.values()))) if found else None
        hidden = contact is not None and not await _may_open(conn, viewer, contact)
    today = org_today(ctx.settings.org_timezone, now)
    if contact is not None and hidden:
        category, _ = await _category(ctx, contact.id, today)
        words = "The sender is a CRM contact you do not have access to"
        if category is None:
            return Explanation(Why.NO_DEAL, words + ", with no category label.", carries=carries)
        return Explanation(
            Why.LABELLED if job.enabled else Why.LABELS_DISABLED,
            f"{words}; the label is {names[category]}.",
            category,
            names[category],
            carries=carries,
        )
    if contact is None:
        return Explanation(
            Why.NOT_A_CONTACT,
            "The sender is not a contact in the CRM, so no category label.",
            carries=carries,
        )
    base = await _for_contact(ctx, contact, today, job.enabled, viewer)
    received_ms = int(str(message.get("internalDate") or 0))
    if (
        base.why is Why.LABELLED
        and job.since is not None
        and received_ms < int(job.since.timestamp() * 1000)
    ):
        return Explanation(
            Why.OUTSIDE_WINDOW,
            f"Received before the labelling window (which "
            f"starts {job.since:%Y-%m-%d}), so gpanel leaves it as it is. For "
            f"newer mail: {base.words}",
            base.category,
            base.label,
            base.deal,
            contact,
            carries,
        )
    return Explanation(base.why, base.words, base.category, base.label, base.deal, contact, carries)
