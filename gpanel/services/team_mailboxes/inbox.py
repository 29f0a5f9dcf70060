"""The team inbox, read live: the mailbox's INBOX threads from Gmail, newest first, each judged
by the panel's gate (`access.team_gate`), with gpanel's state (status, assignee, age, "New",
overdue) and the CRM contacts the thread is about (those the viewer may open); the banner of
counts per status; the filters (mine, unassigned, overdue, a status, an assignee).

Subjects, senders and snippets are read from Gmail for this answer and never stored. Reading
also does the mailbox's bookkeeping: a thread seen for the first time gets its state
(unassigned) and the dispatchers a "new mail" entry in the bell; threads of people who left go
back to unassigned; threads that became overdue are announced once per wait (the clock of
`waiting.clock_start`: a later customer message restarts it). `read_inbox(background=True)` is
the background pass's read (`upkeep`), charged to the mailbox's budget as a job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from gpanel.gmail import Priority, RetryPolicy
from gpanel.services.context import AppContext
from gpanel.services.panel.rules import ThreadMeta
from gpanel.services.records.access import openable_owners
from gpanel.services.team_mailboxes import actions, store, waiting
from gpanel.services.team_mailboxes.access import Access, team_gate
from gpanel.services.team_mailboxes.hours import is_overdue
from gpanel.services.team_mailboxes.model import OVERDUE, STATUS_WORDS, Invalid, ThreadState
from gpanel.store.tables import contact_emails, contacts, team_threads

VIEW_RETRY = RetryPolicy(max_tries=3, deadline=5.0)
PAGE_SIZE = 50
FILTERS = ("all", "mine", "unassigned", "overdue")


@dataclass(frozen=True)
class Row:
    thread_id: str
    subject: str
    sender: str
    last_at: dt.datetime
    unread: bool
    state: ThreadState
    status: str  # the stored status, or "overdue"
    assignee: str | None
    contacts: tuple[tuple[int, str], ...]

    def as_json(self) -> dict[str, Any]:
        s = self.state
        return {
            "thread_id": self.thread_id,
            "subject": self.subject,
            "sender": self.sender,
            "last_message_at": self.last_at.isoformat(),
            "unread": self.unread,
            "status": s.status,
            "overdue": self.status == OVERDUE,
            "assignee_id": s.assignee_id,
            "assignee_name": self.assignee,
            "new": s.is_new,
            "version": s.version,
            "first_seen_at": s.first_seen_at.isoformat(),
            "contacts": [{"id": i, "name": n} for i, n in self.contacts],
        }


@dataclass(frozen=True)
class Inbox:
    rows: list[Row]
    banner: list[tuple[str, str, int]]  # (status, words, count)
    members: dict[int, str]
    error: str | None = None
    next_page: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


def _first_at(meta: ThreadMeta) -> dt.datetime:
    dates = [m.internal_date or m.headers.date for m in meta.live]
    return min((d for d in dates if d is not None), default=store.now_utc())


def overdue(
    ctx: AppContext,
    access: Access,
    state: ThreadState,
    now: dt.datetime,
    meta: ThreadMeta | None = None,
) -> bool:
    """Not closed, and a customer message has waited past the response time (`waiting`)."""
    box = access.box
    start = waiting.clock_start(state, meta, waiting.own_addresses(box))
    if start is None:
        return False
    return is_overdue(
        start,
        None,
        state.status == "closed",
        now,
        box.response_minutes,
        zone=ctx.settings.org_timezone,
        work_days=box.work_days,
        start_hour=box.work_start_hour,
        end_hour=box.work_end_hour,
    )


async def _contacts(
    ctx: AppContext, access: Access, emails: set[str]
) -> dict[str, list[tuple[int, str]]]:
    if not emails:
        return {}
    query = (
        select(
            contact_emails.c.email,
            contacts.c.id,
            contacts.c.first_name,
            contacts.c.last_name,
            contacts.c.owner_id,
        )
        .join(contacts, contacts.c.id == contact_emails.c.contact_id)
        .where(contact_emails.c.email.in_(sorted(emails)))
    )
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
        allowed = await openable_owners(conn, access.viewer, {r.owner_id for r in rows})
    out: dict[str, list[tuple[int, str]]] = {}
    for r in rows:
        if r.owner_id in allowed:
            name = f"{r.first_name} {r.last_name}".strip() or r.email
            out.setdefault(r.email, []).append((int(r.id), name))
    return out


async def _announce_overdue(
    ctx: AppContext,
    access: Access,
    states: list[ThreadState],
    now: dt.datetime,
    metas: dict[str, ThreadMeta],
) -> None:
    """Tell the assignee (or the dispatchers) once per wait. `overdue_notified_at` keeps the
    start of the wait last announced (a time, never mail): a thread is told again only when its
    clock restarted later than that (a customer message after the team's answer)."""
    own = waiting.own_addresses(access.box)
    for state in states:
        meta = metas.get(state.thread_id)
        start = waiting.clock_start(state, meta, own)
        if start is None or not overdue(ctx, access, state, now, meta):
            continue
        told = state.overdue_notified_at
        if told is not None and start <= told:
            continue
        async with ctx.engine.begin() as conn:
            if await store.compare_and_set(conn, state, {"overdue_notified_at": start}):
                told_ids = [state.assignee_id] if state.assignee_id else access.box.dispatcher_ids
                await store.notify(conn, state, "overdue", told_ids, None)


async def states_for_api(ctx: AppContext, access: Access) -> list[ThreadState]:
    return list((await store.states(ctx.engine, access.box.id)).values())


async def read_inbox(
    ctx: AppContext,
    access: Access,
    *,
    show: str = "all",
    status: str | None = None,
    assignee: int | None = None,
    page: str | None = None,
    background: bool = False,
) -> Inbox:
    """One page of the team inbox for a member, with the bookkeeping above."""
    if show not in FILTERS:
        raise Invalid("show must be one of: " + ", ".join(FILTERS) + ".", field="show")
    if status and status not in STATUS_WORDS:
        raise Invalid("Unknown status.", field="status")
    box, viewer = access.box, access.viewer
    gate = await team_gate(ctx, access)
    priority = Priority.BACKGROUND if background else Priority.INTERACTIVE
    client = ctx.gmail.mailbox(str(box.mailbox_id), priority=priority, retry=VIEW_RETRY)
    read = await ctx.panel.read(client, box.mailbox_id, ["in:inbox"], [page], page_size=PAGE_SIZE)
    shown = [t for t in read.threads.values() if gate.judge(t).shown]
    shown.sort(key=lambda t: t.last_at, reverse=True)
    fresh = await store.ensure_states(
        ctx.engine, box.id, {t.thread_id: _first_at(t) for t in shown}
    )
    if fresh and box.dispatcher_ids:
        async with ctx.engine.begin() as conn:
            for state in fresh:
                await store.notify(conn, state, "new_mail", box.dispatcher_ids, None)
    known = await store.states(ctx.engine, box.id)
    if await actions.return_leavers(ctx, access, list(known.values())):
        known = await store.states(ctx.engine, box.id)
    now = store.now_utc()
    metas = {t.thread_id: t for t in shown}
    await _announce_overdue(ctx, access, list(known.values()), now, metas)
    names = await store.people(ctx.engine, access.members)
    emails = {p.email for t in shown for p in t.open_people if p.email}
    about = await _contacts(ctx, access, emails)
    rows: list[Row] = []
    for t in shown:
        got = known.get(t.thread_id)
        if got is None:
            continue
        state = got
        late = overdue(ctx, access, state, now, t)
        sender = next((m.headers.from_ for m in reversed(t.live)), None)
        who = sender.addresses[0] if sender and sender.addresses else None
        found: dict[int, str] = {}
        for p in t.open_people:
            found.update(dict(about.get(p.email, [])))
        rows.append(
            Row(
                thread_id=t.thread_id,
                subject=t.subject or "(no subject)",
                sender=(who.name or who.email) if who else "",
                last_at=t.last_at,
                unread=t.unread,
                state=state,
                status=OVERDUE if late else state.status,
                assignee=names.get(state.assignee_id or 0),
                contacts=tuple(sorted(found.items())),
            )
        )
    counts = {s: 0 for s in STATUS_WORDS}
    for state in known.values():
        counts[state.status] += 1
        if overdue(ctx, access, state, now, metas.get(state.thread_id)):
            counts[OVERDUE] += 1
    banner = [(s, STATUS_WORDS[s], counts[s]) for s in box.banner_statuses if s in counts]
    wanted = [r for r in rows if _keep(r, viewer.id, show, status, assignee)]
    return Inbox(wanted, banner, names, next_page=read.next_tokens[0], counts=counts)


def _keep(row: Row, me: int, show: str, status: str | None, assignee: int | None) -> bool:
    s = row.state
    if show == "mine" and s.assignee_id != me:
        return False
    if show == "unassigned" and s.status != "unassigned":
        return False
    if show == "overdue" and row.status != OVERDUE:
        return False
    if status == OVERDUE and row.status != OVERDUE:
        return False
    if status and status != OVERDUE and s.status != status:
        return False
    return assignee is None or s.assignee_id == assignee


async def has_thread(ctx: AppContext, box_id: int, thread_id: str) -> bool:
    async with ctx.engine.connect() as conn:
        found = await conn.scalar(
            select(team_threads.c.id).where(
                team_threads.c.team_mailbox_id == box_id, team_threads.c.thread_id == thread_id
            )
        )
    return found is not None
