"""A gpanel context, a connected rep mailbox and helpers for the category-label tests.

`label_world(db_url, emulator, **settings)` opens a real `AppContext` (database on the given
engine, Gmail calls over HTTP to the emulator), creates a rep, connects their mailbox through
the production connect flow, allows the LABELS feature and turns MailMagnet on for the mailbox
(through `job_state.set_magnet_enabled`, MailMagnet's own switch).
Messages are generated straight into the emulator's in-process state, which is fast and still
served to gpanel over HTTP.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from gpanel.crm import people
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext, open_context
from gpanel.services.labels import switch as labels
from gpanel.services.ops import job_state
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from tests.support.emulator import RunningEmulator
from tests.support.stack import stack_settings

_seq = itertools.count(1)


@dataclass
class World:
    ctx: AppContext
    emulator: RunningEmulator
    user: CurrentUser
    mailbox_id: int

    @property
    def email(self) -> str:
        return self.user.email

    def gmail_box(self) -> Any:
        return self.emulator.state.mailbox(self.email)

    def add_message(
        self,
        sender: str,
        *,
        days_ago: float,
        labels: Iterable[str] = ("INBOX",),
        name: str = "Sender",
    ) -> str:
        n = next(_seq)
        when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
        raw = (
            f"From: {name} <{sender}>\r\nTo: {self.email}\r\nSubject: Note {n}\r\n"
            f"Message-ID: <m{n}.{id(self)}@test.example>\r\n"
            f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n\r\nHello {n}\r\n"
        )
        message = self.gmail_box().insert_raw(
            raw.encode(), list(labels), int(when.timestamp() * 1000)
        )
        return str(message.id)

    def user_label(self, name: str) -> str:
        box = self.gmail_box()
        with self.emulator.state.lock:
            existing = box.labels.by_name(name)
            return str(existing.id if existing else box.labels.create({"name": name}).id)

    def labels_of(self, message_id: str) -> set[str]:
        return set(self.gmail_box().messages[message_id].label_ids)

    def log(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.emulator.control.get(
            "/_emulator/log", params={"user": self.email}
        ).json()["entries"]
        return entries

    def clear_log(self) -> None:
        self.emulator.control.delete("/_emulator/log").raise_for_status()

    async def set_magnet(self, on: bool) -> None:
        await job_state.set_magnet_enabled(self.ctx.engine, self.mailbox_id, on)


@asynccontextmanager
async def label_world(
    db_url: str,
    emulator: RunningEmulator,
    *,
    allow: bool = True,
    magnet: bool = True,
    **overrides: str,
) -> AsyncIterator[World]:
    settings, _ = stack_settings(db_url, emulator.url, **overrides)
    email = f"rep{next(_seq)}@brightwave.example"
    emulator.add_user(email, "Test Rep")
    async with open_context(settings) as ctx:
        async with ctx.engine.begin() as conn:
            row = await people.create_user(conn, email=email, name="Test Rep", role="rep")
        user = CurrentUser(row.id, row.email, row.name, row.role, row.team_id)
        box = await connect_through_emulator(ctx.engine, settings, emulator.url, user)
        if allow:
            await sharing.set_feature(ctx.engine, "role", "rep", Feature.LABELS, True)
        world = World(ctx, emulator, user, box.id)
        if magnet:
            await world.set_magnet(True)
        yield world


async def enable(world: World) -> None:
    await labels.enable(world.ctx, world.user)
