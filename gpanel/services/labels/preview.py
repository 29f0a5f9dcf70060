"""Preview (dry run): what a full label pass would move where, without changing Gmail.

The same reading and planning as a run's full pass (`labels_run.full_facts`, then
`plan_changes`), with only read calls: labels that do not exist yet are not created (their
messages simply count as arriving). Per label: how many messages would arrive, leave, and leave
the inbox, with a few sample ids; per contact (the first `contact_limit` categorised contacts,
in label order): its label and how many of its messages would change, from one search each.
Nothing is stored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.categories import Category, org_today
from gpanel.crm.contacts import get_contacts
from gpanel.gmail import MailboxClient
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.labels import crm as labels_crm
from gpanel.services.labels import state as labels_state
from gpanel.services.labels.gather import HitChecks
from gpanel.services.labels.plan import ORDER, from_queries, label_names, plan_changes, window_start
from gpanel.services.labels.run import full_facts
from gpanel.services.sharing.policy import can_open_record
from gpanel.store.tables import contacts, users


@dataclass(frozen=True)
class LabelPreview:
    category: Category
    name: str
    arriving: int
    leaving: int
    samples: tuple[str, ...]


@dataclass(frozen=True)
class ContactPreview:
    contact_id: int
    name: str
    category: Category
    label: str
    messages: int  # in the window
    changing: int  # of which would get a change


@dataclass
class Preview:
    since: dt.datetime
    labels: list[LabelPreview] = field(default_factory=list)
    unlabelled: int = 0  # messages that would lose a category label and get none
    leave_inbox: int = 0
    modify_calls: int = 0
    contacts: list[ContactPreview] = field(default_factory=list)
    more_contacts: int = 0


async def _openable(conn: AsyncConnection, viewer: CurrentUser, ids: list[int]) -> list[int]:
    """The ids (in order) of contacts `viewer` may open, by the record-access rule, in two
    queries however many contacts there are."""
    teams = {r.id: r.team_id for r in await conn.execute(select(users.c.id, users.c.team_id))}
    owners = {
        r.id: r.owner_id for r in await conn.execute(select(contacts.c.id, contacts.c.owner_id))
    }
    out = []
    for cid in ids:
        owner = owners.get(cid)
        team = teams.get(owner) if owner is not None else None
        if can_open_record(viewer.person, owner, [team] if team else []):
            out.append(cid)
    return out


async def preview(
    ctx: AppContext,
    mb: MailboxClient,
    mailbox_id: int,
    *,
    now: dt.datetime | None = None,
    contact_limit: int = 25,
    viewer: CurrentUser | None = None,
) -> Preview:
    """The dry run for one mailbox. Contacts are listed only when `viewer` may open them
    (None: a trusted caller): the counts per label are about the viewer's own mail, the list
    of contacts is CRM data and follows record access, so ids and names cannot be walked."""
    moment = now or dt.datetime.now(dt.UTC)
    job = await labels_state.get(ctx.engine, mailbox_id)
    since = (
        job.since
        if job.enabled and job.since
        else window_start(moment, ctx.settings.labels_backfill_days)
    )
    names = label_names(ctx.settings.label_names)
    label_ids = dict(job.label_ids)
    if len(label_ids) < len(ORDER):
        existing = {str(x.get("name", "")).casefold(): str(x["id"]) for x in await mb.list_labels()}
        for c in ORDER:
            # A label that does not exist yet gets a stand-in id no message can carry.
            label_ids.setdefault(c, existing.get(names[c].casefold(), f"(new) {names[c]}"))
    today = org_today(ctx.settings.org_timezone, moment)
    # A preview changes nothing, so hits beyond the check limit are counted unchecked.
    checks = HitChecks(drop_unchecked=False)
    facts = await full_facts(ctx, mb, since=since, today=today, label_ids=label_ids, checks=checks)
    plan = plan_changes(facts, label_ids, mode=job.inbox_mode)
    out = Preview(since=since, leave_inbox=len(plan.archive), modify_calls=plan.modify_calls)
    for c in ORDER:
        out.labels.append(
            LabelPreview(
                c, names[c], plan.arriving(c), plan.leaving(c), tuple(plan.samples.get(c, ()))
            )
        )
    out.unlabelled = sum(n for (_, to), n in plan.moves.items() if to is None)
    changing = {i for change in plan.changes for i in change.ids}
    async with ctx.engine.connect() as conn:
        cats = await labels_crm.categories(conn, today)
        ranked = sorted(cats, key=lambda cid: (ORDER.index(cats[cid][0]), cid))
        if viewer is not None and not viewer.is_admin:
            ranked = await _openable(conn, viewer, ranked)
        shown = ranked[:contact_limit]
        addresses = await labels_crm.addresses_of(conn, shown)
        people = await get_contacts(conn, shown)
    out.more_contacts = max(0, len(ranked) - len(shown))

    def theirs(cid: int, message_id: str) -> bool:
        # A search hit counts for the contact unless its own From was read and names someone
        # else (Gmail matches words, so hits include senders who only look like the contact).
        f = facts.get(message_id)
        return f is not None and (not f.checked or f.contact_id == cid)

    async def one(cid: int) -> ContactPreview:
        ids: set[str] = set()
        for q in from_queries(addresses.get(cid, ()), since):
            ids.update(str(m["id"]) for m in await mb.list_all_message_ids(q))
        ids = {i for i in ids if theirs(cid, i)}
        person = people[cid]
        name = f"{person.first_name} {person.last_name}".strip() or f"contact {cid}"
        category = cats[cid][0]
        return ContactPreview(cid, name, category, names[category], len(ids), len(ids & changing))

    out.contacts = list(await asyncio.gather(*(one(cid) for cid in shown if cid in people)))
    return out
