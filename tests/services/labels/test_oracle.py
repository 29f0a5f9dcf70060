"""The category-label oracle: a generated CRM and mailbox, and after every run each message
carries exactly the label (and inbox state) the rules of docs/behaviour.md ("Category labels") give,
computed here independently of gpanel's planner.

The CRM holds deals in every state (closing this month, next month, last month but still open,
undated, won, lost), several deals per contact, contacts with several addresses, and deals whose
closing date sits on the month boundary that differs between UTC and the org's time zone
(America/Los_Angeles): at 03:00 UTC on 1 April it is still 31 March for the org. The mailbox has
mail from every contact address inside and outside the backfill window, some archived, some
with a user label, some from strangers, and a lookalike pair (`ann@` inside `joann@`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gpanel.crm import contacts, deals
from gpanel.services.labels.run import run_labels
from gpanel.services.labels.state import get as load_job
from gpanel.store.tables import label_archived
from tests.services.labels.world import World, enable, label_world
from tests.support.emulator import RunningEmulator

TZ = "America/Los_Angeles"
MARCH = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)  # 2026-03-31 20:00 in Los Angeles
APRIL = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)  # 2026-04-01 05:00 in Los Angeles
OPEN, WON, LOST = "Proposal", "Closed Won", "Closed Lost"
NAMES = {"ctm": "CRM/Deals Closing This Month", "open": "CRM/Open Deals", "cust": "CRM/Customers"}


@dataclass
class GDeal:
    id: int
    stage: str
    closing: dt.date | None
    contacts: set[int]


@dataclass
class GMessage:
    id: str
    address: str
    in_window: bool
    original: set[str]


@dataclass
class Model:
    """The generated world as plain data: what the test believes, independent of gpanel."""

    addresses: dict[int, list[str]] = field(default_factory=dict)
    deals: dict[int, GDeal] = field(default_factory=dict)
    messages: list[GMessage] = field(default_factory=list)
    ever_labelled: set[str] = field(default_factory=set)

    def owner(self, address: str) -> int | None:
        return next((c for c, a in self.addresses.items() if address.lower() in a), None)

    def category(self, contact: int, now: dt.datetime) -> str | None:
        today = now.astimezone(ZoneInfo(TZ)).date()
        mine = [d for d in self.deals.values() if contact in d.contacts]
        still_open = [d for d in mine if d.stage not in (WON, LOST)]
        if any(
            d.closing and (d.closing.year, d.closing.month) == (today.year, today.month)
            for d in still_open
        ):
            return "ctm"
        if still_open:
            return "open"
        if any(d.stage == WON for d in mine):
            return "cust"
        return None


def label_id(world: World, key: str) -> str:
    found = world.gmail_box().labels.by_name(NAMES[key])
    assert found is not None, f"label {NAMES[key]} was not created"
    return str(found.id)


def check(world: World, model: Model, now: dt.datetime) -> None:
    """Every message carries exactly the expected labels; archive rows match."""
    ours = {k: label_id(world, k) for k in NAMES}
    wrong = []
    for m in model.messages:
        contact = model.owner(m.address)
        target = model.category(contact, now) if contact is not None and m.in_window else None
        if target is not None:
            model.ever_labelled.add(m.id)
        expected = m.original - {"INBOX"} - set(ours.values())
        # Labelled mail leaves the inbox; mail gpanel took out that loses every category
        # label goes back (mail that was never in the inbox stays out).
        if "INBOX" in m.original and target is None:
            expected.add("INBOX")
        if target is not None:
            expected.add(ours[target])
        actual = world.labels_of(m.id)
        if actual != expected:
            wrong.append((m.address, m.in_window, target, sorted(actual), sorted(expected)))
    assert not wrong, f"{len(wrong)} messages wrong, e.g. {wrong[:5]}"


def archived_rows(db_rows: list[object]) -> set[str]:
    return {r.message_id for r in db_rows}  # type: ignore[attr-defined]


async def build(world: World, rng: random.Random) -> Model:
    model = Model()
    projects = world.user_label("Projects")
    async with world.ctx.engine.begin() as conn:
        for n in range(24):
            count = rng.choice([1, 1, 2, 3])
            emails = [f"p{n}x{k}@co{n % 5}.example" for k in range(count)]
            c = await contacts.create_contact(conn, first_name="P", last_name=str(n), emails=emails)
            model.addresses[c.id] = emails
        for emails in (["ann@look.example"], ["joann@look.example"]):
            c = await contacts.create_contact(
                conn, first_name="L", last_name=emails[0], emails=emails
            )
            model.addresses[c.id] = emails
        ids = list(model.addresses)
        kinds: dict[str, Callable[[], tuple[str, dt.date | None]]] = {
            "ctm": lambda: (OPEN, dt.date(2026, 3, rng.choice([1, 15, 31]))),
            "next": lambda: (OPEN, dt.date(2026, 4, rng.choice([1, 1, 20]))),
            "last": lambda: (OPEN, dt.date(2026, 2, 27)),
            "undated": lambda: (OPEN, None),
            "won": lambda: (WON, dt.date(2025, rng.randint(1, 12), 10)),
            "lost": lambda: (LOST, dt.date(2026, 3, 5)),
        }
        plan = [rng.choice(list(kinds)) for _ in range(30)]
        plan += ["ctm", "lost"]  # ann (ctm) and joann (lost only) below
        for i, kind in enumerate(plan):
            stage, closing = kinds[kind]()
            if i == len(plan) - 2:
                members = {ids[-2]}
            elif i == len(plan) - 1:
                members = {ids[-1]}
            else:
                members = set(rng.sample(ids[:-2], rng.choice([1, 1, 2])))
            primary, *roles = sorted(members)
            d = await deals.create_deal(
                conn,
                name=f"D{i}",
                stage=stage,
                closing_date=closing,
                primary_contact_id=primary,
                roles=[(r, "Champion") for r in roles],
            )
            model.deals[d.id] = GDeal(d.id, stage, closing, members)
    for emails in model.addresses.values():
        for address in emails:
            for days, in_window in (
                (rng.uniform(1, 25), True),
                (rng.uniform(1, 25), True),
                (rng.uniform(40, 60), False),
            ):
                labels = {"INBOX"} if rng.random() < 0.7 else set()
                if rng.random() < 0.3:
                    labels.add(projects)
                if rng.random() < 0.5:
                    labels.add("UNREAD")
                shown = address.upper() if rng.random() < 0.2 else address
                mid = world.add_message(shown, days_ago=days, labels=labels)
                model.messages.append(GMessage(mid, address, in_window, labels))
    for n in range(6):
        mid = world.add_message(f"stranger{n}@else.example", days_ago=3)
        model.messages.append(GMessage(mid, f"stranger{n}@else.example", True, {"INBOX"}))
    # A message the rep sent to a contact is not from the contact.
    box = world.gmail_box()
    sent = box.insert_raw(
        f"From: Rep <{world.email}>\r\nTo: p0x0@co0.example\r\nSubject: hi\r\n"
        f"\r\nhello\r\n".encode(),
        ["SENT"],
    )
    model.messages.append(GMessage(str(sent.id), world.email, True, {"SENT"}))
    return model


async def test_labels_follow_the_crm_across_runs(db_url: str, emulator: RunningEmulator) -> None:
    """First run labels everything; CRM edits and new mail move only what they should (a
    move between labels keeps mail out of the inbox; mail gpanel archived that loses every
    category label goes back to the inbox and off the undo list); a run with no change makes
    exactly one Gmail call; a deleted deal and a new month in the org's time zone are both
    caught by a full pass."""
    rng = random.Random(20260331)
    # This test follows the incremental path across runs: keep a week's worth of history, as
    # Google does, rather than the tests' small default (expiry has its own tests).
    emulator.control.put("/_emulator/history", json={"retention": 10_000}).raise_for_status()
    async with label_world(db_url, emulator, org_timezone=TZ) as world:
        model = await build(world, rng)
        await enable(world)

        first = await run_labels(world.ctx, world.mailbox_id, now=MARCH)
        assert (first.status, first.kind) == ("done", "full"), first
        check(world, model, MARCH)
        archived = {
            m.id for m in model.messages if "INBOX" in m.original and m.id in model.ever_labelled
        }
        async with world.ctx.engine.connect() as conn:
            rows = (await conn.execute(select(label_archived.c.message_id))).scalars().all()
        assert set(rows) == archived and archived

        # CRM edits through the CRM service, and new mail.
        by_kind = {(d.stage, d.closing and d.closing.month): d for d in model.deals.values()}
        changed = []
        async with world.ctx.engine.begin() as conn:
            march_open = next(
                d
                for d in model.deals.values()
                if d.stage == OPEN and d.closing and d.closing.month == 3
            )
            await deals.update_deal(conn, march_open.id, {"stage": WON})
            march_open.stage = WON
            changed.append(march_open)
            feb = by_kind.get((OPEN, 2))
            if feb is not None:
                await deals.update_deal(conn, feb.id, {"closing_date": dt.date(2026, 3, 20)})
                feb.closing = dt.date(2026, 3, 20)
            lonely = next(
                (
                    c
                    for c in model.addresses
                    if model.category(c, MARCH) is None and c not in (max(model.addresses),)
                ),
                None,
            )
            if lonely is not None:
                target = next(d for d in model.deals.values() if d.stage == OPEN)
                roles = [
                    (c, "Added") for c in sorted(target.contacts) if c != min(target.contacts)
                ] + [(lonely, "Added")]
                await deals.update_deal(conn, target.id, {"roles": roles})
                target.contacts.add(lonely)
            # A new address for a contact: its old mail (in the window) joins the label.
            someone = next(c for c in model.addresses if model.category(c, MARCH) == "open")
            model.addresses[someone] = [*model.addresses[someone], "late@new.example"]
            await contacts.update_contact(conn, someone, {"emails": model.addresses[someone]})
        late = world.add_message("late@new.example", days_ago=5)
        model.messages.append(GMessage(late, "late@new.example", True, {"INBOX"}))
        for address in ("p1x0@co1.example", "nobody@else.example"):
            mid = world.add_message(address, days_ago=0)
            model.messages.append(GMessage(mid, address, True, {"INBOX"}))
        # `late` predates the run in Gmail's history but arrives after run 1's cursor too.

        second = await run_labels(world.ctx, world.mailbox_id, now=MARCH)
        assert (second.status, second.kind) == ("done", "incremental"), second
        assert second.new_messages == 3 and second.contacts_rechecked >= 2
        check(world, model, MARCH)

        world.clear_log()
        third = await run_labels(world.ctx, world.mailbox_id, now=MARCH)
        assert (third.status, third.kind, third.modify_calls) == ("done", "incremental", 0)
        assert [e["method_id"] for e in world.log()] == ["gmail.users.history.list"]

        # Contacts taken off a deal (a primary contact replaced, a role removed) lose that
        # deal's label on the next incremental run: nothing is deleted, so no full pass.
        before = {c: model.category(c, MARCH) for c in model.addresses}

        def moved() -> list[int]:
            return [c for c, was in before.items() if model.category(c, MARCH) != was]

        async with world.ctx.engine.begin() as conn:
            for d in [d for d in model.deals.values() if d.stage != LOST]:
                current = await deals.get_deal(conn, d.id)
                assert current is not None and set(current.contact_ids) == d.contacts
                primary = current.primary_contact_id
                roles = [r.contact_id for r in current.roles if r.contact_id != primary]
                if roles:  # drop the last role
                    kept = roles[:-1]
                    await deals.update_deal(conn, d.id, {"roles": [(r, "Champion") for r in kept]})
                    d.contacts = {c for c in (primary, *kept) if c is not None}
                else:  # hand the deal to another contact
                    outsider = next(c for c in model.addresses if c not in d.contacts)
                    await deals.update_deal(conn, d.id, {"primary_contact_id": outsider})
                    d.contacts = {outsider}
                if len(moved()) >= 3:
                    break
        assert len(moved()) >= 3, "the edits moved too few contacts to prove anything"
        taken_off = await run_labels(world.ctx, world.mailbox_id, now=MARCH)
        assert (taken_off.status, taken_off.kind) == ("done", "incremental"), taken_off
        check(world, model, MARCH)

        async with world.ctx.engine.begin() as conn:
            gone = next(d for d in model.deals.values() if d.stage == OPEN and d.contacts)
            await deals.delete_deal(conn, gone.id)
            del model.deals[gone.id]
        fourth = await run_labels(world.ctx, world.mailbox_id, now=MARCH)
        assert (fourth.kind, fourth.reason) == ("full", "CRM records were deleted")
        check(world, model, MARCH)

        fifth = await run_labels(world.ctx, world.mailbox_id, now=APRIL)
        assert (fifth.kind, fifth.reason) == ("full", "a new month began")
        assert fifth.modified > 0
        check(world, model, APRIL)
        assert (await load_job(world.ctx.engine, world.mailbox_id)).org_month == "2026-04"

        # Some labelled mail lost every label along the way and went back to the inbox; the
        # undo list holds exactly the mail that is labelled and was in the inbox.
        def target(m: GMessage) -> str | None:
            owner = model.owner(m.address)
            return model.category(owner, APRIL) if owner is not None and m.in_window else None

        back = [
            m
            for m in model.messages
            if "INBOX" in m.original and m.id in model.ever_labelled and target(m) is None
        ]
        assert back, "no labelled mail lost its labels: the restore path was not exercised"
        async with world.ctx.engine.connect() as conn:
            rows = set((await conn.execute(select(label_archived.c.message_id))).scalars())
        held = {m.id for m in model.messages if "INBOX" in m.original and target(m) is not None}
        assert rows == held
