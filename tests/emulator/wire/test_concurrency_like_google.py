"""The per-user concurrency limit as Google applies it: batch parts and plain calls together.

Pins down: a batch's parts all arrive at once and each takes one of the user's concurrency
slots; parts beyond the limit answer Google's exact 429 "Too many concurrent requests for user";
plain calls in flight take slots the batch then lacks; slots come back when the batch is
answered; the default limit (40) reproduces the public reports (docs/gmail-facts.md,
"Per-user limits and concurrency"; docs/emulator.md, "Concurrency").
"""

from __future__ import annotations

import asyncio

import httpx

from tests.emulator.wire.test_batch import envelope, parse_batch_response, post_batch
from tests.emulator.wire.tiny import ALICE, Tiny, auth

CONCURRENT_BODY = {
    "error": {
        "code": 429,
        "message": "Too many concurrent requests for user",
        "errors": [
            {
                "domain": "global",
                "reason": "rateLimitExceeded",
                "message": "Too many concurrent requests for user",
            }
        ],
        "status": "RESOURCE_EXHAUSTED",
    }
}


def gets(n: int) -> bytes:
    return envelope([f"GET /gmail/v1/users/me/messages/m{i}?format=metadata" for i in range(n)])


async def test_default_limit_is_forty(client: httpx.AsyncClient) -> None:
    """The emulator's default per-user limit is 40, the figure docs/emulator.md calibrates."""
    assert (await client.get("/_emulator/quota")).json()["max_concurrent_per_user"] == 40


async def test_cold_100_part_batch_is_largely_refused(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """A cold batch of 100 metadata gets: 40 parts answer, 60 get Google's 429 body.

    Sources: googleapis/google-api-dotnet-client issue 1982 (60 of 100 parts refused with
    "Too many concurrent requests for user"); amd/gaia issue 2720 (a cold 100-part metadata
    batch refused). Error shape: docs/gmail-facts.md, "Error shapes".
    """
    parts = parse_batch_response(await post_batch(client, gets(100), tiny.token_alice))
    statuses = [status for _, status, _ in parts]
    assert statuses.count(200) == 40 and statuses.count(429) == 60
    refused = [body for _, status, body in parts if status == 429]
    assert all(body == CONCURRENT_BODY for body in refused)
    assert tiny.wire.inflight(ALICE) == 0  # every slot came back


async def test_25_part_batches_succeed_one_after_another(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """Batches of 25 metadata gets pass whole, and the next batch gets the slots back.

    Source: amd/gaia issue 2720 (25-part batches succeed; 100 messages in ~0.7 s in batches of
    25).
    """
    for _ in range(4):
        parts = parse_batch_response(await post_batch(client, gets(25), tiny.token_alice))
        assert [status for _, status, _ in parts] == [200] * 25


async def test_plain_calls_in_flight_take_slots_from_a_batch(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """With 10 plain calls waiting on latency, a 35-part batch gets 30 slots: 5 parts 429.

    Source: docs/gmail-facts.md, "Per-user limits and concurrency" (the limit is the mailbox's,
    shared by every client of it; Google's 429 counts per user, not per request),
    amp-labs/connectors PR 2942 (parallel GETs refused alike).
    """
    await client.put("/_emulator/latency", json={"latency_ms": 200})
    plain = [
        asyncio.create_task(
            client.get(f"/gmail/v1/users/me/messages/p{i}", headers=auth(tiny.token_alice))
        )
        for i in range(10)
    ]
    # Polls the wire's own counter: there is no event to wait on from outside.
    while tiny.wire.inflight(ALICE) < 10:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    parts = parse_batch_response(await post_batch(client, gets(35), tiny.token_alice))
    statuses = [status for _, status, _ in parts]
    assert statuses.count(200) == 30 and statuses.count(429) == 5
    assert [r.status_code for r in await asyncio.gather(*plain)] == [200] * 10


async def test_a_batch_in_flight_refuses_plain_calls_beyond_the_limit(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """While a 40-part batch holds every slot, a plain call of the same user gets 429."""
    await client.put("/_emulator/latency", json={"latency_ms": 200})
    batch = asyncio.create_task(post_batch(client, gets(40), tiny.token_alice))
    while tiny.wire.inflight(ALICE) < 40:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    plain = await client.get("/gmail/v1/users/me/messages/x", headers=auth(tiny.token_alice))
    assert plain.status_code == 429 and plain.json() == CONCURRENT_BODY
    parts = parse_batch_response(await batch)
    assert [status for _, status, _ in parts] == [200] * 40


async def test_refused_parts_are_not_charged(tiny: Tiny, client: httpx.AsyncClient) -> None:
    """Only the 40 admitted parts cost quota (20 units each in the 2026 regime)."""
    await post_batch(client, gets(100), tiny.token_alice)
    usage = (await client.get("/_emulator/quota/usage")).json()["users"]
    assert usage[ALICE] == 40 * 20
