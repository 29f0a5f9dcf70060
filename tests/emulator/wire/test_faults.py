"""Queued faults on the wire: consumed in order per user and method, each kind in Google's shape.

On the tiny app (tiny.py), in process and under a real uvicorn (a dropped connection only
shows its true form over TCP).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from gpanel.emulator.wire.conditions import ConnectionDropped
from tests.emulator.wire.tiny import (
    ALICE,
    CONCURRENT_BODY,
    RATE_LIMIT_BODY,
    Tiny,
    add_fault,
    auth,
)


async def test_faults_are_consumed_in_order_per_user_and_method(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """Queued faults answer the next matching calls in order, with counts, then stop."""
    get = "gmail.users.messages.get"
    await add_fault(client, user=ALICE, method=get, kind="500", count=2)
    await add_fault(client, user=ALICE, method=get, kind="503")
    await add_fault(client, user=ALICE, method="*", kind="429")
    pending = (await client.get("/_emulator/faults")).json()["pending"]
    assert [(p["kind"], p["count"]) for p in pending] == [("500", 2), ("503", 1), ("429", 1)]

    # Bob is untouched; a different method only sees the "*" fault.
    assert (
        await client.get("/gmail/v1/users/me/messages/a", headers=auth(tiny.token_bob))
    ).is_success
    r = await client.get("/gmail/v1/users/me/threads/t", headers=auth(tiny.token_alice))
    assert r.status_code == 429 and r.json() == CONCURRENT_BODY
    seen = []
    for _ in range(4):
        r = await client.get("/gmail/v1/users/me/messages/a", headers=auth(tiny.token_alice))
        seen.append((r.status_code, r.json()["error"]["errors"][0]["reason"] if r.is_error else ""))
    assert seen == [(500, "backendError"), (500, "backendError"), (503, "backendError"), (200, "")]
    log = (await client.get("/_emulator/log", params={"user": ALICE})).json()["entries"]
    assert [e["fault"] for e in log] == ["429", "500", "500", "503", None]
    # Refusals are free; server errors were accepted by the backend and are charged (2026: 20).
    assert [e["quota_cost"] for e in log] == [0, 20, 20, 20, 20]


async def test_each_fault_kind_answers_googles_shape(tiny: Tiny, client: httpx.AsyncClient) -> None:
    """401, 403rate, stale_history, send_limit and slow behave as Google does."""
    alice = auth(tiny.token_alice)
    await add_fault(client, user=ALICE, kind="401")
    r = await client.get("/gmail/v1/users/me/messages/a", headers=alice)
    assert r.status_code == 401 and r.json()["error"]["errors"][0]["reason"] == "authError"
    assert "WWW-Authenticate" in r.headers

    await add_fault(client, user=ALICE, kind="403rate")
    r = await client.get("/gmail/v1/users/me/messages/a", headers=alice)
    assert r.status_code == 403 and r.json() == RATE_LIMIT_BODY

    # stale_history waits for history.list even when queued for "*".
    await add_fault(client, user=ALICE, method="*", kind="stale_history")
    assert (await client.get("/gmail/v1/users/me/messages/a", headers=alice)).status_code == 200
    r = await client.get("/gmail/v1/users/me/history", headers=alice, params={"startHistoryId": 1})
    assert r.status_code == 404 and r.json()["error"]["errors"][0]["reason"] == "notFound"

    await add_fault(client, user=ALICE, method="gmail.users.messages.get", kind="send_limit")
    r = await client.get("/gmail/v1/users/me/messages/a", headers=alice)
    assert r.status_code == 429
    err = r.json()["error"]
    assert err["errors"][0]["reason"] == "rateLimitExceeded"
    prefix = "User-rate limit exceeded.  Retry after "
    assert err["message"].startswith(prefix)
    when = err["message"][len(prefix) :]
    assert len(when) == 24 and when.endswith("Z") and when[10] == "T"

    await add_fault(client, user=ALICE, kind="slow", delay_ms=250)
    t0 = time.monotonic()
    r = await client.get("/gmail/v1/users/me/messages/a", headers=alice)
    assert r.status_code == 200 and time.monotonic() - t0 >= 0.25


async def test_drop_fault_in_process_raises_an_httpx_transport_error(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """In-process (ASGITransport) a drop surfaces as httpx.RemoteProtocolError."""
    await add_fault(client, user=ALICE, kind="drop")
    with pytest.raises(httpx.RemoteProtocolError) as info:
        await client.get("/gmail/v1/users/me/messages/a", headers=auth(tiny.token_alice))
    assert isinstance(info.value, ConnectionDropped)
    r = await client.get("/gmail/v1/users/me/messages/a", headers=auth(tiny.token_alice))
    assert r.status_code == 200


@pytest.fixture
def served(tiny: Tiny) -> Iterator[str]:
    """The tiny app under a real uvicorn on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(tiny.app, host="127.0.0.1", port=port, log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_drop_fault_over_tcp_closes_the_connection_without_a_response(
    tiny: Tiny, served: str
) -> None:
    """Over real HTTP a drop closes the socket: httpx sees a transport error, no status."""
    with httpx.Client(base_url=served) as c:
        c.post("/_emulator/faults", json={"user": ALICE, "kind": "drop"}).raise_for_status()
        with pytest.raises(httpx.TransportError):
            c.get("/gmail/v1/users/me/messages/a", headers=auth(tiny.token_alice))
        r = c.get("/gmail/v1/users/me/messages/a", headers=auth(tiny.token_alice))
        assert r.status_code == 200
        log = c.get("/_emulator/log").json()["entries"]
    assert [(e["fault"], e["status"]) for e in log] == [("drop", None), (None, 200)]
