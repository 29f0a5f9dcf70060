"""Set-up shared by the MailMagnet and job tests: a mailbox with a CRM around it, no web app.

`magnet_world(db_url, emulator_url)` connects alice@ (a demo rep, a Google account in the
emulator) through the production OAuth code, creates two CRM people whose mail should become
hits (a contact and a lead) and switches MailMagnet on. Tests then drive `run_magnet` with their
own `AppContext`, so no scheduler races them. `mail_from()` builds a small RFC 822 message.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm.companies import create_company
from gpanel.crm.contacts import create_contact
from gpanel.crm.people import create_user
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext, open_context
from gpanel.services.ops import job_state
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.ops.scheduling import RunObserver
from gpanel.settings import Settings
from tests.support.stack import stack_settings

ALICE = "alice@brightwave.example"
CONTACT = "pat.contact@customer.example"
LEAD = "lee.lead@prospect.example"
STRANGER = "nobody@elsewhere.example"
_seq = itertools.count(1)


@dataclass
class MagnetWorld:
    ctx: AppContext
    settings: Settings
    mailbox_id: int
    user_id: int
    contact_id: int
    company_id: int


def mail_from(sender: str, to: str = ALICE, subject: str = "Quarterly numbers") -> bytes:
    n = next(_seq)
    return (
        f"From: Someone <{sender}>\r\nTo: {to}\r\nSubject: {subject} {n}\r\n"
        f"Message-ID: <m{n}.{dt.datetime.now().timestamp()}@test>\r\n"
        f"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nBody text {n}\r\n"
    ).encode()


async def seed_people(engine: AsyncEngine) -> tuple[int, int, int]:
    """alice (the user), a company with a contact, and a lead: (user, contact, company) ids."""
    async with engine.begin() as conn:
        user = await create_user(conn, email=ALICE, name="Alice Archer", role="rep")
        company = await create_company(conn, name="Customer Co", domains=["customer.example"])
        contact = await create_contact(
            conn, first_name="Pat", last_name="Contact", emails=[CONTACT], company_id=company.id
        )
        await create_contact(conn, first_name="Lee", last_name="Lead", emails=[LEAD], kind="lead")
    return user.id, contact.id, company.id


@asynccontextmanager
async def magnet_world(
    db_url: str, emulator_url: str, observer: RunObserver | None = None, **overrides: str
) -> AsyncIterator[MagnetWorld]:
    settings, _ = stack_settings(db_url, emulator_url, **overrides)
    async with open_context(settings, observer=observer) as ctx:
        user_id, contact_id, company_id = await seed_people(ctx.engine)
        user = CurrentUser(user_id, ALICE, "Alice Archer", "rep", None)
        box = await connect_through_emulator(ctx.engine, settings, emulator_url, user)
        await job_state.set_magnet_enabled(ctx.engine, box.id, True)
        yield MagnetWorld(ctx, settings, box.id, user_id, contact_id, company_id)


def seed_stack_people(db_url: str) -> tuple[int, int, int]:
    """`seed_people` on a running stack's database, from synchronous test code."""
    import asyncio

    from gpanel.store.engine import create_engine

    async def go() -> tuple[int, int, int]:
        engine = create_engine(db_url)
        try:
            return await seed_people(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def enable_magnet(db_url: str, mailbox_id: int) -> None:
    import asyncio

    from gpanel.store.engine import create_engine

    async def go() -> None:
        engine = create_engine(db_url)
        try:
            await job_state.set_magnet_enabled(engine, mailbox_id, True)
        finally:
            await engine.dispose()

    asyncio.run(go())


def wait_for(predicate: object, timeout: float = 30.0, every: float = 0.1) -> None:
    import time

    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)
