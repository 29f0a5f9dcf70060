"""A world for the kept-view tests: the demo CRM, every demo rep's Gmail connected through the
production connect flow against the emulator (over HTTP), a few threads per mailbox with the
demo contacts, and two `AppContext`s on the same database: `ctx`, whose kept views and
validator window are under test, and `fresh`, whose caches are emptied before every view, so
that it always builds the view from scratch.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from sqlalchemy import select

from gpanel.crm.models import RecordType
from gpanel.crm.seed import seed_demo_crm
from gpanel.demo.cast import REPS
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext, open_context
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.panel.view import PanelView, record_threads
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Audience, Detail, Sharing
from gpanel.store.tables import companies, contacts, users
from tests.support.emulator import RunningEmulator
from tests.support.stack import stack_settings

MARIA = "maria.schneider@acme-logistics.example"
TOM = "tom.baker@acme-logistics.example"
OUTSIDER = "news@bulk-sender.example"
_seq = itertools.count(1)


@dataclass
class KeptWorld:
    ctx: AppContext
    fresh: AppContext
    emulator: RunningEmulator
    people: dict[str, CurrentUser]  # rep key -> user
    mailbox: dict[str, int]  # rep key -> mailbox id
    records: dict[str, int]  # "maria", "tom", "acme" -> record id

    def deliver(self, rep: str, sender: str, to: str, *, cc: str = "") -> str:
        """A new thread in `rep`'s mailbox; returns its thread id."""
        n = next(_seq)
        email = self.people[rep].email
        raw = (
            f"From: <{sender}>\r\nTo: {to}\r\n" + (f"Cc: {cc}\r\n" if cc else "") + "Subject: "
            f"Kept {n}\r\nMessage-ID: {make_msgid('kept')}\r\n"
            f"Date: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nBody {n}\r\n"
        ).encode()
        box = self.emulator.state.mailbox(email)
        when = int(dt.datetime.now(dt.UTC).timestamp() * 1000) - 86_400_000 + n * 60_000
        return str(box.insert_raw(raw, ["INBOX", "UNREAD"], when).thread_id)

    async def view(
        self, ctx: AppContext, who: str, kind: RecordType, record: str, **kw: Any
    ) -> PanelView:
        if ctx is self.fresh:
            ctx.content_cache.clear()
            ctx.panel._answered.clear()
        return await record_threads(ctx, self.people[who], kind, self.records[record], **kw)


def rows_of(view: PanelView) -> list[tuple[Any, ...]]:
    """Everything a viewer is shown of each row, and the notices."""
    return [
        (r.mailbox_id, r.thread_id, r.detail, r.subject, r.snippet, r.unread, r.labels, r.new,
         r.private, r.participants, r.count)
        for r in view.rows
    ] + [(n.mailbox_id, n.kind) for n in view.notices]  # fmt: skip


@asynccontextmanager
async def kept_world(
    db_url: str, emulator: RunningEmulator, **overrides: str
) -> AsyncIterator[KeptWorld]:
    for rep in REPS:
        emulator.add_user(rep.email, rep.name)
    settings, _ = stack_settings(db_url, emulator.url, **overrides)
    async with open_context(settings) as ctx, open_context(settings) as fresh:
        async with ctx.engine.begin() as conn:
            await seed_demo_crm(conn, dt.date.today())
            found = {}
            for table, key in ((contacts, "maria"), (contacts, "tom"), (companies, "acme")):
                found[key] = int(
                    await conn.scalar(
                        select(table.c.id).where(table.c.external_id == f"demo:{key}")
                    )
                    or 0
                )
            rows = (await conn.execute(select(users))).all()
        people = {
            rep.key: next(
                CurrentUser(r.id, r.email, r.name, r.role, r.team_id)
                for r in rows
                if r.email == rep.email
            )
            for rep in REPS
        }
        boxes = {}
        for rep in REPS:
            box = await connect_through_emulator(
                ctx.engine, settings, emulator.url, people[rep.key]
            )
            boxes[rep.key] = box.id
            await sharing.save_sharing(
                ctx.engine,
                people[rep.key].id,
                rep.role,
                Sharing(Audience.RECORD_ACCESS, Detail.FULL),
            )
        world = KeptWorld(ctx, fresh, emulator, people, boxes, found)
        for rep in REPS:
            world.deliver(rep.key, MARIA, rep.email)
            world.deliver(rep.key, rep.email, TOM, cc=MARIA)
            world.deliver(rep.key, OUTSIDER, rep.email, cc=MARIA)
        yield world
