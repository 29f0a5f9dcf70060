"""The wire layer on its own: quota, concurrency, latency, faults, the log, method override.

These tests wrap a deliberately tiny Starlette app (a few Gmail-shaped routes that echo what they
received) in the real `wire_middleware`, so they pin down the wire's behaviour independently of
the mailbox code; the end-to-end tests against the full emulator live in test_batch*.py,
test_contract*.py and test_client_library*.py.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gpanel.emulator import errors
from gpanel.emulator.accounts import Accounts
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.wire import wire_routes
from gpanel.emulator.wire.conditions import ConnectionDropped, Wire, wire_middleware

ALICE = "alice@example.com"
BOB = "bob@example.com"
MODIFY = "https://www.googleapis.com/auth/gmail.modify"

RATE_LIMIT_BODY = {
    "error": {
        "code": 403,
        "message": "User Rate Limit Exceeded",
        "errors": [
            {
                "domain": "usageLimits",
                "reason": "userRateLimitExceeded",
                "message": "User Rate Limit Exceeded",
            }
        ],
    }
}
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


async def _echo_message(request: Request) -> Response:
    if request.path_params["id"] == "missing":
        raise errors.not_found()
    return JSONResponse({"id": request.path_params["id"], "threadId": "t1"})


async def _echo_list(request: Request) -> Response:
    return JSONResponse({"query": sorted(request.query_params.multi_items())})


async def _patch_label(request: Request) -> Response:
    return JSONResponse({"method": request.method, "body": (await request.json())})


async def _history(request: Request) -> Response:
    return JSONResponse({"historyId": "1234"})


@dataclass
class Tiny:
    app: ASGIApp
    wire: Wire
    accounts: Accounts
    token_alice: str
    token_bob: str


def build_tiny(config: EmulatorConfig | None = None) -> Tiny:
    accounts = Accounts()
    accounts.add(ALICE)
    accounts.add(BOB)
    wire = Wire(config or EmulatorConfig())

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        await wrapped(scope, receive, send)

    routes = [
        Route("/gmail/v1/users/{userId}/messages/{id}", _echo_message),
        Route("/gmail/v1/users/{userId}/messages", _echo_list),
        Route("/gmail/v1/users/{userId}/threads/{id}", _echo_message),
        Route("/gmail/v1/users/{userId}/history", _history),
        Route("/gmail/v1/users/{userId}/labels/{id}", _patch_label, methods=["PATCH"]),
        *wire_routes(wire, dispatch),
    ]
    inner = Starlette(routes=routes)
    errors.install_handlers(inner)
    wrapped = wire_middleware(inner, wire, accounts)
    return Tiny(
        wrapped,
        wire,
        accounts,
        accounts.issue_access_token(ALICE, [MODIFY]),
        accounts.issue_access_token(BOB, [MODIFY]),
    )


@pytest.fixture
def tiny() -> Tiny:
    return build_tiny()


@pytest.fixture
async def client(tiny: Tiny) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=tiny.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emu") as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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


async def _fault(client: httpx.AsyncClient, **body: Any) -> None:
    r = await client.post("/_emulator/faults", json=body)
    assert r.status_code == 201, r.text


async def test_faults_are_consumed_in_order_per_user_and_method(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """Queued faults answer the next matching calls in order, with counts, then stop."""
    get = "gmail.users.messages.get"
    await _fault(client, user=ALICE, method=get, kind="500", count=2)
    await _fault(client, user=ALICE, method=get, kind="503")
    await _fault(client, user=ALICE, method="*", kind="429")
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
    await _fault(client, user=ALICE, kind="401")
    r = await client.get("/gmail/v1/users/me/messages/a", headers=alice)
    assert r.status_code == 401 and r.json()["error"]["errors"][0]["reason"] == "authError"
    assert "WWW-Authenticate" in r.headers

    await _fault(client, user=ALICE, kind="403rate")
    r = await client.get("/gmail/v1/users/me/messages/a", headers=alice)
    assert r.status_code == 403 and r.json() == RATE_LIMIT_BODY

    # stale_history waits for history.list even when queued for "*".
    await _fault(client, user=ALICE, method="*", kind="stale_history")
    assert (await client.get("/gmail/v1/users/me/messages/a", headers=alice)).status_code == 200
    r = await client.get("/gmail/v1/users/me/history", headers=alice, params={"startHistoryId": 1})
    assert r.status_code == 404 and r.json()["error"]["errors"][0]["reason"] == "notFound"

    await _fault(client, user=ALICE, method="gmail.users.messages.get", kind="send_limit")
    r = await client.get("/gmail/v1/users/me/messages/a", headers=alice)
    assert r.status_code == 429
    err = r.json()["error"]
    assert err["errors"][0]["reason"] == "rateLimitExceeded"
    prefix = "User-rate limit exceeded.  Retry after "
    assert err["message"].startswith(prefix)
    when = err["message"][len(prefix) :]
    assert len(when) == 24 and when.endswith("Z") and when[10] == "T"

    await _fault(client, user=ALICE, kind="slow", delay_ms=250)
    t0 = time.monotonic()
    r = await client.get("/gmail/v1/users/me/messages/a", headers=alice)
    assert r.status_code == 200 and time.monotonic() - t0 >= 0.25


async def test_drop_fault_in_process_raises_an_httpx_transport_error(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """In-process (ASGITransport) a drop surfaces as httpx.RemoteProtocolError."""
    await _fault(client, user=ALICE, kind="drop")
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


async def test_unauthenticated_calls_pass_through_uncharged(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """Without a valid token the wire neither charges nor faults; the call is still logged."""
    await _fault(client, user=ALICE, kind="500")
    r = await client.get("/gmail/v1/users/me/messages/a", headers=auth("ya29.not-a-token"))
    assert r.status_code == 200  # the tiny app does not check tokens; the real routes answer 401
    entry = (await client.get("/_emulator/log")).json()["entries"][0]
    assert entry["user"] is None and entry["quota_cost"] == 0 and entry["fault"] is None
    assert len((await client.get("/_emulator/faults")).json()["pending"]) == 1


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


async def test_post_with_method_override_is_served_as_get(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """googleapiclient's long-GET form (POST, x-http-method-override, form body) works."""
    r = await client.post(
        "/gmail/v1/users/me/messages?maxResults=5",
        headers={
            **auth(tiny.token_alice),
            "x-http-method-override": "GET",
            "content-type": "application/x-www-form-urlencoded",
        },
        content=b"q=from%3Aa%40b.c+OR+from%3Ad%40e.f&labelIds=INBOX&labelIds=UNREAD",
    )
    assert r.status_code == 200
    assert r.json()["query"] == [
        ["labelIds", "INBOX"],
        ["labelIds", "UNREAD"],
        ["maxResults", "5"],
        ["q", "from:a@b.c OR from:d@e.f"],
    ]
    entry = (await client.get("/_emulator/log")).json()["entries"][0]
    assert entry["http_method"] == "GET" and entry["method_id"] == "gmail.users.messages.list"


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
    await _fault(client, user=ALICE, kind="500")
    await client.get("/gmail/v1/users/me/messages/a", headers=auth(tiny.token_bob))
    tiny.wire.reset()
    assert (await client.get("/_emulator/latency")).json()["latency_ms"] == 5
    quota = (await client.get("/_emulator/quota")).json()
    assert quota["regime"] == "2026" and quota["user_quota_per_minute"] == 6000
    assert (await client.get("/_emulator/faults")).json()["pending"] == []
    assert (await client.get("/_emulator/log")).json()["entries"] == []
    assert (await client.get("/_emulator/quota/usage")).json()["users"] == {}


