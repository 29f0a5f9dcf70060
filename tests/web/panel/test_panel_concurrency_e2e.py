"""A cold record view under Google's per-user concurrency limit shows every row.

The emulator refuses batch parts beyond the mailbox's limit with 429 "Too many concurrent
requests for user", as Google does (google-api-dotnet-client issue 1982: 60 of 100 parts
refused; amd/gaia issue 2720: 25-part batches pass). Pins down: at the emulator's default limit
a cold 50-thread view lists all 50 threads; a gpanel allowed more than Google admits still
lists all 50 (refused parts retried at once in smaller batches); ten injected 429 parts leave
no row missing and no notice, even when a whole round is refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.stack import Stack, run_stack
from tests.web.panel_kit import EMAIL, MARIA, World, build, message


def gmail_log(world: World) -> list[dict[str, Any]]:
    entries = world.stack.emulator.control.get("/_emulator/log").json()["entries"]
    return [e for e in entries if e["method_id"]]


def fifty_threads(world: World) -> None:
    for n in range(50):
        world.deliver("carla", message(MARIA, [EMAIL["carla"]], f"Order {n}")[0])
    world.stack.emulator.control.delete("/_emulator/log").raise_for_status()
    world.stack.emulator.control.put(
        "/_emulator/latency", json={"latency_ms": 20}
    ).raise_for_status()


@pytest.fixture
def greedy_stack(db_url: str) -> Iterator[Stack]:
    """gpanel told it may have 100 calls of a mailbox in flight: more than Google admits."""
    with run_stack(db_url, gmail_max_inflight_per_mailbox="100") as running:
        yield running


def test_cold_50_thread_view_at_the_default_limit(stack: Stack) -> None:
    """Default emulator limit (40) and default gpanel (25 in flight): all 50 rows, no 429."""
    world = build(stack, connect=["carla"])
    fifty_threads(world)
    view = world.threads(world.client("carla"), "contact", "maria")
    assert len(view["threads"]) == 50 and view["notices"] == []
    log = gmail_log(world)
    # The 2026 plan reads each row's newest message with Maria (services/panel/plan.py).
    assert Counter(e["method_id"] for e in log)["gmail.users.messages.get"] == 50
    assert all(e["status"] == 200 for e in log)


def test_a_gpanel_allowed_too_much_still_shows_every_row(greedy_stack: Stack) -> None:
    """gpanel sends one 50-part batch; Google (the emulator) refuses 10 parts for concurrency;
    they are retried in a smaller batch inside the view's deadline: 50 rows, no notice."""
    world = build(greedy_stack, connect=["carla"])
    fifty_threads(world)
    view = world.threads(world.client("carla"), "contact", "maria")
    assert len(view["threads"]) == 50 and view["notices"] == []
    gets = [e for e in gmail_log(world) if e["method_id"] == "gmail.users.messages.get"]
    assert Counter(e["status"] for e in gets) == Counter({200: 50, 429: 10})


def test_injected_429_parts_leave_no_row_missing(stack: Stack) -> None:
    """Sixty 429s queued on messages.get (each row's read in the 2026 plan): every part of
    the cold view's first round is refused and ten of the second; the parts are retried
    inside the view's 3-second deadline (brief waits, not a rate limit's 1 s + 2 s backoff,
    which would outlast it): all 50 rows arrive and the view carries no notice."""
    world = build(stack, connect=["carla"])
    fifty_threads(world)
    world.stack.emulator.control.post(
        "/_emulator/faults",
        json={
            "user": EMAIL["carla"],
            "method": "gmail.users.messages.get",
            "kind": "429",
            "count": 60,
        },
    ).raise_for_status()
    view = world.threads(world.client("carla"), "contact", "maria")
    assert len(view["threads"]) == 50 and view["notices"] == []
    gets = [e for e in gmail_log(world) if e["method_id"] == "gmail.users.messages.get"]
    assert Counter(e["status"] for e in gets) == Counter({200: 50, 429: 60})
