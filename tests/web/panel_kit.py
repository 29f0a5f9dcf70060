"""A world for record-panel tests on top of `tests.support.stack`: the demo CRM seeded (reps,
companies, contacts, deals), chosen reps' Gmail connected through the production code, signed-in
HTTP clients (sessions opened by the accounts service, CSRF header set), and mail built with
the standard library and delivered into the emulator's mailboxes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from gpanel.crm.seed import seed_demo_crm
from gpanel.demo.cast import REPS
from gpanel.services.accounts.sessions import sign_in
from gpanel.services.sharing.policy import Audience, Detail, Sharing
from gpanel.services.sharing.rules import save_sharing
from gpanel.store.engine import create_engine
from gpanel.store.tables import companies, contacts, deals, users
from gpanel.web.guard.session import SESSION_COOKIE, SessionCodec
from tests.support.stack import Stack

T = TypeVar("T")
EMAIL = {r.key: r.email for r in REPS}
MARIA = "maria.schneider@acme-logistics.example"
TOM = "tom.baker@acme-logistics.example"


def db(stack: Stack, work: Callable[[Any], Awaitable[T]]) -> T:
    async def go() -> T:
        engine = create_engine(stack.settings.resolved_database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def message(
    sender: str,
    to: Iterable[str],
    subject: str,
    text: str = "Hello",
    *,
    cc: Iterable[str] = (),
    bcc: Iterable[str] = (),
    message_id: str | None = None,
    reply_to: str = "",
    attachment: tuple[str, bytes] | None = None,
) -> tuple[bytes, str]:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if bcc:
        msg["Bcc"] = ", ".join(bcc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    mid = message_id or make_msgid(domain="panel.test")
    msg["Message-ID"] = mid
    if reply_to:
        msg["In-Reply-To"] = reply_to
        msg["References"] = reply_to
    msg.set_content(text)
    if attachment is not None:
        msg.add_attachment(
            attachment[1], maintype="application", subtype="octet-stream", filename=attachment[0]
        )
    return bytes(msg), mid


@dataclass
class World:
    stack: Stack
    user_ids: dict[str, int]  # rep key -> user id
    records: dict[str, int]  # demo key -> record id (contacts, companies, deals)
    mailbox: dict[str, int] = field(default_factory=dict)  # rep key -> mailbox id
    _clock: int = 0

    def client(self, rep: str) -> httpx.Client:
        """A browser-like client signed in as `rep`, sending the session's CSRF header."""

        async def go(engine: Any) -> str:
            _, session_id = await sign_in(engine, self.stack.settings, EMAIL[rep], rep)
            return str(session_id)

        session_id = db(self.stack, go)
        codec = SessionCodec(self.stack.settings.secret_key.get_secret_value())
        return httpx.Client(
            base_url=self.stack.url,
            timeout=60,
            cookies={SESSION_COOKIE: codec.dumps(session_id)},
            headers={"X-CSRF-Token": codec.csrf_token(session_id)},
        )

    def connect(self, *reps: str) -> None:
        for rep in reps:
            self.mailbox[rep] = self.stack.connect_direct(EMAIL[rep])

    def deliver(
        self, rep: str, raw: bytes, labels: Iterable[str] = ("INBOX", "UNREAD")
    ) -> dict[str, Any]:
        """Put a message into `rep`'s mailbox; each delivery is a minute newer than the last."""
        self._clock += 1
        when = int(time.time() * 1000) - 10_000_000 + self._clock * 60_000
        return self.stack.emulator.insert(
            EMAIL[rep], raw, label_ids=list(labels), internal_date_ms=when
        )

    def share(
        self, rep: str, audience: Audience, detail: Detail = Detail.FULL, users: Iterable[str] = ()
    ) -> None:
        uid = self.user_ids[rep]
        role = next(r.role for r in REPS if r.key == rep)
        chosen = Sharing(audience, detail, frozenset(self.user_ids[u] for u in users))

        async def go(engine: Any) -> None:
            await save_sharing(engine, uid, role, chosen)

        db(self.stack, go)

    def hold(self, rep: str, delay_ms: int) -> None:
        """The emulator answers the rep's next thread listing `delay_ms` late (a slow mailbox)."""
        self.stack.emulator.control.post(
            "/_emulator/faults",
            json={
                "user": EMAIL[rep],
                "method": "gmail.users.threads.list",
                "kind": "slow",
                "count": 1,
                "delay_ms": delay_ms,
            },
        ).raise_for_status()

    def threads(self, client: httpx.Client, kind: str, key: str, **params: str) -> Any:
        resp = client.get(f"/api/records/{kind}/{self.records[key]}/threads", params=params)
        assert resp.status_code == 200, resp.text[:500]
        return resp.json()


def build(stack: Stack, connect: Iterable[str] = ()) -> World:
    async def go(engine: Any) -> tuple[dict[str, int], dict[str, int]]:
        async with engine.begin() as conn:
            await seed_demo_crm(conn, dt.date.today())
            found: dict[str, int] = {}
            for table in (contacts, companies, deals):
                for row in (await conn.execute(select(table.c.id, table.c.external_id))).all():
                    if row.external_id and row.external_id.startswith("demo:"):
                        found[row.external_id.removeprefix("demo:")] = row.id
            emails = {r.email: r.id for r in (await conn.execute(select(users))).all()}
        return {r.key: emails[r.email] for r in REPS}, found

    user_ids, records = db(stack, go)
    world = World(stack, user_ids, records)
    world.connect(*connect)
    return world


def subjects(body: Any) -> list[str | None]:
    return [t["subject"] for t in body["threads"]]
