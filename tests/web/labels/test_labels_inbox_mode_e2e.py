"""When labelled mail leaves the inbox, over real HTTP (gpanel and the emulator on 127.0.0.1):
the owner picks at once (the default), once read, or never on /settings/labels; the label runs
do what was picked, for the first full pass and for mail arriving or read later (read through
the Gmail API, as a person reading in Gmail). And in every mode, mail gpanel took out of the
inbox that loses its category label (its contact's deal was lost, edited on the deal's page)
goes back to the inbox, while mail the rep archived themselves stays archived.
"""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest

from gpanel.crm import contacts, deals
from gpanel.services.context import AppContext
from gpanel.services.labels.run import LabelRunReport, run_labels
from gpanel.services.ops import job_state
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.store.tables import label_archived, mailbox_jobs, mailboxes, users
from tests.support.stack import Stack, csrf, seen
from tests.web.labels.test_labels_e2e import REP, raw, with_ctx

CTM = "CRM/Deals Closing This Month"


def setup_rep(stack: Stack) -> tuple[httpx.Client, int, int]:
    """Carla signed in and connected, labels allowed, MailMagnet on, a contact Bea with a deal
    (owned by Carla) closing today. Returns the browser, the mailbox id and the deal id."""
    browser = stack.sign_in(REP)
    stack.connect(browser, REP)
    (box,) = stack.rows(mailboxes)
    carla = next(u.id for u in stack.rows(users) if u.email == REP)
    today = dt.datetime.now(dt.UTC).date()

    async def go(ctx: AppContext) -> int:
        await sharing.set_feature(ctx.engine, "role", "rep", Feature.LABELS, True)
        async with ctx.engine.begin() as conn:
            bea = await contacts.create_contact(
                conn, first_name="Bea", last_name="Buyer", emails=["bea@buyer.example"]
            )
            deal = await deals.create_deal(
                conn,
                name="Big renewal",
                stage="Negotiation",
                closing_date=today,
                owner_id=carla,
                primary_contact_id=bea.id,
            )
        await job_state.set_magnet_enabled(ctx.engine, box.id, True)
        return deal.id

    return browser, box.id, with_ctx(stack, go)


def choose(browser: httpx.Client, mode: str) -> None:
    answer = browser.post(
        "/settings/labels/inbox-mode", data={"csrf_token": csrf(browser), "mode": mode}
    )
    assert answer.status_code == 200 and "Saved: labelled mail leaves the inbox" in seen(answer)
    assert f'value="{mode}" checked' in answer.text


def turn_on(stack: Stack, browser: httpx.Client, mailbox_id: int) -> None:
    """Labels on through the page; the run it triggers is waited for (or run here if this
    process had none)."""
    on = browser.post(
        "/settings/labels/enable", data={"csrf_token": csrf(browser), "previewed": "1"}
    )
    assert on.status_code == 200 and "Labels are on" in seen(on)
    deadline = time.monotonic() + 20
    while stack.rows(mailbox_jobs)[0].labels_run_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if stack.rows(mailbox_jobs)[0].labels_run_at is None:
        assert run(stack, mailbox_id).status == "done"


def run(stack: Stack, mailbox_id: int) -> LabelRunReport:
    return with_ctx(stack, lambda ctx: run_labels(ctx, mailbox_id))


def read_in_gmail(stack: Stack, message_id: str) -> None:
    """The rep reads the message in Gmail: UNREAD off through the Gmail API over HTTP."""
    answer = httpx.post(
        f"{stack.emulator.url}/gmail/v1/users/me/messages/{message_id}/modify",
        headers={"Authorization": f"Bearer {stack.emulator.token(REP)}"},
        json={"removeLabelIds": ["UNREAD"]},
    )
    answer.raise_for_status()


def labels_of(stack: Stack, message_id: str) -> set[str]:
    return set(stack.emulator.state.mailbox(REP).messages[message_id].label_ids)


def archived(stack: Stack) -> set[str]:
    return {r.message_id for r in stack.rows(label_archived)}


