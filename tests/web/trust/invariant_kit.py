"""Seed a generated organisation (`org_model.OrgSpec`) into a running stack, then check every
(viewer, path) against the oracle over real HTTP: panel rows as JSON, the thread as JSON, the
notification list. Shared by the CI test (`test_invariant.py`) and the longer run
(`bench/trust_invariant.py`).

Seeding goes through gpanel's own services and the emulator's control API: users and teams
(`crm.people`), Gmail connected (`Stack.connect_direct`), sharing choices and the admin's rules,
contacts, blocks, private marks, unlinks and MailMagnet hits as their tables hold them (ids
only), and mail delivered into each mailbox by the emulator. Every example uses names of its
own, and its mailboxes are removed afterwards, so examples never see each other's mail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, TypeVar

import httpx
from sqlalchemy import delete, insert, update

from gpanel.crm.companies import create_company
from gpanel.crm.contacts import create_contact
from gpanel.crm.people import create_team, create_user
from gpanel.services.accounts.sessions import sign_in
from gpanel.services.sharing.policy import Rule, RuleMode
from gpanel.services.sharing.rules import set_rule
from gpanel.store.engine import create_engine
from gpanel.store.tables import (
    blocked_addresses,
    magnet_hits,
    private_threads,
    sharing_settings,
    unlinks,
    users,
)
from gpanel.web.guard.session import SESSION_COOKIE, SessionCodec
from tests.support.stack import Stack
from tests.web.trust.invariant_deals import seed_deals
from tests.web.trust.org_model import (
    COMPANY,
    GROUP_MAX,
    ORG_DOMAIN,
    Copy,
    Oracle,
    OrgSpec,
    Seeded,
    deal_record,
)

T = TypeVar("T")
_EXAMPLES = itertools.count(1)
_ROW = re.compile(r'data-message-id="([^"]+)"')


def _db(stack: Stack, work: Callable[[Any], Awaitable[T]]) -> T:
    async def go() -> T:
        engine = create_engine(stack.settings.resolved_database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def seed(stack: Stack, spec: OrgSpec) -> Seeded:
    ex = next(_EXAMPLES)
    tag = f"x{ex}"
    emails = [f"u{tag}n{i}@{ORG_DOMAIN}" for i in range(len(spec.users))]
    contact_emails = [f"c{i}@cust{tag}.example" for i in range(len(spec.contact_owners))]
    for email in emails:
        stack.emulator.add_user(email, email.split("@")[0])

    async def people(engine: Any) -> tuple[list[int], list[int], list[int], int]:
        async with engine.begin() as conn:
            team_ids = [(await create_team(conn, name=f"T{tag}{n}")).id for n in (0, 1)]
            user_ids = []
            for email, u in zip(emails, spec.users, strict=True):
                made = await create_user(
                    conn,
                    email=email,
                    name=email.split("@")[0],
                    role=u.role,
                    team_id=team_ids[u.team] if u.team is not None else None,
                )
                user_ids.append(made.id)
            contact_ids = []
            for n, (address, owner) in enumerate(
                zip(contact_emails, spec.contact_owners, strict=True)
            ):
                made_contact = await create_contact(
                    conn,
                    first_name=f"C{n}",
                    last_name=tag,
                    emails=[address],
                    owner_id=user_ids[owner] if owner is not None else None,
                )
                contact_ids.append(made_contact.id)
            company = await create_company(
                conn,
                name=f"Customer {tag}",
                domains=[f"cust{tag}.example"],
                owner_id=user_ids[spec.company_owner] if spec.company_owner is not None else None,
            )
            for uid, u in zip(user_ids, spec.users, strict=True):
                await conn.execute(
                    insert(sharing_settings).values(
                        user_id=uid,
                        audience=u.audience,
                        detail=u.detail,
                        selected_users=sorted(user_ids[i] for i in u.picked_users),
                        selected_teams=sorted(team_ids[t] for t in u.picked_teams),
                        updated_at=_now(),
                    )
                )
        for field_name, rule in (("audience", spec.audience_rule), ("detail", spec.detail_rule)):
            made_rule = None
            if rule is not None:
                mode = RuleMode.FORCED if rule[0] == "forced" else RuleMode.CHOICE
                made_rule = Rule(mode, rule[1])
            await set_rule(engine, "role", "rep", field_name, made_rule)
        return user_ids, team_ids, contact_ids, company.id

    user_ids, team_ids, contact_ids, company_id = _db(stack, people)
    org = Seeded(
        spec,
        emails,
        user_ids,
        team_ids,
        contact_ids,
        contact_emails,
        company_id,
        f"cust{tag}.example",
        user_block_domain=f"blk{tag}.example",
        org_block_domain=f"orgblk{tag}.example",
    )
    org.deal_ids = _db(stack, lambda engine: seed_deals(engine, org))
    box = {i: stack.connect_direct(email) for i, email in enumerate(emails)}
    for number, m in enumerate(spec.messages):
        _deliver(stack, org, box, number, tag)
    _db(stack, lambda engine: _marks(engine, org))
    return org


def _deliver(stack: Stack, org: Seeded, box: dict[int, int], number: int, tag: str) -> None:
    m = org.spec.messages[number]
    owner_email = org.emails[m.owner]
    contact = org.contact_emails[m.contact]
    sender = owner_email if m.outbound else contact
    to = [contact] if m.outbound else [owner_email]
    if m.copy_to is not None:
        to.append(org.emails[m.copy_to])
    cc = [org.contact_emails[m.cc_contact]] if m.cc_contact is not None else []
    if m.cc_blocked == "user":
        cc.append(f"someone@{org.user_block_domain}")
    elif m.cc_blocked == "org":
        cc.append(f"someone@{org.org_block_domain}")
    if m.group:
        cc += [f"g{k}@crowd{tag}.example" for k in range(GROUP_MAX + 1)]
    bcc = [org.contact_emails[m.bcc_contact]] if m.bcc_contact is not None else []
    rfc = f"<m{number}.{tag}@invariant.test>"
    subject = f"Subject {tag} number {number}"
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(dict.fromkeys(cc))
    if bcc:
        msg["Bcc"] = ", ".join(bcc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(_now() - dt.timedelta(minutes=60 - number))
    msg["Message-ID"] = rfc
    msg.set_content(f"Body of {tag} number {number}: walrus{number}")
    raw = bytes(msg)
    if m.outbound:
        labels = ["SENT"] if m.label == "INBOX" else [m.label]
    else:
        labels = [m.label] + (["UNREAD"] if m.label == "INBOX" else [])
    if m.starred:
        labels.append("STARRED")
    holders = [m.owner] + ([m.copy_to] if m.copy_to is not None else [])
    for holder in holders:
        made = stack.emulator.insert(org.emails[holder], raw, label_ids=labels)
        org.copies.append(
            Copy(
                m,
                number,
                holder,
                box[holder],
                made["threadId"],
                made["id"],
                rfc,
                subject,
                sender,
                tuple(to),
                tuple(dict.fromkeys(cc)),
                tuple(bcc),
            )
        )


async def _marks(engine: Any, org: Seeded) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(blocked_addresses).values(
                user_id=None, pattern="@" + org.org_block_domain, created_at=_now()
            )
        )
        for uid, u in zip(org.user_ids, org.spec.users, strict=True):
            if u.block == "domain":
                pattern = "@" + org.user_block_domain
            elif u.block:
                pattern = org.contact_emails[int(u.block.split(":")[1])]
            else:
                continue
            await conn.execute(
                insert(blocked_addresses).values(user_id=uid, pattern=pattern, created_at=_now())
            )
        for c in org.copies:
            if c.mailbox_user != c.spec.owner:
                continue
            if c.spec.private:
                await conn.execute(
                    insert(private_threads).values(
                        mailbox_id=c.mailbox_id, thread_id=c.thread_id, created_at=_now()
                    )
                )
            if c.spec.unlinked:
                await conn.execute(
                    insert(unlinks).values(
                        mailbox_id=c.mailbox_id,
                        thread_id=c.thread_id,
                        record_type="contact",
                        record_id=org.contact_ids[c.spec.contact],
                        user_id=org.user_ids[c.mailbox_user],
                        created_at=_now(),
                    )
                )
            if c.spec.hit:
                await conn.execute(
                    insert(magnet_hits).values(
                        mailbox_id=c.mailbox_id,
                        message_id=c.message_id,
                        thread_id=c.thread_id,
                        sender=c.sender,
                        received_at=_now(),
                        opened_at=None,
                    )
                )


def clients(stack: Stack, org: Seeded) -> list[httpx.Client]:
    async def go(engine: Any) -> list[str]:
        out = []
        for email in org.emails:
            _, session_id = await sign_in(engine, stack.settings, email, email)
            out.append(str(session_id))
        return out

    codec = SessionCodec(stack.settings.secret_key.get_secret_value())
    return [
        httpx.Client(
            base_url=stack.url,
            timeout=60,
            cookies={SESSION_COOKIE: codec.dumps(sid)},
            headers={"X-CSRF-Token": codec.csrf_token(sid)},
        )
        for sid in _db(stack, go)
    ]


def cleanup(stack: Stack, org: Seeded) -> None:
    """The example's people are deactivated (their mailboxes are then read by nobody), so
    later examples' panels do not search them. Rows stay, so no id is ever reused (a reused
    mailbox id would meet its predecessor's cached Gmail data)."""

    async def go(engine: Any) -> None:
        async with engine.begin() as conn:
            await conn.execute(
                update(users).where(users.c.id.in_(org.user_ids)).values(active=False)
            )
            await conn.execute(
                delete(blocked_addresses).where(
                    blocked_addresses.c.pattern == "@" + org.org_block_domain
                )
            )

    _db(stack, go)