async def test_undeclared_query_parameters_are_refused_like_google(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """A parameter the discovery document does not declare for the method answers 400."""
    alice = auth(tiny.token_alice)
    r = await client.get("/gmail/v1/users/me/messages/a", params={"formt": "full"}, headers=alice)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        'Invalid JSON payload received. Unknown name "formt": Cannot bind query parameter. '
        "Field 'formt' could not be found in request message."
    )
    # Declared parameters and the API-wide ones (alt, fields, prettyPrint...) are fine.
    ok = {"format": "metadata", "metadataHeaders": "Subject", "alt": "json", "fields": "id"}
    r = await client.get("/gmail/v1/users/me/messages/a", params=ok, headers=alice)
    assert r.status_code == 200
    # q belongs to messages.list, not messages.get.
    r = await client.get("/gmail/v1/users/me/messages/a", params={"q": "x"}, headers=alice)
    assert r.status_code == 400
    log = (await client.get("/_emulator/log")).json()["entries"]
    assert [e["quota_cost"] for e in log] == [0, 20, 0]


async def test_patch_tunnelled_through_post_keeps_its_body(
    tiny: Tiny, client: httpx.AsyncClient
) -> None:
    """googleapiclient's tunnel_patch (POST + override PATCH, JSON body) reaches the PATCH route."""
    r = await client.post(
        "/gmail/v1/users/me/labels/Label_1",
        headers={**auth(tiny.token_alice), "x-http-method-override": "PATCH"},
        json={"name": "gpanel/Customers"},
    )
    assert r.json() == {"method": "PATCH", "body": {"name": "gpanel/Customers"}}
    entry = (await client.get("/_emulator/log")).json()["entries"][0]
    assert (entry["method_id"], entry["quota_cost"]) == ("gmail.users.labels.patch", 5)
