"""Reading a mailbox's state for a label run: per message, what it should carry and what it has.

Three ways in, each costing in proportion to what it covers:
- `by_search`: the mail of a set of contacts, found with `from:(a OR b) after:<window>`
  searches grouped by category (messages.list, 500 ids a page, in parallel). Which of those
  carry a category label or sit in the inbox comes from the same searches restricted with
  `labelIds`, or, in a full pass, from listing each category label once for the whole mailbox
  (so labels on mail that no longer belongs to any categorised contact are found and removed).
- `by_ids`: new (or, for "once read", just read) messages from history, read with one batch
  of metadata gets (From, labelIds, internalDate).
- hits of a lookalike address, ids two categories both claim, and every other hit a plan
  would change are checked the same way against their own From header, so `from:ann@x.com`
  never labels `joann@x.com`'s mail, nor `ann@x.com.evil.example`'s, nor a display name's.
Nothing read here is stored: only ids leave this module, inside `Facts`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm.categories import Category
from gpanel.gmail import MailboxClient, NotFound
from gpanel.gmail.errors import GmailError
from gpanel.services.labels import crm as labels_crm
from gpanel.services.labels.plan import (
    INBOX,
    ORDER,
    UNREAD,
    Facts,
    from_queries,
    header,
    holds,
    plan_changes,
    sender_address,
)

_SKIP = frozenset({"SPAM", "TRASH", "DRAFT"})


# Each check is a metadata get (20 units in the 2026 regime): 100 fit in one minute of a
# background job's share of the per-user budget (docs/gmail-facts.md, "Quota").
MAX_CHECKS_PER_RUN = 100


@dataclass
class HitChecks:
    """How many search hits one run may read to check, and what it had to leave.

    A touched hit left unchecked is not changed in Gmail; `left` says how many, so the run can
    keep its cursor and finish them next time. A preview keeps them, unchecked, in its counts.
    """

    limit: int | None = MAX_CHECKS_PER_RUN
    drop_unchecked: bool = True
    used: int = 0
    left: int = 0


@dataclass(frozen=True)
class Who:
    """What the CRM says about a sender."""

    contact_id: int | None
    category: Category | None


async def resolve_senders(
    engine: AsyncEngine, senders: Iterable[str], today: dt.date, fold: bool
) -> dict[str, Who]:
    async with engine.connect() as conn:
        contacts = await labels_crm.contacts_for_senders(conn, senders, fold)
        cats = await labels_crm.categories(conn, today, set(contacts.values()))
    return {s: Who(c, cats[c][0] if c in cats else None) for s, c in contacts.items()}


async def _ids(mb: MailboxClient, q: str | None, label_ids: tuple[str, ...] = ()) -> set[str]:
    return {str(m["id"]) for m in await mb.list_all_message_ids(q, label_ids=label_ids)}


async def read_messages(mb: MailboxClient, ids: Iterable[str]) -> dict[str, dict[str, object]]:
    """Metadata (From, labelIds, internalDate) of each message that still exists."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    got = await mb.batch_get_messages(wanted, format="metadata", metadata_headers=["From"])
    out: dict[str, dict[str, object]] = {}
    for message_id, answer in got.items():
        if isinstance(answer, NotFound):
            continue  # deleted since: nothing to label
        if isinstance(answer, GmailError):
            raise answer
        out[message_id] = answer
    return out


async def by_ids(
    engine: AsyncEngine,
    mb: MailboxClient,
    ids: Iterable[str],
    *,
    since: dt.datetime,
    today: dt.date,
    fold: bool,
    label_ids: Mapping[Category, str],
) -> dict[str, Facts]:
    """Facts for given messages from their own headers: one batch of metadata gets."""
    messages = await read_messages(mb, ids)
    senders = {i: sender_address(header(m, "From"), fold) for i, m in messages.items()}
    who = await resolve_senders(engine, {s for s in senders.values() if s}, today, fold)
    since_ms = int(since.timestamp() * 1000)
    facts: dict[str, Facts] = {}
    for message_id, message in messages.items():
        raw_labels = message.get("labelIds")
        labels = [str(x) for x in raw_labels] if isinstance(raw_labels, list) else []
        if _SKIP & set(labels):
            continue
        sender = senders[message_id]
        person = who.get(sender) if sender else None
        received = int(str(message.get("internalDate") or 0))
        target = person.category if person and received >= since_ms else None
        held = holds(labels, label_ids)
        if target is None and not held:
            continue
        facts[message_id] = Facts(
            target,
            held,
            INBOX in labels,
            person.contact_id if person else None,
            checked=True,
            unread=UNREAD in labels,
        )
    return facts


