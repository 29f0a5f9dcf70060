"""The Google emulator served over real HTTP on 127.0.0.1, for tests.

`run_emulator()` starts `create_emulator()` under uvicorn in a background thread on a free
loopback port, waits until it answers, and stops it cleanly on exit. The `RunningEmulator` it
yields carries the base URL, the in-process state (for assertions), an httpx client for the
control API, and helpers that wrap the common control calls.
"""

from __future__ import annotations

import base64
import dataclasses
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from gpanel.emulator.app import create_emulator
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.state import EmulatorState

MODIFY = "https://www.googleapis.com/auth/gmail.modify"


@dataclass
class RunningEmulator:
    url: str
    state: EmulatorState
    config: EmulatorConfig
    control: httpx.Client

    def add_user(self, email: str, name: str = "") -> None:
        self.control.post(
            "/_emulator/users", json={"email": email, "name": name}
        ).raise_for_status()

    def token(self, email: str, scopes: Iterable[str] = (MODIFY,)) -> str:
        response = self.control.post(
            "/_emulator/token", json={"email": email, "scopes": list(scopes)}
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def insert(
        self,
        email: str,
        raw: bytes,
        label_ids: Iterable[str] = ("INBOX", "UNREAD"),
        internal_date_ms: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "raw": base64.urlsafe_b64encode(raw).decode("ascii"),
            "labelIds": list(label_ids),
        }
        if internal_date_ms is not None:
            body["internalDate"] = internal_date_ms
        response = self.control.post(f"/_emulator/users/{email}/messages", json=body)
        response.raise_for_status()
        created: dict[str, Any] = response.json()
        return created

    def reset(self) -> None:
        self.control.post("/_emulator/reset").raise_for_status()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it every keep-alive request waits ~40 ms on
    # Nagle's algorithm meeting delayed ACKs, which would swamp the latency we inject.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


# History records kept per mailbox in tests (the emulator's own default is 100,000).
TEST_HISTORY_RETENTION = 50


@contextmanager
def run_emulator(config: EmulatorConfig | None = None) -> Iterator[RunningEmulator]:
    sock = _free_socket()
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    if config is None:
        config = EmulatorConfig(base_url=url, auto_consent=True)
    elif config.base_url == EmulatorConfig.base_url:
        # The default points at port 8025; OAuth discovery and id_tokens must name this server.
        config = dataclasses.replace(config, base_url=url)
    if config.history_retention == EmulatorConfig.history_retention:
        # Google keeps history ids for about a week, sometimes hours: tests keep few records so
        # that cursors really expire and every caller's 404 path runs (docs/gmail-facts.md,
        # "History and change tracking").
        config = dataclasses.replace(config, history_retention=TEST_HISTORY_RETENTION)
    app = create_emulator(config)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    control = httpx.Client(base_url=url, timeout=30.0)
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the emulator did not start")
            time.sleep(0.01)
        yield RunningEmulator(url, app.state.emulator, config, control)
    finally:
        control.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