# --- the checks ----------------------------------------------------------------------------------
def _get(client: httpx.Client, url: str, **params: str) -> httpx.Response:
    """GET, waiting out gpanel's own per-address limit on /api/ (600 a minute) when a long run
    reaches it: the limiter is product behaviour, not what this test checks."""
    for _ in range(90):
        resp = client.get(url, params=params or None)
        if resp.status_code != 429:
            return resp
        time.sleep(1)
    return resp


def _expect_row(oracle: Oracle, viewer: int, row: dict[str, Any], copy: Copy, detail: str) -> None:
    where = f"viewer {viewer}, message {copy.number} in mailbox of user {copy.mailbox_user}"
    owner = viewer == copy.mailbox_user
    assert row["detail"] == detail, where
    assert {p["email"] for p in row["participants"]} == oracle.participants(viewer, copy), where
    assert row["subject"] == (copy.subject if detail != "metadata" else None), where
    assert (row["snippet"] is not None and f"walrus{copy.number}" in row["snippet"]) is (
        detail == "full"
    ), where
    if owner:
        assert row["starred"] is copy.spec.starred, where
        assert row["new"] is (copy.spec.hit and copy.mailbox_user == copy.spec.owner), where
    else:
        assert row["labels"] == [] and row["starred"] is False and row["unread"] is None, where
        assert row["new"] is False, where


