"""The per-mailbox in-flight limit, batch weights, and the round-trip counters."""

from __future__ import annotations

import asyncio

import httpx

from gpanel.gmail.slots import Slots
from tests.gmail.fakes import batch_answer, make_client, parse_batch_request


class Meter:
    """Counts requests in flight at the fake server, per bearer token's mailbox."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    async def hold(self, weight: int = 1) -> None:
        self.now += weight
        self.peak = max(self.peak, self.now)
        await asyncio.sleep(0.01)
        self.now -= weight


async def test_no_more_than_max_inflight_requests_per_mailbox(router, http, tokens, fake_time):
    """20 concurrent calls for one mailbox never have more than 5 in flight; other mailboxes
    have their own slots."""
    meters = {"a": Meter(), "b": Meter()}

    async def answer(request: httpx.Request) -> httpx.Response:
        mailbox = request.headers["authorization"].split("-")[1]
        await meters[mailbox].hold()
        return httpx.Response(200, json={"historyId": "1"})

    router.get("/gmail/v1/users/me/profile").mock(side_effect=answer)
    client = make_client(http, tokens, fake_time, max_inflight=5)
    await asyncio.gather(*(client.mailbox(m).profile() for m in ("a", "b") for _ in range(20)))
    assert meters["a"].peak == 5 and meters["b"].peak == 5
    snap = client.stats.snapshot()
    assert snap.get("a").peak_inflight == 5
    assert snap.get("a").calls == 20 and snap.get("a").units == 20


async def test_a_batch_holds_one_slot_per_part(router, http, tokens, fake_time):
    """Google runs every part of a batch at once, so a batch holds a slot per part: with
    max_inflight 25, 120 threads go as batches of at most 25 and Google never sees more than
    25 calls of the mailbox at once, singles included."""
    meter = Meter()

    async def batch(request: httpx.Request) -> httpx.Response:
        await meter.hold(len(parse_batch_request(request)))
        return batch_answer(request, lambda v, t: (200, {"id": "x"}))

    async def single(request: httpx.Request) -> httpx.Response:
        await meter.hold(1)
        return httpx.Response(200, json={"historyId": "1"})

    router.post("/batch/gmail/v1").mock(side_effect=batch)
    router.get("/gmail/v1/users/me/profile").mock(side_effect=single)
    client = make_client(http, tokens, fake_time, regime="legacy")
    mb = client.mailbox("m")
    await asyncio.gather(
        mb.batch_get_threads([f"t{i}" for i in range(120)]),
        *(mb.profile() for _ in range(6)),
    )
    assert meter.peak <= 25
    counters = client.stats.snapshot().get("m")
    assert counters.batches == 5 and counters.peak_inflight == 25


async def test_round_trips_count_sequential_steps_not_requests(router, http, tokens, fake_time):
    """A search then a parallel batch fetch is 2 round trips; the diff isolates one view."""

    async def threads(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.005)
        return httpx.Response(200, json={"threads": [{"id": f"t{i}"} for i in range(50)]})

    async def batch(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.005)
        return batch_answer(request, lambda v, t: (200, {"id": "x"}))

    router.get("/gmail/v1/users/me/threads").mock(side_effect=threads)
    router.post("/batch/gmail/v1").mock(side_effect=batch)
    client = make_client(http, tokens, fake_time, max_inflight=100)
    before = client.stats.snapshot()
    mb = client.mailbox("m")
    listing = await mb.list_threads("from:a@example.com")
    await mb.batch_get_threads([t["id"] for t in listing["threads"]] + ["u1", "u2"])
    view = before.diff(client.stats.snapshot()).get("m")
    assert view.requests == 3  # one list, two batch chunks run side by side
    assert view.round_trips == 2
    assert view.units == 10 + 52 * 40
    assert view.methods == {"gmail.users.threads.list": 1, "gmail.users.threads.get": 52}


async def test_slots_serve_waiters_in_order_and_survive_cancellation():
    """A waiting batch (weight 3) is not overtaken by later single holders; a cancelled waiter
    gives its place back."""
    slots = Slots(3)
    order: list[str] = []
    release = asyncio.Event()

    async def holder(name: str, weight: int) -> None:
        async with slots.hold(weight):
            order.append(name)
            await release.wait()

    first = asyncio.create_task(holder("first", 1))
    await asyncio.sleep(0)
    big = asyncio.create_task(holder("big", 3))
    await asyncio.sleep(0)
    doomed = asyncio.create_task(holder("doomed", 1))
    late = asyncio.create_task(holder("late", 1))
    await asyncio.sleep(0)
    assert order == ["first"]  # "late" waits behind "big" although one slot is free
    doomed.cancel()
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, big, late)
    assert order == ["first", "big", "late"]
    assert slots.free == 3
