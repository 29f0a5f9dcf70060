"""Helpers for driving the Google emulator (the shared `emulator` fixture) from Gmail tests.

`EmulatedGoogle` wraps the `RunningEmulator` and speaks only its control API (`/_emulator/...`):
users, mail, tokens, latency, quota, faults and the request log. `EmulatorTokens` is a real
`TokenProvider` that gets access tokens from the emulator's token control route and counts
forced refreshes.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import httpx

from tests.support.emulator import RunningEmulator


class EmulatorTokens:
    def __init__(self, url: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.http = http
        self.current: dict[str, str] = {}
        self.refreshes: Counter[str] = Counter()

    async def _mint(self, mailbox: str) -> str:
        response = await self.http.post(f"{self.url}/_emulator/token", json={"email": mailbox})
        response.raise_for_status()
        token: str = response.json()["access_token"]
        self.current[mailbox] = token
        return token

    async def access_token(self, mailbox: str) -> str:
        return self.current.get(mailbox) or await self._mint(mailbox)

    async def refresh(self, mailbox: str) -> str:
        self.refreshes[mailbox] += 1
        return await self._mint(mailbox)


class EmulatedGoogle:
    def __init__(self, running: RunningEmulator) -> None:
        self.running = running
        self.url = running.url
        self.control = running.control

    def add_user(self, email: str) -> None:
        self.running.add_user(email)

    def insert(
        self,
        owner: str,
        *,
        sender: str,
        to: str,
        subject: str,
        when: datetime | None = None,
    ) -> tuple[str, str, EmailMessage]:
        """Put a message into `owner`'s mailbox; returns (message id, thread id, message)."""
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, to, subject
        msg["Date"] = format_datetime(when or datetime.now(UTC))
        msg["Message-ID"] = make_msgid(domain="example.com")
        msg.set_content("Body text.\n")
        created = self.running.insert(owner, bytes(msg))
        return created["id"], created["threadId"], msg

    def expire_tokens(self, email: str) -> None:
        self.control.post("/_emulator/expire-tokens", json={"email": email}).raise_for_status()

    def log(self, user: str) -> list[dict[str, Any]]:
        return self.control.get("/_emulator/log", params={"user": user}).json()["entries"]

    def clear_log(self) -> None:
        self.control.delete("/_emulator/log").raise_for_status()

    def fault(self, user: str, kind: str, method: str = "*", count: int = 1) -> None:
        self.control.post(
            "/_emulator/faults", json={"user": user, "kind": kind, "method": method, "count": count}
        ).raise_for_status()

    def set_latency(self, ms: float) -> None:
        self.control.put("/_emulator/latency", json={"latency_ms": ms}).raise_for_status()


def max_overlap(entries: list[dict[str, Any]]) -> int:
    """The most log entries (calls and batch parts) that were in flight at one instant."""
    events = []
    for e in entries:
        events.append((e["start_monotonic"], 1))
        events.append((e["end_monotonic"], -1))
    # At equal times an end comes before a start: touching intervals do not overlap.
    events.sort(key=lambda ev: (ev[0], ev[1]))
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak
