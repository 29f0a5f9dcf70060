"""Hostile mail through gpanel's real thread route: every message of the shared MIME corpus is
inserted into a mailbox of the emulator and opened over HTTP as a rep would open it from a
record. No answer may be a 500 (or anything but 200), every message whose source holds a
readable body part (judged by the corpus oracle, independently of gpanel's reader) must show
text in its frame, and a 10 MB body says it is too large to show here.

To belong to the record, each message gets one `Bcc:` line naming the record's contact put in
front of its headers; nothing else of the message changes. The test runs on SQLite only: what
it proves is about mail, not the database engine (the other thread tests run on both).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from gpanel.crm.contacts import create_contact
from gpanel.emulator.config import EmulatorConfig
from gpanel.store.migrate import upgrade
from tests.mail.corpus import corpus_messages, has_readable_body
from tests.mail.pipeline import visible_text
from tests.support.stack import run_stack
from tests.web.thread_support import BEN, PAT, World, build_world, db, mail

ANCHOR = "anchor@corpus.example"
QUOTA = 1_000_000
_ARTICLE = re.compile(
    r'<article class="message[^"]*" id="m-[^"]+" data-message-id="([^"]+)">'
    r"(.*?)</article>",
    re.S,
)
_SRCDOC = re.compile(r'srcdoc="([^"]*)"')

pytestmark = [
    pytest.mark.slow,
    pytest.mark.corpus("mime"),
]


def _anchored(raw: bytes) -> bytes:
    if raw.startswith(b"From "):  # an mbox separator line is not a header
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    newline = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    return b"Bcc: " + ANCHOR.encode() + newline + raw


def _bodies(page: str) -> dict[str, str]:
    """Visible text of each message's frame, by Gmail message id."""
    found = {}
    for message_id, article in _ARTICLE.findall(page):
        docs = _SRCDOC.findall(article)
        doc = html.unescape(docs[0]) if docs else ""
        found[message_id] = visible_text(doc.split("<body>", 1)[-1])
    return found


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """SQLite only: what this file proves does not depend on the database engine (the other
    thread tests run on both)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
    upgrade(url)
    return url


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    # About 750 cold opens at 42 quota units each is more than one mailbox's minute of Gmail
    # quota; this test is about mail, so both gpanel's budget and the emulator's are raised
    # (the budget itself is tested with the Gmail client).
    config = EmulatorConfig(user_quota_per_minute=QUOTA)
    with run_stack(sqlite_url, config, gmail_user_quota_per_minute=str(QUOTA)) as stack:
        world = build_world(stack)

        async def anchor(engine: object) -> int:
            async with engine.begin() as conn:  # type: ignore[attr-defined]
                contact = await create_contact(conn, first_name="Corpus", emails=[ANCHOR])
            return contact.id

        world.contact_id = db(stack, anchor)
        yield world


def test_every_corpus_message_opens_through_the_thread_route(world: World) -> None:
    inserted: dict[str, list[tuple[str, str, bool]]] = {}  # thread -> (msg id, name, readable)
    for name, raw in corpus_messages():
        created = world.stack.emulator.insert(BEN, _anchored(raw))
        inserted.setdefault(created["threadId"], []).append(
            (created["id"], name, has_readable_body(raw))
        )
    assert sum(len(v) for v in inserted.values()) > 700

    cookies = dict(world.ben.cookies)

    def open_thread(thread_id: str) -> tuple[str, int, str]:
        with httpx.Client(base_url=world.stack.url, cookies=cookies, timeout=60) as client:
            page = client.get(world.url(thread_id))
        return thread_id, page.status_code, page.text

    failures: list[str] = []
    unreadable: list[str] = []
    shown = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        for thread_id, status, text in pool.map(open_thread, list(inserted)):
            names = [name for _, name, _ in inserted[thread_id]]
            if status != 200:
                failures.append(f"{names}: HTTP {status}")
                continue
            bodies = _bodies(text)
            for message_id, name, readable in inserted[thread_id]:
                if message_id not in bodies:
                    failures.append(f"{name}: message missing from the page")
                elif readable and not bodies[message_id].strip():
                    unreadable.append(name)
                elif readable:
                    shown += 1
    assert not failures, failures
    assert not unreadable, unreadable
    assert shown > 400  # the oracle finds about 460 messages with a readable body


def test_ten_megabyte_body_says_it_is_too_large_to_show_here(world: World) -> None:
    """A 10 MB body is past the sanitising budget: the page still answers 200, with the other
    parts of the thread, and says plainly that this body is too large to show here instead of
    sending megabytes of text to the browser."""
    line = "All work and no play makes a long message. " * 2 + "\n"
    text = line * (10 * 1024 * 1024 // len(line))
    raw, _ = mail(f"Pat <{PAT}>", f"Ben <{BEN}>, {ANCHOR}", "The long one", text)
    assert len(raw) > 10 * 1024 * 1024
    created = world.stack.emulator.insert(BEN, raw)
    page = world.ben.get(world.url(created["threadId"]), timeout=120)
    assert page.status_code == 200
    assert "This message is too large to show here." in page.text
    assert "All work and no play" not in page.text
    assert len(page.content) < 1024 * 1024
