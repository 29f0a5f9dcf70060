"""The Gmail client against the Google emulator over real HTTP: counts, limits, real flows.

Every number the client counts (calls, quota units, round trips) is checked against the
emulator's own request log, and the per-mailbox concurrency limit against the log's start
and end times.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from gpanel.gmail.budget import InProcessBudget, Priority
from gpanel.gmail.client import GmailClient
from gpanel.gmail.errors import BudgetExhausted, HistoryExpired, NotFound, SendLimitExceeded
from gpanel.gmail.retry import RetryPolicy
from tests.gmail.emulated import EmulatedGoogle, EmulatorTokens, max_overlap
from tests.support.emulator import RunningEmulator

ALICE = "alice@gpanel.test"
BOB = "bob@customer.test"
FAST = RetryPolicy(base=0.01, cap=0.05)


@pytest.fixture
def google(emulator: RunningEmulator) -> EmulatedGoogle:
    g = EmulatedGoogle(emulator)
    g.add_user(ALICE)
    g.add_user(BOB)
    return g


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def make(google: EmulatedGoogle, http: httpx.AsyncClient, **kw) -> GmailClient:
    budget = kw.pop("budget", None) or InProcessBudget(6000)
    return GmailClient(
        http,
        EmulatorTokens(google.url, http),
        base_url=google.url,
        budget=budget,
        retry=kw.pop("retry", FAST),
        **kw,
    )


def _seed_threads(google: EmulatedGoogle, n: int) -> list[str]:
    return [google.insert(ALICE, sender=BOB, to=ALICE, subject=f"Order {i}")[1] for i in range(n)]


async def test_search_then_batch_get_60_threads_matches_the_emulator_log(google, http):
    """A record view of 60 threads: 1 search + 3 batches (25, 25, 10: the default in-flight
    allowance), and the client's counts of calls and quota units equal what the emulator logged
    and charged."""
    thread_ids = _seed_threads(google, 60)
    google.clear_log()
    client = make(google, http)
    mb = client.mailbox(ALICE)
    before = client.stats.snapshot()
    listing = await mb.list_threads(f"{{from:{BOB} to:{BOB}}}", max_results=100)
    found = [t["id"] for t in listing["threads"]]
    assert sorted(found) == sorted(thread_ids)
    threads = await mb.batch_get_threads(found, metadata_headers=["From", "Subject"])
    assert all(isinstance(t, dict) and t["id"] == i for i, t in threads.items())
    view = before.diff(client.stats.snapshot()).get(ALICE)
    assert view.requests == 4 and view.batches == 3
    log = google.log(ALICE)
    assert len(log) == view.calls == 61
    assert sum(e["quota_cost"] for e in log) == view.units == 10 + 60 * 40
    assert sum(1 for e in log if e["batch_part"]) == 60
    assert all(e["status"] == 200 for e in log)


async def test_concurrency_never_exceeds_max_inflight(google, http):
    """With latency, 20 single gets and a 60-thread batch fetch at once: the emulator never
    sees more than max_inflight calls of the mailbox in flight, and never answers 429."""
    thread_ids = _seed_threads(google, 60)
    google.set_latency(20)
    google.clear_log()
    client = make(google, http, max_inflight=5, regime="legacy", budget=InProcessBudget(15000))
    mb = client.mailbox(ALICE)
    await asyncio.gather(
        mb.batch_get_threads(thread_ids),
        *(mb.get_thread(t, format="minimal") for t in thread_ids[:20]),
    )
    log = google.log(ALICE)
    assert len(log) == 80
    assert max_overlap(log) <= 5
    assert not [e for e in log if e["status"] == 429]
    assert client.stats.snapshot().get(ALICE).peak_inflight <= 5


async def test_background_is_held_back_while_interactive_proceeds(google, http):
    """With a small budget, a background job is refused once it has used its share, while a
    view on the same mailbox still gets through."""
    (message_id, _, _) = google.insert(ALICE, sender=BOB, to=ALICE, subject="Hello")
    budget = InProcessBudget(
        250, max_wait={Priority.INTERACTIVE: 0.0, Priority.BACKGROUND: 0.0}
    )  # target 200 units; background 100 (5 messages.get at 20)
    client = make(google, http, budget=budget)
    job = client.mailbox(ALICE, priority=Priority.BACKGROUND)
    view = client.mailbox(ALICE, priority=Priority.INTERACTIVE)
    for _ in range(5):
        await job.get_message(message_id, format="minimal")
    with pytest.raises(BudgetExhausted):
        await job.get_message(message_id, format="minimal")
    got = await view.get_message(message_id, format="minimal")
    assert got["id"] == message_id
    assert len(google.log(ALICE)) == 6  # the refused call never reached Google


async def test_ensure_label_after_409_returns_the_one_label(google, http):
    """Creating a label that exists (a 409 from Gmail) returns it; no duplicate appears."""
    client = make(google, http)
    mb = client.mailbox(ALICE)
    first = await mb.ensure_label("gpanel/Customers")
    again = await mb.create_label("GPANEL/customers")  # Gmail compares names without case
    assert again["id"] == first["id"]
    statuses = [(e["method_id"], e["status"]) for e in google.log(ALICE)]
    assert ("gmail.users.labels.create", 409) in statuses
    labels = [lb for lb in await mb.list_labels() if lb["name"].lower() == "gpanel/customers"]
    assert len(labels) == 1
    assert (await mb.ensure_label("gpanel/Customers"))["id"] == first["id"]


async def test_history_reports_new_mail_and_expired_ids(google, http):
    """history() lists a newly added message since the profile's id; a stale id raises
    HistoryExpired."""
    client = make(google, http)
    mb = client.mailbox(ALICE)
    start = (await mb.profile())["historyId"]
    message_id, _, _ = google.insert(ALICE, sender=BOB, to=ALICE, subject="New deal")
    page = await mb.history_all(start, history_types=["messageAdded"])
    assert message_id in page.message_ids_added
    assert int(page.history_id) > int(start)
    google.fault(ALICE, "stale_history", method="gmail.users.history.list")
    with pytest.raises(HistoryExpired):
        await mb.history(start)


async def test_send_into_a_thread_and_missing_items_in_a_batch(google, http):
    """A reply sent with threadId and In-Reply-To lands in the same thread; a deleted id in a
    batch is that item's NotFound while the others load."""
    from email.message import EmailMessage

    _, thread_id, original = google.insert(ALICE, sender=BOB, to=ALICE, subject="Quote")
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = ALICE, BOB, "Re: Quote"
    reply["In-Reply-To"] = reply["References"] = original["Message-ID"]
    reply.set_content("Thanks!\n")
    client = make(google, http)
    mb = client.mailbox(ALICE)
    sent = await mb.send(bytes(reply), thread_id=thread_id)
    assert sent["threadId"] == thread_id
    thread = await mb.get_thread(thread_id, format="minimal")
    assert len(thread["messages"]) == 2
    got = await mb.batch_get_threads([thread_id, "0000000000000000"])
    assert got[thread_id]["id"] == thread_id
    assert isinstance(got["0000000000000000"], NotFound)


