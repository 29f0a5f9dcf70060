"""The wire's conditions: per-user quota in both regimes, the concurrency cap, latency.

On the tiny app (tiny.py): over budget or over the in-flight cap a call gets Google's exact
error body and costs nothing; each regime charges its own cost table; latency and jitter apply
to API calls only; calls without a valid token pass through uncharged.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.emulator.wire.tiny import (
    ALICE,
    BOB,
    CONCURRENT_BODY,
    RATE_LIMIT_BODY,
    Tiny,
    add_fault,
    auth,
)


async def test_quota_exhaustion_answers_google_403_and_is_not_charged(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """Over the per-user budget, calls get Google's exact 403 body; refusals cost nothing."""
    r = await client.put("/_emulator/quota", json={"regime": "legacy", "user_quota_per_minute": 12})
    assert r.json()["user_quota_per_minute"] == 12
    statuses = [
        (await client.get(f"/gmail/v1/users/me/messages/m{i}", headers=auth(tiny.token_alice)))
        for i in range(3)
    ]
    assert [s.status_code for s in statuses] == [200, 200, 403]
    assert statuses[2].json() == RATE_LIMIT_BODY
    # Bob has his own budget.
    r = await client.get("/gmail/v1/users/me/messages/m1", headers=auth(tiny.token_bob))
    assert r.status_code == 200
    log = (await client.get("/_emulator/log", params={"user": ALICE})).json()["entries"]
    assert [e["quota_cost"] for e in log] == [5, 5, 0]
    assert [e["status"] for e in log] == [200, 200, 403]
    usage = (await client.get("/_emulator/quota/usage")).json()
    assert usage["users"] == {ALICE: 10, BOB: 5}
    assert usage["window_seconds"] == 60


async def test_both_regimes_charge_their_own_costs(tiny: Tiny, client: httpx.AsyncClient) -> None:
    """messages.get costs 5 (legacy) or 20 (2026); threads.get 10 or 40; budgets 15,000/6,000."""
    costs: dict[str, list[int]] = {}
    for regime in ("legacy", "2026"):
        r = await client.put("/_emulator/quota", json={"regime": regime})
        assert r.json()["user_quota_per_minute"] == {"legacy": 15000, "2026": 6000}[regime]
        await client.delete("/_emulator/log")
        for path in ("messages/a", "threads/b", "history", "messages"):
            r = await client.get(f"/gmail/v1/users/me/{path}", headers=auth(tiny.token_alice))
            assert r.status_code == 200
        log = (await client.get("/_emulator/log")).json()["entries"]
        costs[regime] = [e["quota_cost"] for e in log]
        assert [e["method_id"] for e in log] == [
            "gmail.users.messages.get",
            "gmail.users.threads.get",
            "gmail.users.history.list",
            "gmail.users.messages.list",
        ]
    assert costs == {"legacy": [5, 10, 2, 5], "2026": [20, 40, 2, 5]}


async def test_concurrency_cap_answers_429(tiny: Tiny, client: httpx.AsyncClient) -> None:
    """More calls in flight for one user than max_concurrent_per_user get Google's 429."""
    await client.put("/_emulator/quota", json={"max_concurrent_per_user": 3})
    await client.put("/_emulator/latency", json={"latency_ms": 300})
    responses = await asyncio.gather(
        *(
            client.get(f"/gmail/v1/users/me/messages/m{i}", headers=auth(tiny.token_alice))
            for i in range(5)
        ),
        client.get("/gmail/v1/users/me/messages/x", headers=auth(tiny.token_bob)),
    )
    codes = sorted(r.status_code for r in responses[:5])
    assert codes == [200, 200, 200, 429, 429]
    assert responses[5].status_code == 200  # another user is not affected
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json() == CONCURRENT_BODY
    assert tiny.wire.inflight(ALICE) == 0


async def test_latency_and_jitter_are_applied_and_adjustable(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """Every API call waits latency_ms plus up to jitter_ms; control routes don't."""
    r = await client.put("/_emulator/latency", json={"latency_ms": 300, "jitter_ms": 100})
    assert r.json() == {"latency_ms": 300.0, "jitter_ms": 100.0}
    durations = []
    for _ in range(4):
        t0 = time.monotonic()
        await client.get("/gmail/v1/users/me/messages/a", headers=auth(tiny.token_alice))
        durations.append(time.monotonic() - t0)
    # The upper bound is loose because CI machines stall; it still catches seconds-for-ms bugs.
    assert all(0.3 <= d < 1.5 for d in durations), durations
    log = (await client.get("/_emulator/log")).json()["entries"]
    assert len(log) == 4 and all(e["end_monotonic"] - e["start_monotonic"] >= 0.3 for e in log)
    # Timeouts far below the latency set, rather than stopwatches, so a stalled CI machine
    # cannot fail this: control routes never wait, and latency 0 means no wait at all.
    await client.put("/_emulator/latency", json={"latency_ms": 5000, "jitter_ms": 0})
    await client.get("/_emulator/latency", timeout=2.5)
    await client.put("/_emulator/latency", json={"latency_ms": 0, "jitter_ms": 0})
    await client.get("/gmail/v1/users/me/messages/a", headers=auth(tiny.token_alice), timeout=2.5)


async def test_unauthenticated_calls_pass_through_uncharged(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """Without a valid token the wire neither charges nor faults; the call is still logged."""
    await add_fault(client, user=ALICE, kind="500")
    r = await client.get("/gmail/v1/users/me/messages/a", headers=auth("ya29.not-a-token"))
    assert r.status_code == 200  # the tiny app does not check tokens; the real routes answer 401
    entry = (await client.get("/_emulator/log")).json()["entries"][0]
    assert entry["user"] is None and entry["quota_cost"] == 0 and entry["fault"] is None
    assert len((await client.get("/_emulator/faults")).json()["pending"]) == 1