# mode -> (read at the first pass, unread at the first pass, unread then read, new and unread):
# does each leave the inbox?
EXPECTED = {
    "at_once": (True, True, True, True),
    "once_read": (True, False, True, False),
    "never": (False, False, False, False),
}


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_each_mode_leaves_the_inbox_when_it_says(stack: Stack, mode: str) -> None:
    browser, box, _ = setup_rep(stack)
    page = seen(browser.get("/settings/labels"))
    assert "When labelled mail leaves the inbox" in page
    assert 'value="at_once" checked' in browser.get("/settings/labels").text  # the default
    choose(browser, mode)
    (job,) = stack.rows(mailbox_jobs)
    assert job.labels_inbox_mode == mode

    was_read = stack.emulator.insert(REP, raw("bea@buyer.example", "Read quote"), ["INBOX"])["id"]
    unread = stack.emulator.insert(REP, raw("bea@buyer.example", "Unread quote"))["id"]
    later = stack.emulator.insert(REP, raw("bea@buyer.example", "Unread, read later"))["id"]
    turn_on(stack, browser, box)
    ctm = stack.emulator.state.mailbox(REP).labels.by_name(CTM)
    assert ctm is not None
    first_pass = {was_read: EXPECTED[mode][0], unread: EXPECTED[mode][1], later: EXPECTED[mode][1]}
    for message_id, leaves in first_pass.items():
        assert ctm.id in labels_of(stack, message_id)
        assert ("INBOX" not in labels_of(stack, message_id)) is leaves, (mode, message_id)
    assert archived(stack) == {i for i, leaves in first_pass.items() if leaves}

    read_in_gmail(stack, later)
    new = stack.emulator.insert(REP, raw("bea@buyer.example", "New and unread"))["id"]
    report = run(stack, box)
    assert (report.status, report.kind) == ("done", "incremental")
    after = {
        was_read: EXPECTED[mode][0],
        unread: EXPECTED[mode][1],
        later: EXPECTED[mode][2],
        new: EXPECTED[mode][3],
    }
    for message_id, leaves in after.items():
        assert ctm.id in labels_of(stack, message_id)
        assert ("INBOX" not in labels_of(stack, message_id)) is leaves, (mode, message_id)
    assert archived(stack) == {i for i, leaves in after.items() if leaves}
    # Nothing changed since: the next run reads history only and moves nothing.
    again = run(stack, box)
    assert (again.kind, again.modified) == ("incremental", 0)


def test_unlabelled_mail_goes_back_to_the_inbox_in_every_mode(stack: Stack) -> None:
    """Labelled at once, then the owner picks "never", then the deal is lost on its page: the
    mail gpanel archived loses the label and is in the inbox again (and off undo's list); the
    mail Carla had archived herself loses the label and stays archived."""
    browser, box, deal_id = setup_rep(stack)
    taken = stack.emulator.insert(REP, raw("bea@buyer.example", "Renewal terms"))["id"]
    own = stack.emulator.insert(REP, raw("bea@buyer.example", "Filed by me"), [])["id"]
    turn_on(stack, browser, box)
    ctm = stack.emulator.state.mailbox(REP).labels.by_name(CTM)
    assert ctm is not None
    assert ctm.id in labels_of(stack, taken) and ctm.id in labels_of(stack, own)
    assert "INBOX" not in labels_of(stack, taken) and archived(stack) == {taken}
    choose(browser, "never")

    edited = browser.post(
        f"/deals/{deal_id}/edit",
        data={"csrf_token": csrf(browser), "stage": "Closed Lost", "closing_date": ""},
    )
    assert edited.status_code == 200 and "error" not in str(edited.url), edited.url
    report = run(stack, box)
    assert (report.status, report.kind, report.contacts_rechecked) == ("done", "incremental", 1)
    assert labels_of(stack, taken) & {ctm.id, "INBOX"} == {"INBOX"}
    assert ctm.id not in labels_of(stack, own) and "INBOX" not in labels_of(stack, own)
    assert archived(stack) == set()
    assert "Taken out of the inbox by gpanel</dt><dd>0 messages" in seen(
        browser.get("/settings/labels")
    )


def test_inbox_mode_refuses_an_unknown_choice_and_needs_a_mailbox(stack: Stack) -> None:
    browser, _, _ = setup_rep(stack)
    bad = browser.post(
        "/settings/labels/inbox-mode", data={"csrf_token": csrf(browser), "mode": "sometimes"}
    )
    assert bad.status_code == 400 and "Choose when labelled mail leaves the inbox" in seen(bad)
    (job,) = stack.rows(mailbox_jobs)
    assert job.labels_inbox_mode == "at_once"
    no_csrf = browser.post("/settings/labels/inbox-mode", data={"mode": "never"})
    assert no_csrf.status_code == 403
    stranger = stack.sign_in("ben@brightwave.example")  # no mailbox connected
    nobox = stranger.post(
        "/settings/labels/inbox-mode", data={"csrf_token": csrf(stranger), "mode": "never"}
    )
    assert nobox.status_code == 404
    assert stack.rows(mailbox_jobs)[0].labels_inbox_mode == "at_once"