async def test_injected_faults_are_absorbed(google, http):
    """A 429 on one batch part, a 503 and a dropped connection are retried transparently; an
    expired token is refreshed once."""
    thread_ids = _seed_threads(google, 3)
    client = make(google, http)
    tokens = client.dispatcher.tokens
    mb = client.mailbox(ALICE)
    google.fault(ALICE, "429", method="gmail.users.threads.get")
    got = await mb.batch_get_threads(thread_ids)
    assert all(isinstance(v, dict) for v in got.values())
    assert client.stats.snapshot().get(ALICE).retries == 1
    google.fault(ALICE, "503", method="gmail.users.getProfile")
    google.fault(ALICE, "drop", method="gmail.users.getProfile")
    assert (await mb.profile())["emailAddress"].lower() == ALICE
    google.expire_tokens(ALICE)
    assert (await mb.profile())["emailAddress"].lower() == ALICE
    assert tokens.refreshes[ALICE] == 1


async def test_sending_limit_from_the_emulator_is_recognised(google, http):
    """The emulator's sending-limit answer parses into SendLimitExceeded with its time."""
    google.fault(ALICE, "send_limit", method="gmail.users.messages.send")
    client = make(google, http)
    with pytest.raises(SendLimitExceeded) as info:
        await client.mailbox(ALICE).send(
            f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: x\r\n\r\nhi".encode()
        )
    assert info.value.retry_at is not None and info.value.retry_after > 60


async def test_participant_queries_find_record_mail_even_as_long_posts(google, http):
    """participants_query's syntax is what the emulator (and Gmail) parse: an address and a
    domain both match, and a query long enough to need the POST override still works."""
    from gpanel.gmail.query import participants_query

    _, by_address, _ = google.insert(ALICE, sender=BOB, to=ALICE, subject="From Bob")
    _, by_domain, _ = google.insert(ALICE, sender="carol@acme.test", to=ALICE, subject="Carol")
    google.insert(ALICE, sender="dave@other.test", to=ALICE, subject="Dave")
    others = [f"nobody{i}@nowhere{i}.test" for i in range(60)]
    (q,) = participants_query([BOB, *others], ["acme.test"], max_length=10_000)
    assert len(q) > 2048
    client = make(google, http)
    found = await client.mailbox(ALICE).list_threads(q)
    assert {t["id"] for t in found["threads"]} == {by_address, by_domain}
    (entry,) = [e for e in google.log(ALICE) if e["method_id"] == "gmail.users.threads.list"]
    assert entry["status"] == 200 and entry["http_method"] == "GET"  # overridden back to GET


async def test_last_write_moves_with_writes_only_and_with_failed_ones(google, http):
    """`Dispatcher.last_write` (what the panel's validator window trusts): reads, batch reads
    included, leave it; a write moves it, and so does a write Gmail refused, since one that
    failed late may still have landed."""
    gmail = make(google, http)
    mailbox = gmail.mailbox(ALICE)
    (thread_id,) = _seed_threads(google, 1)
    await mailbox.profile()
    await mailbox.list_threads("from:bob@customer.test")
    await mailbox.batch_get_threads([thread_id], format="metadata")
    assert mailbox.last_write() == 0.0
    await mailbox.modify_thread(thread_id, remove=["UNREAD"])
    first = mailbox.last_write()
    assert first > 0.0 and gmail.mailbox(BOB).last_write() == 0.0
    with pytest.raises(NotFound):
        await mailbox.modify_thread("0000000000000000", remove=["UNREAD"])
    assert mailbox.last_write() > first
