"""`MagnetHub`: the per-process fan-out of "this mailbox changed" to the streams waiting on it.

One hub per `AppContext` (`ctx.magnet_hub`). A MailMagnet run that stored hits (or paused a
mailbox) publishes the mailbox id; every server-sent-event stream subscribed to that mailbox
wakes and re-reads its count from the database. `events` carries the same signal across
processes over PostgreSQL's NOTIFY/LISTEN.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator


class MagnetHub:
    """Per-process fan-out of mailbox ids to the streams waiting on them."""

    def __init__(self) -> None:
        self._waiting: dict[int, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def subscribe(self, mailbox_id: int) -> Iterator[asyncio.Event]:
        """An event set whenever the mailbox changes; the subscriber clears it after reading."""
        event = asyncio.Event()
        self._waiting.setdefault(mailbox_id, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._waiting.get(mailbox_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiting[mailbox_id]

    @contextlib.contextmanager
    def subscribe_many(self, mailbox_ids: Iterable[int]) -> Iterator[asyncio.Event]:
        """One event set whenever any of the mailboxes changes (an open record page watches
        every mailbox it shows)."""
        event = asyncio.Event()
        ids = set(mailbox_ids)
        for mailbox_id in ids:
            self._waiting.setdefault(mailbox_id, set()).add(event)
        try:
            yield event
        finally:
            for mailbox_id in ids:
                waiting = self._waiting.get(mailbox_id)
                if waiting is not None:
                    waiting.discard(event)
                    if not waiting:
                        del self._waiting[mailbox_id]

    def publish(self, mailbox_id: int) -> None:
        for event in self._waiting.get(mailbox_id, ()):
            event.set()

    def subscribers(self, mailbox_id: int) -> int:
        return len(self._waiting.get(mailbox_id, ()))
