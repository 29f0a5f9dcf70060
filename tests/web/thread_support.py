"""A small world for thread-view tests on top of `tests.support.stack`: three signed-in reps
(Alice the admin, Ben the mailbox owner, Carla a colleague), a company Acme (acme.example) with
a contact Pat, Ben's Gmail connected, and mail built with the standard library inserted into
Ben's mailbox in the emulator. Helpers change Ben's sharing, mark threads private or unlinked,
and give the image proxy a resolver seam (see `ResolverSeam`).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import insert, select

from gpanel.crm.companies import create_company
from gpanel.crm.contacts import create_contact
from gpanel.services.sharing.policy import Audience, Detail, Sharing
from gpanel.services.sharing.rules import save_sharing
from gpanel.store.engine import create_engine
from gpanel.store.migrate import upgrade
from gpanel.store.tables import magnet_hits, mailboxes, private_threads, unlinks, users
from tests.support.stack import Stack, run_stack

T = TypeVar("T")
ALICE = "alice@brightwave.example"
BEN = "ben@brightwave.example"
CARLA = "carla@brightwave.example"
PAT = "pat@acme.example"
# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def db(stack: Stack, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(engine)` against gpanel's database, from a synchronous test."""

    async def go() -> T:
        engine = create_engine(stack.settings.resolved_database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def mail(
    sender: str,
    to: str,
    subject: str,
    text: str | None = None,
    html: str | None = None,
    *,
    related: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
    cc: str = "",
    reply_to_id: str = "",
    date: dt.datetime | None = None,
) -> tuple[bytes, str]:
    """An RFC 822 message and its Message-ID. `related` holds (content id, bytes, mime)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or dt.datetime.now(dt.UTC))
    message_id = make_msgid(domain="test.example")
    msg["Message-ID"] = message_id
    if reply_to_id:
        msg["In-Reply-To"] = reply_to_id
        msg["References"] = reply_to_id
    msg.set_content(text or "")
    if html is not None:
        msg.add_alternative(html, subtype="html")
        if related:
            html_part = msg.get_payload()[1]  # type: ignore[index]
            for cid, data, mime in related:
                main, sub = mime.split("/")
                html_part.add_related(data, maintype=main, subtype=sub, cid=f"<{cid}>")
    for name, data, mime in attachments:
        main, sub = mime.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return bytes(msg), message_id


@dataclass
class World:
    stack: Stack
    ben: httpx.Client
    carla: httpx.Client
    mailbox_id: int
    contact_id: int
    company_id: int
    other_contact_id: int
    user_ids: dict[str, int] = field(default_factory=dict)
    rfc_ids: dict[str, str] = field(default_factory=dict)  # Gmail id -> Message-ID

    def insert(self, raw: bytes, labels: tuple[str, ...] = ("INBOX", "UNREAD")) -> dict[str, Any]:
        return self.stack.emulator.insert(BEN, raw, label_ids=labels)

    def url(self, thread_id: str, kind: str = "contact", record_id: int | None = None) -> str:
        rid = self.contact_id if record_id is None else record_id
        return f"/records/{kind}/{rid}/threads/{self.mailbox_id}/{thread_id}"

    def share(self, audience: Audience, detail: Detail = Detail.FULL) -> None:
        uid = self.user_ids[BEN]

        async def go(engine: Any) -> None:
            await save_sharing(engine, uid, "rep", Sharing(audience, detail))

        db(self.stack, go)

    def mark_private(self, thread_id: str) -> None:
        async def go(engine: Any) -> None:
            async with engine.begin() as conn:
                await conn.execute(
                    insert(private_threads).values(
                        mailbox_id=self.mailbox_id,
                        thread_id=thread_id,
                        created_at=dt.datetime.now(dt.UTC),
                    )
                )

        db(self.stack, go)

    def unlink(self, thread_id: str, kind: str, record_id: int) -> None:
        async def go(engine: Any) -> None:
            async with engine.begin() as conn:
                await conn.execute(
                    insert(unlinks).values(
                        mailbox_id=self.mailbox_id,
                        thread_id=thread_id,
                        record_type=kind,
                        record_id=record_id,
                        user_id=self.user_ids[BEN],
                        created_at=dt.datetime.now(dt.UTC),
                    )
                )

        db(self.stack, go)

    def add_hit(self, message_id: str, thread_id: str) -> None:
        async def go(engine: Any) -> None:
            async with engine.begin() as conn:
                await conn.execute(
                    insert(magnet_hits).values(
                        mailbox_id=self.mailbox_id,
                        message_id=message_id,
                        thread_id=thread_id,
                        sender=PAT,
                        received_at=dt.datetime.now(dt.UTC),
                        opened_at=None,
                    )
                )

        db(self.stack, go)

    def labels_of(self, thread_id: str) -> set[str]:
        """The labels of every message of the thread, straight from the emulator's state."""
        box = self.stack.emulator.state.mailbox(BEN)  # type: ignore[attr-defined]
        found: set[str] = set()
        for message in box.thread(thread_id):
            found |= set(message.label_ids)
        return found


def build_world(stack: Stack) -> World:
    ben = stack.sign_in(BEN)
    carla = stack.sign_in(CARLA)
    stack.sign_in(ALICE).close()
    connected = stack.connect(ben, BEN)
    assert connected.status_code == 200, connected.text[:300]
    (box,) = [r for r in stack.rows(mailboxes)]

    async def seed(engine: Any) -> tuple[int, int, int, dict[str, int]]:
        async with engine.begin() as conn:
            ids = {r.email: r.id for r in (await conn.execute(select(users))).all()}
            company = await create_company(conn, name="Acme", domains=["acme.example"])
            pat = await create_contact(
                conn, first_name="Pat", last_name="Buyer", emails=[PAT], company_id=company.id
            )
            other = await create_contact(
                conn,
                first_name="Olga",
                last_name="Other",
                emails=["olga@elsewhere.example"],
                owner_id=ids[BEN],
            )
        return pat.id, company.id, other.id, ids

    contact_id, company_id, other_id, ids = db(stack, seed)
    return World(stack, ben, carla, box.id, contact_id, company_id, other_id, ids)


@contextmanager
def world_on_sqlite(tmp_path: Path) -> Iterator[World]:
    """The world on a fresh SQLite file under `tmp_path` (migrated), its stack running."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    with run_stack(url) as stack:
        yield build_world(stack)
