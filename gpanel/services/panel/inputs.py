"""What the record panel reads from gpanel's own database, a few queries per view.

Which mailboxes a viewer may search (connected ones through `sharing.mailbox_owners`, and
those needing a reconnect so the panel can say so), the rule inputs of `panel_rules` (block
lists, unlinks of this record, private threads), CRM names for participant addresses (one
query for contacts, one for users), and MailMagnet hits not yet opened (the "New" badge).
Only ids, addresses of the CRM and times are read here; no mail content is ever stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.crm.emails import normalise_email
from gpanel.crm.models import RecordType
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.panel.rules import MailboxOwner, RecordMatch, RuleInputs
from gpanel.services.records.access import openable_owners
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Person, mailbox_detail
from gpanel.settings import Settings
from gpanel.store.tables import (
    blocked_addresses,
    contact_emails,
    contacts,
    magnet_hits,
    mailboxes,
    private_labels,
    private_threads,
    unlinks,
    users,
)


async def visible_mailboxes(
    engine: AsyncEngine, viewer: CurrentUser
) -> tuple[list[MailboxOwner], list[MailboxOwner]]:
    """(connected mailboxes the viewer may see on records, those needing a reconnect), the
    viewer's own first."""
    person = viewer.person
    found = [
        MailboxOwner(o.mailbox_id, o.owner, o.owner_name, o.sharing)
        for o in await sharing.mailbox_owners(engine)
        if mailbox_detail(person, o.owner, o.sharing) is not None
    ]
    query = (
        select(
            mailboxes.c.id, users.c.id.label("user_id"), users.c.name, users.c.role, users.c.team_id
        )
        .join(users, users.c.id == mailboxes.c.user_id)
        .where(mailboxes.c.status != "connected", users.c.active.is_(True))
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    broken = []
    for r in rows:  # rare: a mailbox whose owner must reconnect
        owner = Person.of(r.user_id, r.role, [r.team_id] if r.team_id else [])
        shared, _ = await sharing.my_sharing(engine, r.user_id, r.role)
        if mailbox_detail(person, owner, shared) is not None:
            broken.append(MailboxOwner(r.id, owner, r.name, shared))
    own_first = sorted(found, key=lambda o: (o.owner.user_id != viewer.id, o.mailbox_id))
    return own_first, broken


async def rule_inputs(
    conn: AsyncConnection,
    settings: Settings,
    viewer: CurrentUser,
    record_type: RecordType | None,
    record_id: int,
    match: RecordMatch,
    owners: Iterable[MailboxOwner],
) -> RuleInputs:
    owners = list(owners)
    user_ids = {viewer.id, *(o.owner.user_id for o in owners)}
    block_rows = (
        await conn.execute(
            select(blocked_addresses.c.user_id, blocked_addresses.c.pattern).where(
                or_(
                    blocked_addresses.c.user_id.is_(None), blocked_addresses.c.user_id.in_(user_ids)
                )
            )
        )
    ).all()
    org = tuple(r.pattern for r in block_rows if r.user_id is None)
    per_user: dict[int, tuple[str, ...]] = {}
    for r in block_rows:
        if r.user_id is not None:
            per_user[r.user_id] = (*per_user.get(r.user_id, ()), r.pattern)
    # Outside a record (record_type None) nothing is unlinked.
    unlinked = (
        []
        if record_type is None
        else (
            await conn.execute(
                select(unlinks.c.mailbox_id, unlinks.c.thread_id).where(
                    unlinks.c.record_type == record_type.value, unlinks.c.record_id == record_id
                )
            )
        ).all()
    )
    mailbox_ids = [o.mailbox_id for o in owners]
    private = (
        await conn.execute(
            select(private_threads.c.mailbox_id, private_threads.c.thread_id).where(
                private_threads.c.mailbox_id.in_(mailbox_ids)
            )
        )
    ).all()
    labelled: dict[int, frozenset[str]] = {}
    for r in (
        await conn.execute(
            select(private_labels.c.mailbox_id, private_labels.c.label_id).where(
                private_labels.c.mailbox_id.in_(mailbox_ids)
            )
        )
    ).all():
        labelled[r.mailbox_id] = labelled.get(r.mailbox_id, frozenset()) | {r.label_id}
    return RuleInputs(
        viewer=viewer.person,
        record=match,
        own_domains=settings.own_domains,
        group_max=settings.group_mail_max_recipients,
        org_blocks=org,
        user_blocks=per_user,
        unlinked=frozenset((r.mailbox_id, r.thread_id) for r in unlinked),
        private=frozenset((r.mailbox_id, r.thread_id) for r in private),
        private_labels=labelled,
    )


@dataclass(frozen=True, slots=True)
class CrmName:
    name: str
    kind: str  # contact | user
    id: int


async def crm_names(
    conn: AsyncConnection, emails: Iterable[str], fold_gmail: bool, *, viewer: CurrentUser | None
) -> dict[str, CrmName]:
    """CRM names for addresses (keys as given): contacts `viewer` may open first (another's
    contact is not named: its name is CRM data the viewer may not read), then gpanel users."""
    wanted = {e: normalise_email(e, fold_gmail) for e in emails if e}
    if not wanted:
        return {}
    column = contact_emails.c.folded if fold_gmail else contact_emails.c.email
    rows = (
        await conn.execute(
            select(
                column.label("key"),
                contacts.c.id,
                contacts.c.first_name,
                contacts.c.last_name,
                contacts.c.owner_id,
            )
            .join(contacts, contacts.c.id == contact_emails.c.contact_id)
            .where(column.in_(set(wanted.values())))
        )
    ).all()
    allowed = await openable_owners(conn, viewer, {r.owner_id for r in rows})
    by_key = {
        r.key: CrmName(f"{r.first_name} {r.last_name}".strip(), "contact", r.id)
        for r in rows
        if r.owner_id in allowed
    }
    user_rows = (
        await conn.execute(
            select(users.c.email, users.c.name, users.c.id).where(users.c.email.in_(set(wanted)))
        )
    ).all()
    by_user = {r.email: CrmName(r.name, "user", r.id) for r in user_rows}
    out: dict[str, CrmName] = {}
    for email, key in wanted.items():
        hit = by_key.get(key) or by_user.get(email)
        if hit is not None:
            out[email] = hit
    return out


async def unopened_hits(
    conn: AsyncConnection, pairs: Iterable[tuple[int, str]]
) -> frozenset[tuple[int, str]]:
    """Which (mailbox id, thread id) have a MailMagnet hit not yet opened."""
    pairs = set(pairs)
    if not pairs:
        return frozenset()
    rows = (
        await conn.execute(
            select(magnet_hits.c.mailbox_id, magnet_hits.c.thread_id).where(
                magnet_hits.c.mailbox_id.in_({m for m, _ in pairs}),
                magnet_hits.c.thread_id.in_({t for _, t in pairs}),
                magnet_hits.c.opened_at.is_(None),
            )
        )
    ).all()
    return frozenset((r.mailbox_id, r.thread_id) for r in rows) & pairs
