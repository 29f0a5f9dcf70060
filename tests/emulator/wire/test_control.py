"""The wire's control routes and its request log, on the tiny app (tiny.py).

Bad control input answers 400 in Google's shape; reset returns to the configured values; the
log keeps paths, method ids and timings but never a query string (a search can hold addresses).
"""

from __future__ import annotations

import httpx

from tests.emulator.wire.tiny import (
    ALICE,
    Tiny,
    add_fault,
    auth,
)


async def test_log_keeps_paths_but_never_query_strings(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """A search q can hold addresses; the log keeps the path, method id and timings only."""
    await client.get(
        "/gmail/v1/users/me/messages",
        params={"q": "from:carol@x.com"},
        headers=auth(tiny.token_alice),
    )
    entry = (await client.get("/_emulator/log")).json()["entries"][0]
    assert entry["path"] == "/gmail/v1/users/me/messages"
    assert "carol" not in str(entry)
    assert entry["start_wall"] <= entry["end_wall"]
    assert entry["batch_part"] is False
    assert set(entry) >= {"method_id", "user", "quota_cost", "status", "start_monotonic"}


async def test_control_routes_refuse_bad_input_with_google_shape(client: httpx.AsyncClient) -> None:
    """Unknown fault kinds, negative latency or an unknown regime answer 400, never 500."""
    bad = [
        ("post", "/_emulator/faults", {"user": ALICE, "kind": "teapot"}),
        ("post", "/_emulator/faults", {"user": ALICE, "kind": "500", "count": 0}),
        ("post", "/_emulator/faults", {"kind": "500"}),
        ("post", "/_emulator/faults", {"user": ALICE, "kind": "stale_history", "method": "x"}),
        ("put", "/_emulator/latency", {"latency_ms": -1}),
        ("put", "/_emulator/quota", {"regime": "1999"}),
        ("put", "/_emulator/quota", {"max_concurrent_per_user": 0}),
    ]
    for verb, path, body in bad:
        r = await client.request(verb, path, json=body)
        assert r.status_code == 400, (path, body)
        assert r.json()["error"]["code"] == 400
    r = await client.put("/_emulator/latency", content=b"not json")
    assert r.status_code == 400


async def test_reset_restores_config_and_clears_everything(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """Wire.reset() drops faults, log and counters and returns to the configured values."""
    tiny.wire.config.latency_ms = 5
    await client.put("/_emulator/latency", json={"latency_ms": 50})
    await client.put("/_emulator/quota", json={"regime": "legacy", "user_quota_per_minute": 7})
    await add_fault(client, user=ALICE, kind="500")
    await client.get("/gmail/v1/users/me/messages/a", headers=auth(tiny.token_bob))
    tiny.wire.reset()
    assert (await client.get("/_emulator/latency")).json()["latency_ms"] == 5
    quota = (await client.get("/_emulator/quota")).json()
    assert quota["regime"] == "2026" and quota["user_quota_per_minute"] == 6000
    assert (await client.get("/_emulator/faults")).json()["pending"] == []
    assert (await client.get("/_emulator/log")).json()["entries"] == []
    assert (await client.get("/_emulator/quota/usage")).json()["users"] == {}
