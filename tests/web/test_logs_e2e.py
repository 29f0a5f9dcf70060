"""What the log says, over real HTTP: `gpanel serve` in its own process at INFO, a rep opening
a record's panel (which searches Gmail for the contact's addresses), the search page and the
API's email filter. What it prints must hold no CRM address, no Gmail query (`q=`, `from:`) and no
query string; at DEBUG the same process says once, at start, that its log now carries them,
and then it does (the control that shows this capture would see a leak)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.support.servers import free_port
from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, MARIA, World, build, message

DEBUG_WORDS = "DEBUG logging is on"


@contextmanager
def gpanel_serve(stack: Stack, level: str) -> Iterator[tuple[str, list[str]]]:
    """`gpanel serve` on the stack's database and emulator; yields its URL and, after the
    block, everything it printed (in the list)."""
    port = free_port()
    env = {**os.environ, **stack.env, "GPANEL_LOG_LEVEL": level, "GPANEL_PORT": str(port)}
    env["GPANEL_BASE_URL"] = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gpanel.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # uvicorn's access log goes to stdout, the rest to stderr
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    out: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "gpanel did not start"
            time.sleep(0.1)
        yield url, out
    finally:
        proc.terminate()
        printed, _ = proc.communicate(timeout=30)
        out.append(printed)


def _browse(world: World, url: str) -> None:
    """The views that search Gmail or carry addresses and queries in their URLs."""
    carla = world.client("carla")
    carla.base_url = httpx.URL(url)
    contact = world.records["maria"]
    listed = carla.get(f"/api/records/contact/{contact}/threads")
    assert listed.status_code == 200
    assert [t["subject"] for t in listed.json()["threads"]] == ["Fleet renewal"]
    assert carla.get(f"/records/contact/{contact}/panel").status_code == 200
    assert carla.get(f"/api/records/company/{world.records['acme']}/threads").status_code == 200
    assert carla.get("/search", params={"q": MARIA}).status_code == 200
    assert carla.get("/api/contacts", params={"email": MARIA}).status_code == 200
    why = carla.post(f"/api/records/contact/{contact}/why", json={"q": MARIA})
    assert why.status_code == 200


def test_info_logs_carry_no_address_query_or_gmail_url(stack: Stack) -> None:
    """At INFO, after panel views, a search and an email filter, the output names the requests
    (the capture works) but holds no address, no `q=`/`from:` and no query string."""
    world = build(stack, connect=["carla"])
    world.deliver("carla", message(MARIA, [EMAIL["carla"]], "Fleet renewal")[0])
    with gpanel_serve(stack, "INFO") as (url, out):
        _browse(world, url)
    (log,) = out
    assert "GET /search" in log and "/api/records/contact/" in log, log[-2000:]
    assert DEBUG_WORDS not in log
    for needle in (MARIA, "maria.schneider", "acme-logistics", "q=", "from:", "%40", "email="):
        assert needle not in log, f"{needle!r} in the INFO log:\n{log[-3000:]}"


def test_debug_warns_once_then_logs_queries(stack: Stack) -> None:
    """At DEBUG, the warning comes once at start; the log then does carry Gmail's queries."""
    world = build(stack, connect=["carla"])
    world.deliver("carla", message(MARIA, [EMAIL["carla"]], "Fleet renewal")[0])
    with gpanel_serve(stack, "DEBUG") as (url, out):
        _browse(world, url)
    (log,) = out
    assert log.count(DEBUG_WORDS) == 1, log[:2000]
    assert "q=" in log and "maria.schneider" in log
