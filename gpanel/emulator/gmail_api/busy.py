"""Busy mailbox mode: every mailbox's historyId moves in the background, as a real one does.

A real mailbox changes all day without any mail that matters to gpanel: its owner reads mail,
saves drafts, and receives mail from people in no CRM record (docs/gmail-facts.md, "History and
change tracking"), so "nothing changed" (the same historyId) rarely holds. With
`EmulatorConfig.busy_interval_ms` above 0 (or `PUT /_emulator/busy {"interval_ms"}`), every
mailbox gets one such change per interval, in turn: unrelated mail arrives (INBOX, UNREAD, from
`noise@unrelated.example`), the newest unread message is read (UNREAD removed), a draft is
saved (DRAFT, from the owner). Each is recorded in history like any other change.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging

from gpanel.emulator.state import EmulatorState, Mailbox

log = logging.getLogger(__name__)

NOISE_SENDER = "noise@unrelated.example"
KINDS = ("unrelated", "read", "draft")


class BusyMailboxes:
    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        self._turn = itertools.count()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            interval = self._state.config.busy_interval_ms
            if interval <= 0:
                await asyncio.sleep(0.1)
                continue
            await asyncio.sleep(interval / 1000)
            try:
                self.step()
            except Exception:  # a change the mailbox refuses must not end the mode
                log.exception("busy mailbox step failed")

    def step(self) -> None:
        """One background change in every mailbox."""
        n = next(self._turn)
        with self._state.lock:
            for mailbox in self._state.mailboxes():
                _change(mailbox, KINDS[n % len(KINDS)], n)


def _change(mailbox: Mailbox, kind: str, n: int) -> None:
    if kind == "read":
        unread = [m for m in mailbox.newest_first() if "UNREAD" in m.label_ids]
        if unread:
            mailbox.modify(unread[0].id, (), ("UNREAD",))
            return
        kind = "unrelated"  # nothing left to read: other mail arrives instead
    if kind == "draft":
        raw = f"From: {mailbox.owner}\r\nTo: someone@unrelated.example\r\nSubject: Draft {n}\r\n"
        mailbox.insert_raw((raw + "\r\nStill writing.\r\n").encode(), ["DRAFT"])
        return
    raw = (
        f"From: Newsletter <{NOISE_SENDER}>\r\nTo: {mailbox.owner}\r\nSubject: News {n}\r\n"
        f"Message-ID: <busy{n}.{id(mailbox)}@unrelated.example>\r\n\r\nNothing for the CRM.\r\n"
    )
    mailbox.insert_raw(raw.encode(), ["INBOX", "UNREAD"])