async def by_search(
    engine: AsyncEngine,
    mb: MailboxClient,
    addresses: Mapping[Category | None, Iterable[str]],
    *,
    since: dt.datetime,
    today: dt.date,
    fold: bool,
    label_ids: Mapping[Category, str],
    lookalike: frozenset[str],
    whole_labels: bool,
    checks: HitChecks | None = None,
) -> dict[str, Facts]:
    """Facts for the mail of the given addresses (keyed by the category their contact is in;
    None: contacts with no category). With `whole_labels`, every message carrying a category
    label is examined too (a full pass)."""
    expected: dict[str, Category] = {}
    contested: set[str] = set()
    inbox: set[str] = set()
    held: dict[Category, set[str]] = {c: set() for c in label_ids}
    jobs: list[asyncio.Future[None]] = []

    async def one(category: Category | None, q: str, risky: bool) -> None:
        want_labels = not whole_labels
        lists = [_ids(mb, q)] if category is not None else []
        if category is not None:
            lists.append(_ids(mb, q, (INBOX,)))
        if want_labels:
            lists.extend(_ids(mb, q, (label_ids[c],)) for c in ORDER)
        found = await asyncio.gather(*lists)
        if category is not None:
            hits, in_inbox = found[0], found[1]
            inbox.update(in_inbox)
            for message_id in hits:
                other = expected.get(message_id)
                if (other is not None and other is not category) or risky:
                    contested.add(message_id)
                expected.setdefault(message_id, category)
        if want_labels:
            for c, ids in zip(ORDER, found[-3:], strict=True):
                held[c].update(ids)
                if risky:
                    contested.update(ids)

    for category, addrs in addresses.items():
        addr_set = {a.lower() for a in addrs}
        risky_set = addr_set & lookalike
        for q in from_queries(addr_set - risky_set, since):
            jobs.append(asyncio.ensure_future(one(category, q, False)))
        for q in from_queries(risky_set, since):
            jobs.append(asyncio.ensure_future(one(category, q, True)))
    if whole_labels:

        async def whole(c: Category) -> None:
            held[c].update(await _ids(mb, None, (label_ids[c],)))

        jobs.extend(asyncio.ensure_future(whole(c)) for c in ORDER)
    try:
        await asyncio.gather(*jobs)
    except BaseException:
        for job in jobs:
            job.cancel()
        raise

    facts: dict[str, Facts] = {}
    checked: dict[str, Facts] = {}
    if contested:
        # The message's own From decides; its labels and inbox state come with it.
        checked = await by_ids(
            engine, mb, contested, since=since, today=today, fold=fold, label_ids=label_ids
        )
    every = set(expected) | {i for ids in held.values() for i in ids}
    for message_id in every:
        if message_id in contested:
            if message_id in checked:
                facts[message_id] = checked[message_id]
            continue
        facts[message_id] = Facts(
            expected.get(message_id),
            frozenset(c for c, ids in held.items() if message_id in ids),
            message_id in inbox,
        )
    return await _check_hits_before_changes(
        engine,
        mb,
        facts,
        set(expected),
        checks or HitChecks(limit=None),
        since=since,
        today=today,
        fold=fold,
        label_ids=label_ids,
    )


async def _check_hits_before_changes(
    engine: AsyncEngine,
    mb: MailboxClient,
    facts: dict[str, Facts],
    hits: set[str],
    checks: HitChecks,
    *,
    since: dt.datetime,
    today: dt.date,
    fold: bool,
    label_ids: Mapping[Category, str],
) -> dict[str, Facts]:
    """Every search hit that a plan would change is read first and judged by its own From.

    Gmail matches `from:` by words (docs/gmail-facts.md, "Reading and search"): `from:ann@x.com`
    also finds `ann@x.com.evil.example` and a display name spelling the address, and a loose
    search finds `joann@x.com`. A hit whose facts already match (nothing to change) costs
    nothing; the rest cost one metadata get each, and a sender who only looks like a contact
    gets no label and keeps its place in the inbox. Beyond `checks.limit` the remaining touched
    hits are left for a later run (or, in a preview, counted unchecked).
    """
    unchecked = {i: f for i, f in facts.items() if i in hits and not f.checked}
    plan = plan_changes(unchecked, label_ids)
    touched = sorted({i for change in plan.changes for i in change.ids})
    if not touched:
        return facts
    room = len(touched) if checks.limit is None else max(0, checks.limit - checks.used)
    now, later = touched[:room], touched[room:]
    checks.used += len(now)
    checks.left += len(later)
    checked = await by_ids(
        engine, mb, now, since=since, today=today, fold=fold, label_ids=label_ids
    )
    drop = set(now) | (set(later) if checks.drop_unchecked else set())
    out = {i: f for i, f in facts.items() if i not in drop}
    out.update(checked)
    return out
