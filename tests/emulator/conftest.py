"""Fixtures for the emulator's own tests: a seeded user and an HTTP client holding her token.

`ann` owns the mailbox under test (gmail.modify scope); `bob` is a second emulator user, so mail
sent between them is delivered into both mailboxes. `make_mail()` builds small RFC 822 messages.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.emulator import RunningEmulator

ANN = "ann@acme.example"
BOB = "bob@globex.example"


def make_mail(
    subject: str = "Hello",
    body: str = "Hi there",
    sender: str = f"Bob Example <{BOB}>",
    to: str = ANN,
    message_id: str | None = None,
    extra: str = "",
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    if extra:
        lines.append(extra.strip("\r\n"))
    text = (
        "\r\n".join(lines) + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
    )
    return text.encode("utf-8")


def client_for(emulator: RunningEmulator, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{emulator.url}/gmail/v1/users/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
    )


@pytest.fixture
def users(emulator: RunningEmulator) -> RunningEmulator:
    emulator.add_user(ANN, "Ann Acme")
    emulator.add_user(BOB, "Bob Globex")
    return emulator


@pytest.fixture
def gmail(users: RunningEmulator) -> Iterator[httpx.Client]:
    with client_for(users, users.token(ANN)) as client:
        yield client
