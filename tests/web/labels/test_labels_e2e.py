"""Category labels through the product over real HTTP (gpanel and the emulator on 127.0.0.1):
the switch is refused until the admin allows labels and MailMagnet is on; preview counts what
would move without touching Gmail; after a run the label view lists the labels with their
counts and live thread subjects; explain names the deciding deal; undo puts back exactly what
gpanel archived and turns labels off.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gpanel.crm import contacts, deals
from gpanel.services.context import AppContext, open_context
from gpanel.services.labels.run import run_labels
from gpanel.services.ops import job_state
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.store.tables import label_archived, mailbox_jobs, mailboxes
from tests.support.stack import Stack, csrf, seen

REP = "carla@brightwave.example"
T = TypeVar("T")


def with_ctx(stack: Stack, work: Callable[[AppContext], Awaitable[T]]) -> T:
    async def go() -> T:
        async with open_context(stack.settings) as ctx:
            return await work(ctx)

    return asyncio.run(go())


def raw(sender: str, subject: str) -> bytes:
    return (f"From: Someone <{sender}>\r\nTo: {REP}\r\nSubject: {subject}\r\n\r\nhi\r\n").encode()


def test_switch_preview_run_view_explain_undo(stack: Stack) -> None:
    """The whole user journey of "Label your email" on one mailbox."""
    browser = stack.sign_in(REP)
    stack.connect(browser, REP)
    (box,) = stack.rows(mailboxes)
    page = browser.get("/settings/labels")
    assert "Your admin has not turned on category labels" in seen(page)
    refused = browser.post(
        "/settings/labels/enable", data={"csrf_token": csrf(browser), "previewed": "1"}
    )
    assert refused.status_code == 403

    today = dt.datetime.now(dt.UTC).date()

    async def setup(ctx: AppContext) -> tuple[int, int]:
        await sharing.set_feature(ctx.engine, "role", "rep", Feature.LABELS, True)
        async with ctx.engine.begin() as conn:
            buyer = await contacts.create_contact(
                conn, first_name="Bea", last_name="Buyer", emails=["bea@buyer.example"]
            )
            loser = await contacts.create_contact(
                conn, first_name="Lou", last_name="Lost", emails=["lou@lost.example"]
            )
            await deals.create_deal(
                conn,
                name="Big renewal",
                stage="Negotiation",
                closing_date=today,
                primary_contact_id=buyer.id,
            )
            await deals.create_deal(
                conn,
                name="Gone",
                stage="Closed Lost",
                closing_date=today,
                primary_contact_id=loser.id,
            )
        return buyer.id, loser.id

    buyer_id, loser_id = with_ctx(stack, setup)
    assert "Turn on MailMagnet first" in seen(browser.get("/settings/labels"))
    with_ctx(stack, lambda ctx: job_state.set_magnet_enabled(ctx.engine, box.id, True))

    inbox = stack.emulator.insert(REP, raw("bea@buyer.example", "Renewal terms"))["id"]
    archived = stack.emulator.insert(REP, raw("bea@buyer.example", "Old quote"), ["UNREAD"])["id"]
    lost = stack.emulator.insert(REP, raw("lou@lost.example", "Thanks anyway"))["id"]

    preview = seen(browser.get("/settings/labels/preview"))
    assert (
        'data-category="closing_this_month"><td>CRM/Deals Closing This Month</td>'
        '<td class="arriving">2</td>' in preview
    )
    assert "1 messages would leave the inbox" in preview and "Bea Buyer" in preview
    assert "CRM/Deals Closing This Month" not in {
        x.name for x in stack.emulator.state.mailbox(REP).labels.all()
    }

    on = browser.post(
        "/settings/labels/enable", data={"csrf_token": csrf(browser), "previewed": "1"}
    )
    assert on.status_code == 200 and "Labels are on" in seen(on)
    # Turning labels on asks the app's scheduler for a run; run it here if none came.
    deadline = time.monotonic() + 20
    while stack.rows(mailbox_jobs)[0].labels_run_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if stack.rows(mailbox_jobs)[0].labels_run_at is None:
        assert with_ctx(stack, lambda ctx: run_labels(ctx, box.id)).status == "done"
    state = stack.emulator.state.mailbox(REP)
    ctm = state.labels.by_name("CRM/Deals Closing This Month")
    assert ctm is not None and ctm.color == {"backgroundColor": "#fb4c2f", "textColor": "#ffffff"}
    assert {m.id for m in state.messages.values() if ctm.id in m.label_ids} == {inbox, archived}
    assert "INBOX" not in state.messages[inbox].label_ids

    view = seen(browser.get("/labels?label=closing_this_month"))
    assert "Renewal terms" in view and "Old quote" in view and "Thanks anyway" not in view
    assert '<span class="count">2</span>' in view

    explained = seen(browser.get(f"/settings/labels/explain?message={inbox}"))
    assert 'data-why="labelled"' in explained and "Big renewal" in explained
    assert "Carries now</dt><dd>CRM/Deals Closing This Month" in explained
    why_not = seen(browser.get(f"/settings/labels/explain?contact={loser_id}"))
    assert 'data-why="lost_only"' in why_not
    stranger = seen(browser.get(f"/settings/labels/explain?message={lost}"))
    assert 'data-why="lost_only"' in stranger
    assert browser.get(f"/settings/labels/explain?contact={buyer_id + 1000}").status_code == 404

    assert {r.message_id for r in stack.rows(label_archived)} == {inbox}
    undone = browser.post("/settings/labels/undo", data={"csrf_token": csrf(browser)})
    assert "2 messages unlabelled, 1 returned to your inbox" in seen(undone)
    assert "INBOX" in state.messages[inbox].label_ids
    assert "INBOX" not in state.messages[archived].label_ids
    assert not stack.rows(label_archived)
    (job,) = stack.rows(mailbox_jobs)
    assert not job.labels_enabled
    user_labels = [x for x in state.labels.all() if x.type == "user"]
    assert all(not set(m.label_ids) & {x.id for x in user_labels} for m in state.messages.values())
