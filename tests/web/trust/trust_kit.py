"""Helpers for the trust tests (issue 10) on top of `tests.web.panel_kit`: open a thread by id
the way a hostile colleague would (page, JSON API, attachment), create a Gmail label in a
mailbox through the emulator's own Gmail API, add a MailMagnet hit for a thread, run services
with the stack's AppContext, and build a minimal message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from sqlalchemy import insert

from gpanel.services.context import AppContext, open_context
from gpanel.store.tables import magnet_hits
from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, World, db

T = TypeVar("T")


def with_ctx(stack: Stack, work: Callable[[AppContext], Awaitable[T]]) -> T:
    """Run `work` with an AppContext of the stack's settings (services called directly)."""

    async def go() -> T:
        async with open_context(stack.settings) as ctx:
            return await work(ctx)

    return asyncio.run(go())


def raw_mail(sender: str, to: str, subject: str, cc: str = "") -> bytes:
    head = f"From: Someone <{sender}>\r\nTo: {to}\r\n" + (f"Cc: {cc}\r\n" if cc else "")
    return (head + f"Subject: {subject}\r\n\r\nhi\r\n").encode()


def thread_json(world: World, client: httpx.Client, rep: str, thread_id: str) -> httpx.Response:
    """GET /api/threads/... for `rep`'s mailbox, from Maria's contact record."""
    return client.get(
        f"/api/threads/{world.mailbox[rep]}/{thread_id}",
        params={"record_type": "contact", "record_id": str(world.records["maria"])},
    )


def thread_page(world: World, client: httpx.Client, rep: str, thread_id: str) -> httpx.Response:
    return client.get(
        f"/records/contact/{world.records['maria']}/threads/{world.mailbox[rep]}/{thread_id}"
    )


def make_label(world: World, rep: str, name: str) -> str:
    """A user label in `rep`'s Gmail, created through the emulator's Gmail API; its id."""
    token = world.stack.emulator.token(EMAIL[rep])
    resp = httpx.post(
        f"{world.stack.emulator.url}/gmail/v1/users/me/labels",
        json={"name": name},
        headers={"Authorization": f"Bearer {token}"},
    )
    resp.raise_for_status()
    return str(resp.json()["id"])


def add_hit(world: World, rep: str, message_id: str, thread_id: str, sender: str) -> None:
    """A MailMagnet hit not yet opened (what a MailMagnet run stores: ids, sender, time)."""

    async def go(engine: Any) -> None:
        async with engine.begin() as conn:
            await conn.execute(
                insert(magnet_hits).values(
                    mailbox_id=world.mailbox[rep],
                    message_id=message_id,
                    thread_id=thread_id,
                    sender=sender,
                    received_at=dt.datetime.now(dt.UTC),
                    opened_at=None,
                )
            )

    db(world.stack, go)
