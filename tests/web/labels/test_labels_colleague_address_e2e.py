"""Category labels ignore a colleague's address held by a contact, over real HTTP (gpanel and
the emulator): a contact row written before addresses were checked (straight through the crm
layer here) holds both a customer's address and Ben's, a gpanel user's. A label run on Carla's
mailbox labels, and takes out of her inbox, the customer's mail only: Ben's stays untouched."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gpanel.crm import contacts, deals, people
from gpanel.services.context import AppContext, open_context
from gpanel.services.labels.run import run_labels
from gpanel.services.ops import job_state
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.store.tables import mailbox_jobs, mailboxes
from tests.support.stack import Stack, csrf

REP = "carla@brightwave.example"
COLLEAGUE = "ben@brightwave.example"
LABEL = "CRM/Deals Closing This Month"
T = TypeVar("T")


def raw(sender: str, subject: str) -> bytes:
    return (f"From: Someone <{sender}>\r\nTo: {REP}\r\nSubject: {subject}\r\n\r\nhi\r\n").encode()


def test_label_run_leaves_a_colleagues_mail_alone(stack: Stack) -> None:
    """Bea's mail gets the deal's label and leaves the inbox (the control); Ben's mail, though
    his address is on Bea's contact row, keeps its labels exactly."""
    browser = stack.sign_in(REP)
    stack.connect(browser, REP)
    (box,) = stack.rows(mailboxes)
    today = dt.datetime.now(dt.UTC).date()

    async def with_ctx(work: Callable[[AppContext], Awaitable[T]]) -> T:
        async with open_context(stack.settings) as ctx:
            return await work(ctx)

    async def setup(ctx: AppContext) -> None:
        await sharing.set_feature(ctx.engine, "role", "rep", Feature.LABELS, True)
        await job_state.set_magnet_enabled(ctx.engine, box.id, True)
        async with ctx.engine.begin() as conn:
            await people.create_user(conn, email=COLLEAGUE, name="Ben")
            bea = await contacts.create_contact(
                conn, first_name="Bea", emails=["bea@buyer.example", COLLEAGUE]
            )
            await deals.create_deal(
                conn,
                name="Renewal",
                stage="Negotiation",
                closing_date=today,
                primary_contact_id=bea.id,
            )

    customer = stack.emulator.insert(REP, raw("bea@buyer.example", "Renewal terms"))["id"]
    colleague = stack.emulator.insert(REP, raw(COLLEAGUE, "Lunch on Friday"))["id"]
    before = set(stack.emulator.state.mailbox(REP).messages[colleague].label_ids)
    asyncio.run(with_ctx(setup))
    on = browser.post(
        "/settings/labels/enable", data={"csrf_token": csrf(browser), "previewed": "1"}
    )
    assert on.status_code == 200, on.text[:300]
    # Turning labels on asks the app's scheduler for a run; run it here if none came.
    deadline = time.monotonic() + 20
    while stack.rows(mailbox_jobs)[0].labels_run_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if stack.rows(mailbox_jobs)[0].labels_run_at is None:
        done = asyncio.run(with_ctx(lambda ctx: run_labels(ctx, box.id)))
        assert done.status == "done", done.reason
    state = stack.emulator.state.mailbox(REP)
    label = state.labels.by_name(LABEL)
    assert label is not None
    assert label.id in state.messages[customer].label_ids  # the control: labelling works
    assert "INBOX" not in state.messages[customer].label_ids
    assert set(state.messages[colleague].label_ids) == before
    assert "INBOX" in state.messages[colleague].label_ids
