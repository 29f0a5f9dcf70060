"""Helpers for the sending tests: the thread-view world (Ben connected, Pat a contact of Acme),
a JSON send with the session's CSRF token, and reads of the emulator's mailboxes."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any, TypeVar

import httpx

from gpanel.services.context import AppContext, open_context
from tests.support.stack import Stack, csrf
from tests.web.thread_support import BEN, World

T = TypeVar("T")
SALES = "sales@brightwave.example"


def post(world: World, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    headers = {"X-CSRF-Token": csrf(world.ben)}
    if key is not None:
        headers["Idempotency-Key"] = key
    return world.ben.post(path, json=body, headers=headers)


def give_aliases(stack: Stack) -> None:
    """Ben's Gmail gets a verified alias with a signature and an unverified one."""
    stack.emulator.control.post(
        "/_emulator/users",
        json={
            "email": BEN,
            "name": "Ben Okafor",
            "aliases": [
                {
                    "email": SALES,
                    "name": "Brightwave Sales",
                    "signature": '<b>Sales</b><script>alert(1)</script><img src=x onerror="x()">',
                },
                {"email": "ben.old@brightwave.example", "verified": False},
            ],
        },
    ).raise_for_status()


def messages(stack: Stack, address: str, label: str | None = None) -> list[Any]:
    box = stack.emulator.state.mailbox(address)
    found = box.newest_first()
    return [m for m in found if label is None or label in m.label_ids]


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def with_ctx(stack: Stack, work: Callable[[AppContext], Awaitable[T]]) -> T:
    async def go() -> T:
        async with open_context(stack.settings) as ctx:
            return await work(ctx)

    return asyncio.run(go())
