"""Whole record-panel views kept between requests, served again only while nothing they were
built from has moved.

A view is a function of two states: Gmail's, for each mailbox read (validated by its
historyId, one `getProfile` each, shared by concurrent viewers), and gpanel's own rows, from
access to CRM names (validated by the change stamp, `gpanel.store.stamps`, one query shared the
same way). The one exception is MailMagnet's "New" badge, which changes with every customer
message and every opening: it is read again for every view (`with_badges`, one query, for the
viewer's own rows only, as the badge is the owner's), so that it does not move the stamp all
day. A warm view whose validators all read the same is therefore the view already built:
handed back without the gate's dozen queries, the judging, the de-duplication or the building of
its rows. That is what lets a team click through records all day on two cores
(docs/BENCHMARKS.md, "gpanel's own CPU per warm view").

Order matters for safety: the stamp is read before the view's first query, so a write that
commits while a view is being built moves the stamp past the one the view is kept under, and it
is never served. Only a view whose every mailbox answered in full is kept (no partial read, no
Gmail error); the reconnect notices of the gate are part of the view, being database state. The
views live in the content cache (`ContentCache`): process memory only, inside the same byte
bound and TTL as every other piece of mail held, and forgotten with any of their mailboxes.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.gmail import GmailError, SingleFlight
from gpanel.services.panel import inputs as panel_store
from gpanel.services.panel.content_cache import ContentCache
from gpanel.services.panel.fetch import MailboxRead
from gpanel.store import stamps

if TYPE_CHECKING:
    from gpanel.services.panel.view import PanelView

_ROW_BYTES = 1500  # a row's subject, snippet, people and labels, as Python objects
# Tables every view reads afresh, kept or not: outside the change stamp (`stamps.VIEW_TABLES`).
READ_EVERY_VIEW = frozenset({"magnet_hits"})


@dataclass(frozen=True, slots=True)
class Held:
    stamp: int
    validators: tuple[tuple[int, str], ...]  # (mailbox id, historyId it was read at)
    view: PanelView


class ViewCache:
    """The process's kept panel views (`ctx.views`), in the shared content cache."""

    def __init__(self, cache: ContentCache, engine: AsyncEngine) -> None:
        self.cache = cache
        self.engine = engine
        self._stamp: SingleFlight[int] = SingleFlight()
        self._badges: SingleFlight[frozenset[tuple[int, str]]] = SingleFlight()

    async def stamp(self) -> int:
        """The change stamp now. Viewers arriving while it is being read share the read."""

        async def read() -> int:
            async with self.engine.connect() as conn:
                stamp, logged = await stamps.read(conn)
            if logged > stamps.COMPACT_AT:
                async with self.engine.begin() as conn:
                    await stamps.compact(conn)
            return stamp

        return await self._stamp.run("stamp", read)

    async def lookup(
        self, key: Hashable, stamp: int, history_id: Callable[[int], Awaitable[str]]
    ) -> tuple[PanelView | None, dict[int, str]]:
        """(the kept view for `key`, if every validator still reads the same; the historyIds
        asked on the way, so that a miss does not ask Gmail twice)."""
        entry = self.cache.peek(_key(key))
        held = entry.value if entry is not None else None
        if not isinstance(held, Held) or held.stamp != stamp:
            return None, {}
        answers = await asyncio.gather(
            *(history_id(m) for m, _ in held.validators), return_exceptions=True
        )
        known: dict[int, str] = {}
        for (mailbox_id, _), answer in zip(held.validators, answers, strict=True):
            if isinstance(answer, str):
                known[mailbox_id] = answer
            elif not isinstance(answer, GmailError):
                raise answer  # a bug, not Gmail: let it show
        if all(known.get(m) == h for m, h in held.validators):
            return await self.with_badges(_copy(held.view)), known
        self.cache.discard(_key(key))
        return None, known

    def keep(
        self,
        key: Hashable,
        stamp: int,
        view: PanelView,
        reads: Mapping[int, MailboxRead | Exception],
    ) -> None:
        """Keep `view`, built under `stamp` from `reads`, if every mailbox answered in full."""
        settled = {m: r for m, r in reads.items() if isinstance(r, MailboxRead) and r.settled}
        if len(settled) != len(reads):
            return
        validators = tuple((m, r.history_id) for m, r in sorted(settled.items()))
        self.cache.put(
            _key(key),
            Held(stamp, validators, _copy(view)),
            f"stamp:{stamp}",
            size=_ROW_BYTES * len(view.rows) + 500,
            mailboxes=frozenset(reads),
        )

    async def with_badges(self, view: PanelView) -> PanelView:
        """`view` with each of the viewer's own rows' "New" badge as MailMagnet has it now."""
        mine = sorted((r.mailbox_id, r.thread_id) for r in view.rows if r.mine)
        if not mine:
            return view

        async def read() -> frozenset[tuple[int, str]]:
            async with self.engine.connect() as conn:
                return await panel_store.unopened_hits(conn, mine)

        # Concurrent views of the same rows (one viewer's tabs, a burst) share the query.
        unopened = await self._badges.run(repr(mine), read)
        view.rows = [
            dataclasses.replace(r, new=(r.mailbox_id, r.thread_id) in unopened)
            if r.mine and r.new != ((r.mailbox_id, r.thread_id) in unopened)
            else r
            for r in view.rows
        ]
        return view


def _key(key: Hashable) -> tuple[Any, ...]:
    return ("panel-view", key)


def _copy(view: PanelView) -> PanelView:
    """A view of its own for each caller (rows are frozen; the lists are not)."""
    return dataclasses.replace(
        view,
        rows=list(view.rows),
        notices=list(view.notices),
        searched=list(view.searched),
        loading=[],
    )
