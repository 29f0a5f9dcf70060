"""Fixtures for the Calendar emulator's tests: two users and tokens with Calendar scopes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.emulator import RunningEmulator

ANN = "ann@acme.example"
BOB = "bob@globex.example"
CAL_READ = "https://www.googleapis.com/auth/calendar.readonly"
CAL_EVENTS = "https://www.googleapis.com/auth/calendar.events"


def seed(emulator: RunningEmulator, organiser: str, event: dict[str, Any]) -> dict[str, Any]:
    """Insert an event through the control API (no token), as the demo seeder does."""
    response = emulator.control.post(
        "/_emulator/calendar/events", json={"organiser": organiser, "event": event}
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def cal_client(emulator: RunningEmulator, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{emulator.url}/calendar/v3",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
    )


@pytest.fixture
def people(emulator: RunningEmulator) -> RunningEmulator:
    emulator.add_user(ANN, "Ann Acme")
    emulator.add_user(BOB, "Bob Globex")
    return emulator


@pytest.fixture
def cal(people: RunningEmulator) -> Iterator[httpx.Client]:
    with cal_client(people, people.token(ANN, [CAL_READ, CAL_EVENTS])) as client:
        yield client