def _records(org: Seeded) -> list[tuple[int, str, int]]:
    """(oracle record index, URL kind, id) of every record: each contact, the company, then
    each deal."""
    contacts = [(i, "contact", rid) for i, rid in enumerate(org.contact_ids)]
    deals = [(deal_record(k), "deal", rid) for k, rid in enumerate(org.deal_ids)]
    return [*contacts, (COMPANY, "company", org.company_id), *deals]


def check_panel(stack: Stack, org: Seeded, people: list[httpx.Client]) -> int:
    oracle = Oracle(org)
    checked = 0
    for viewer, client in enumerate(people):
        for contact, kind, record_id in _records(org):
            resp = _get(client, f"/api/records/{kind}/{record_id}/threads")
            if not oracle.can_open(viewer, contact):
                assert resp.status_code == 403, (viewer, contact, resp.status_code)
                continue
            assert resp.status_code == 200, resp.text[:300]
            body = resp.json()
            assert body["notices"] == [], body["notices"]
            got = {(r["mailbox_id"], r["thread_id"]): r for r in body["threads"]}
            want = oracle.rows(viewer, contact)
            assert set(got) == set(want), (viewer, contact, sorted(got), sorted(want))
            for key, (copy, detail) in want.items():
                _expect_row(oracle, viewer, got[key], copy, detail)
                checked += 1
    return checked


def check_notifications(stack: Stack, org: Seeded, people: list[httpx.Client]) -> int:
    oracle = Oracle(org)
    for viewer, client in enumerate(people):
        page = client.get("/notifications")
        assert page.status_code == 200
        got = set(_ROW.findall(page.text))
        assert got == oracle.notifications(viewer), (viewer, got, oracle.notifications(viewer))
        listed = {c.subject for c in org.copies if c.message_id in got}
        for copy in org.copies:
            # The owner's own list shows subjects in full; nothing else's subject appears.
            assert (copy.subject in page.text) is (copy.subject in listed), (viewer, copy.number)
    return len(people)


def check_threads(stack: Stack, org: Seeded, people: list[httpx.Client]) -> tuple[int, int]:
    """Every copy opened by id from every record, by every viewer: 404 exactly when the oracle
    says so, else the fields of the detail. Runs last: an owner's opening clears "New".
    Returns (threads opened, openings refused)."""
    oracle = Oracle(org)
    checked = refused = 0
    for viewer, client in enumerate(people):
        for copy in org.copies:
            for contact, kind, record_id in _records(org):
                resp = _get(
                    client,
                    f"/api/threads/{copy.mailbox_id}/{copy.thread_id}",
                    record_type=kind,
                    record_id=str(record_id),
                )
                detail = oracle.opens(viewer, contact, copy)
                where = f"viewer {viewer} opens message {copy.number} of user {copy.mailbox_user}"
                if detail is None:
                    assert resp.status_code == 404, (where, contact, resp.status_code)
                    assert copy.subject not in resp.text
                    refused += 1
                    continue
                assert resp.status_code == 200, (where, contact, resp.text[:200])
                body = resp.json()
                owner = viewer == copy.mailbox_user
                assert body["detail"] == detail, where
                (msg,) = body["messages"]
                assert msg["subject"] == (copy.subject if detail != "metadata" else None), where
                assert (msg["body"] is not None) is (detail == "full"), where
                bcc = {p["email"] for p in msg["bcc"]}
                assert bcc == (set(copy.bcc) if owner else set()), where
                if not owner:
                    assert body["labels"] is None and body["unread"] is None, where
                    assert body["starred"] is None and msg["unread"] is None, where
                checked += 1
    return checked, refused
