"""The wire layer inside the full emulator, over real HTTP.

Pins down what only the assembled app can show: a `drop` fault closes the TCP connection even
with Starlette's error middleware around the wire, the budget and the concurrency cap apply to
the real Gmail routes with Google's bodies, 401s from the real routes are logged but not
charged, and the global `/_emulator/reset` also resets the wire.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.emulator.conftest import ANN, client_for, make_mail
from tests.support.emulator import RunningEmulator


def test_drop_closes_the_connection_of_the_real_app(users: RunningEmulator) -> None:
    """Behind ServerErrorMiddleware too, a drop is a transport error, not a 500."""
    users.control.post("/_emulator/faults", json={"user": ANN, "kind": "drop"})
    with client_for(users, users.token(ANN)) as gmail:
        with pytest.raises(httpx.TransportError):
            gmail.get("/profile")
        assert gmail.get("/profile").status_code == 200
    statuses = [e["status"] for e in users.control.get("/_emulator/log").json()["entries"]]
    assert statuses == [None, 200]


def test_budget_applies_to_real_routes(users: RunningEmulator) -> None:
    """With a 45-unit budget, two messages.get (20 each) pass and the third gets 403."""
    mid = users.insert(ANN, make_mail())["id"]
    users.control.put("/_emulator/quota", json={"regime": "2026", "user_quota_per_minute": 45})
    with client_for(users, users.token(ANN)) as gmail:
        codes = [gmail.get(f"/messages/{mid}").status_code for _ in range(3)]
        assert codes == [200, 200, 403]
        assert gmail.get("/profile").status_code == 200  # 1 unit still fits
        refused = gmail.get(f"/messages/{mid}")
    assert refused.json()["error"]["errors"][0]["reason"] == "userRateLimitExceeded"
    usage = users.control.get("/_emulator/quota/usage", params={"user": ANN}).json()
    assert usage["users"] == {ANN: 41}


def test_concurrency_cap_on_real_routes(users: RunningEmulator) -> None:
    """Eight simultaneous calls against a cap of 4 with 1 s latency: four get 429."""
    users.control.put("/_emulator/quota", json={"max_concurrent_per_user": 4})
    users.control.put("/_emulator/latency", json={"latency_ms": 1000})
    token = users.token(ANN)
    # The clients are built first (that is slow on a loaded machine) and a barrier releases the
    # eight calls together.
    clients = [client_for(users, token) for _ in range(8)]
    start = threading.Barrier(8)

    def call(gmail: httpx.Client) -> int:
        start.wait()
        return gmail.get("/labels").status_code

    try:
        with ThreadPoolExecutor(8) as pool:
            codes = sorted(pool.map(call, clients))
    finally:
        for gmail in clients:
            gmail.close()
    assert codes == [200] * 4 + [429] * 4


def test_unauthenticated_calls_are_logged_not_charged(users: RunningEmulator) -> None:
    """A bad token reaches the real route's 401; the log shows it with no user and no cost."""
    response = httpx.get(
        f"{users.url}/gmail/v1/users/me/profile", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    entry = users.control.get("/_emulator/log").json()["entries"][-1]
    assert (entry["user"], entry["quota_cost"], entry["status"]) == (None, 0, 401)


def test_global_reset_resets_the_wire(users: RunningEmulator) -> None:
    """POST /_emulator/reset clears faults, the log and the usage, and restores latency."""
    users.control.put("/_emulator/latency", json={"latency_ms": 40})
    users.control.post("/_emulator/faults", json={"user": ANN, "kind": "500"})
    with client_for(users, users.token(ANN)) as gmail:
        gmail.get("/labels")
    users.reset()
    assert users.control.get("/_emulator/latency").json()["latency_ms"] == 0
    assert users.control.get("/_emulator/faults").json()["pending"] == []
    assert users.control.get("/_emulator/log").json()["entries"] == []
    assert users.control.get("/_emulator/quota/usage").json()["users"] == {}
