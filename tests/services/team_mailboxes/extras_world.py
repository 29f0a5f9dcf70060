"""A gpanel context and a connected team mailbox for the tests of the team mailbox's background
pass (label rules by recipient, leads from mail) and its figures.

`team_world(db_url, emulator, lead_capture=...)` opens a real `AppContext` (database on the
given engine, Gmail over HTTP to the emulator), creates a team account (a `users` row with
`team_account` set) at support@brightwave.example, connects its Gmail through the production
connect flow and gives it a `team_mailboxes` row. Messages are put straight into the emulator's
state (fast, still served to gpanel over HTTP).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, update

from gpanel.crm import people
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext, open_context
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.store.tables import team_mailboxes, users
from tests.support.emulator import RunningEmulator
from tests.support.stack import stack_settings

_seq = itertools.count(1)


@dataclass
class TeamWorld:
    ctx: AppContext
    emulator: RunningEmulator
    email: str
    mailbox_id: int
    team_mailbox_id: int

    def gmail_box(self) -> Any:
        return self.emulator.state.mailbox(self.email)

    def add_message(
        self,
        sender: str,
        *,
        to: str | None = None,
        cc: str = "",
        days_ago: float = 0.0,
        labels: Iterable[str] = ("INBOX", "UNREAD"),
        subject: str = "",
        body: str = "",
    ) -> str:
        n = next(_seq)
        when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
        raw = (
            f"From: {sender}\r\nTo: {to or self.email}\r\n"
            + (f"Cc: {cc}\r\n" if cc else "")
            + f"Subject: {subject or f'Note {n}'}\r\n"
            f"Message-ID: <t{n}.{id(self)}@test.example>\r\n"
            f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n\r\n"
            f"{body or f'Hello {n}'}\r\n"
        )
        message = self.gmail_box().insert_raw(
            raw.encode(), list(labels), int(when.timestamp() * 1000)
        )
        return str(message.id)

    def label_names_of(self, message_id: str) -> set[str]:
        box = self.gmail_box()
        with self.emulator.state.lock:
            ids = set(box.messages[message_id].label_ids)
            return {lb.name for lb in box.labels.all() if lb.id in ids and lb.type == "user"}

    def user_labels(self) -> list[str]:
        return sorted(x.name for x in self.gmail_box().labels.all() if x.type == "user")

    def log(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.emulator.control.get(
            "/_emulator/log", params={"user": self.email}
        ).json()["entries"]
        return entries

    def clear_log(self) -> None:
        self.emulator.control.delete("/_emulator/log").raise_for_status()

    def methods(self) -> list[str]:
        return [str(e.get("method_id") or "") for e in self.log()]


@asynccontextmanager
async def team_world(
    db_url: str, emulator: RunningEmulator, *, lead_capture: bool = False, **overrides: str
) -> AsyncIterator[TeamWorld]:
    settings, _ = stack_settings(db_url, emulator.url, **overrides)
    email = f"support{next(_seq)}@brightwave.example"
    emulator.add_user(email, "Support")
    async with open_context(settings) as ctx:
        now = dt.datetime.now(dt.UTC)
        async with ctx.engine.begin() as conn:
            row = await people.create_user(conn, email=email, name="Support", role="rep")
            await conn.execute(update(users).where(users.c.id == row.id).values(team_account=True))
        account = CurrentUser(row.id, row.email, row.name, row.role, row.team_id)
        box = await connect_through_emulator(ctx.engine, settings, emulator.url, account)
        async with ctx.engine.begin() as conn:
            team_id = await conn.scalar(
                insert(team_mailboxes)
                .values(
                    mailbox_id=box.id,
                    name="Support",
                    lead_capture=lead_capture,
                    banner_statuses=["unassigned", "overdue"],
                    created_at=now,
                    updated_at=now,
                )
                .returning(team_mailboxes.c.id)
            )
        assert team_id is not None
        yield TeamWorld(ctx, emulator, email, box.id, int(team_id))
