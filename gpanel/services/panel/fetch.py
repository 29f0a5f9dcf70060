"""Reading one mailbox's share of a record panel from Gmail, through the content cache.

The panel's Gmail traffic lives here, shaped by quota (docs/gmail-facts.md, "Quota", 2026 regime:
getProfile 1 unit, threads.list 10, labels.list 1, threads.get 40):

- **Validator.** `history_id()` asks `users.getProfile` (1 unit) for the mailbox's current
  historyId. Concurrent viewers of one mailbox share one call (single flight), and an answer
  is reused for `window` seconds (`GPANEL_PANEL_VALIDATOR_WINDOW_MS`, 1 s by default; 0 asks
  on every view), but never across a write gpanel made to the mailbox: a rep who replies,
  archives or labels sees it at once. A team clicking through records then pays one getProfile
  per mailbox a second, not one per view.
- **Listing** (`threads.list`, 10 units a query) is cached per (mailbox, query, page token)
  together with the historyId it was read at, and reused only while Gmail still answers that
  historyId: a warm view costs exactly one getProfile per mailbox; any change in Gmail
  (new mail, a label, read state) moves the historyId and the next view lists again.
- **Thread metadata** (`threads.get(format=metadata)`, 40 units each) is cached per thread and
  validated by the thread's own historyId, which each `threads.list` entry carries. After a
  change, only the threads whose historyId moved are fetched again, all in one batch request.
- **Label names** (`labels.list`, 1 unit) are cached per mailbox by the mailbox historyId.
- **The plan** (`plan.py`): when the caller passes a partial `Plan` (the cheaper one in the
  configured regime), a `messages.list` of the same queries and the guard searches go out with
  the listing, and a row is read as its newest message with the record (`messages.get`, 20
  units in 2026) instead of the whole thread (`threads.get`, 40); guarded rows stay whole.
  The per-row cache entry is still validated by the thread's historyId.

Cold, the profile, the listing and the labels go out together (one round trip) and the
metadata of every listed thread follows in one batch (the second); nothing is sequential
across mailboxes (the caller gathers them). Everything cached is held by
`content_cache.ContentCache` (process memory, byte-bounded, TTL, keyed by mailbox id): raw
metadata at full detail, redacted per viewer only when a view is built.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gpanel.gmail import GmailError, MailboxClient, NotFound, SingleFlight
from gpanel.mail.headers import read_headers
from gpanel.services.panel.content_cache import ContentCache, estimate_size
from gpanel.services.panel.plan import Guards, Matches, Plan, list_matches
from gpanel.services.panel.rules import ThreadMeta, thread_meta

METADATA_HEADERS = ("From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID")


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of `threads.list`: (thread id, thread historyId) newest first, and the token
    of the next page."""

    threads: tuple[tuple[str, str], ...]
    next_token: str | None


@dataclass(frozen=True, slots=True)
class MailboxRead:
    """What one mailbox contributed to a view: threads (by id), label names, next tokens (one
    per query), and how many thread fetches failed (a partial answer)."""

    history_id: str
    threads: dict[str, ThreadMeta]
    labels: dict[str, str]
    next_tokens: tuple[str | None, ...]
    failed: int = 0
    # Kept in the cache, whole and validated: a view built from such reads only may be kept
    # too (`view_cache`).
    settled: bool = False
    # Verdicts on these threads by the viewer's rule inputs (`view._judged`): a read kept in
    # the cache serves many warm views, and the same inputs judge the same threads the same
    # way. Ids and verdicts only, no content.
    verdicts: dict[Any, dict[str, Any]] = field(default_factory=dict)


class PanelFetcher:
    """The process's panel reader: one per `AppContext` (`ctx.panel`), sharing its cache."""

    def __init__(self, cache: ContentCache, *, window: float = 0.0) -> None:
        self.cache = cache
        self.window = window
        self._profiles: SingleFlight[str] = SingleFlight()
        self._reads: SingleFlight[MailboxRead] = SingleFlight()
        self._answered: dict[str, tuple[float, str]] = {}  # key -> (asked at, historyId)

    async def history_id(self, client: MailboxClient) -> str:
        """The mailbox's historyId: asked now, or answered to a request that started within
        `window` seconds and after gpanel's last write to the mailbox."""
        now = time.monotonic()
        seen = self._answered.get(client.key)
        if seen is not None and now - seen[0] <= self.window and seen[0] > client.last_write():
            return seen[1]

        async def ask() -> str:
            started = time.monotonic()
            answer = str((await client.profile()).get("historyId", ""))
            if self.window > 0 and answer:
                self._answered[client.key] = (started, answer)
            return answer

        return await self._profiles.run(client.key, ask)

    def forget_history(self, key: str) -> None:
        """Ask Gmail on the next view (a push said the mailbox moved)."""
        self._answered.pop(key, None)

    async def read(
        self,
        client: MailboxClient,
        mailbox_id: int,
        queries: Sequence[str],
        tokens: Sequence[str | None],
        *,
        page_size: int,
        include_spam_trash: bool = False,
        plan: Plan | None = None,
        guards: Guards = Guards(),
        history: str | None = None,
    ) -> MailboxRead:
        """The listed threads of `queries` (each at its page token) with their metadata:
        whole threads, or with a partial `plan` each row's newest message with the record
        (threads a guard flags stay whole). `history`: the mailbox's historyId, when the
        caller has just asked Gmail for it (then it is not asked again).

        Viewers asking for the same pages of the same mailbox at the same time share one read.
        """
        partial = plan is not None and plan.partial
        key = repr(
            (mailbox_id, tuple(queries), tuple(tokens), page_size, include_spam_trash)
            + ((guards,) if partial else ())
        )

        async def go() -> MailboxRead:
            return await self._read(
                client,
                mailbox_id,
                queries,
                tokens,
                page_size,
                include_spam_trash,
                guards if partial else None,
                history,
            )

        return await self._reads.run(key, go)

    # --- the read itself -----------------------------------------------------------------
    def _list_key(
        self, mailbox_id: int, query: str, token: str | None, size: int, spam: bool
    ) -> tuple[Any, ...]:
        return (mailbox_id, "panel-list", query, token or "", size, spam)

    async def _read(
        self,
        client: MailboxClient,
        mailbox_id: int,
        queries: Sequence[str],
        tokens: Sequence[str | None],
        page_size: int,
        spam: bool,
        guards: Guards | None,
        known: str | None = None,
    ) -> MailboxRead:
        keys = [
            self._list_key(mailbox_id, q, t, page_size, spam)
            for q, t in zip(queries, tokens, strict=True)
        ]
        labels_key = (mailbox_id, "panel-labels")
        match_key = (mailbox_id, "panel-matches", tuple(queries), guards, spam)
        if guards is not None:
            keys.append(match_key)

        async def matches() -> Matches | None:
            if guards is None:
                return None
            return await list_matches(client, queries, guards, spam)

        # The whole answer of this read, kept beside its parts: a warm view whose mailbox did
        # not move is one getProfile and this one look-up (no per-thread work at all).
        read_key = (mailbox_id, "panel-read", *keys)
        cold = any(self.cache.peek(k) is None for k in keys)
        history = known or ""

        async def validator() -> str:
            return known or await self.history_id(client)

        if not cold and self.cache.peek(read_key) is not None:
            history = await validator()
            whole_read = self.cache.get(read_key, history)
            if isinstance(whole_read, MailboxRead):
                return whole_read
        if cold:
            # Nothing to validate: ask for the validator, the listings and the labels at once
            # (one round trip), instead of paying a round trip for a profile first.
            history, listings, labels, found = await asyncio.gather(
                validator(),
                self._list_all(client, queries, tokens, page_size, spam),
                self._labels(client),
                matches(),
            )
            # A historyId asked before the listing is no race: what is listed is at least as
            # new, and a later change moves it past the one kept.
            racing = known is None
            fresh = True
        else:
            history = history or await validator()
            cached = [self.cache.get(k, history) for k in keys[: len(queries)]]
            labels_cached = self.cache.get(labels_key, history)
            found = self.cache.get(match_key, history) if guards is not None else None
            if (
                all(isinstance(c, Listing) for c in cached)
                and isinstance(labels_cached, dict)
                and (guards is None or isinstance(found, Matches))
            ):
                listings = [c for c in cached if isinstance(c, Listing)]
                labels = labels_cached
                fresh = False  # all served from the cache: nothing to keep again
            else:
                fresh = True
                listings, labels, found = await asyncio.gather(
                    self._list_all(client, queries, tokens, page_size, spam),
                    self._labels(client),
                    matches(),
                )
            racing = False
        threads, failed = await self._threads(client, mailbox_id, listings, found, queries)
        # In the cold path the profile ran beside the listing, so Gmail may have answered the
        # profile after a change the listing missed. A listed thread whose historyId moved
        # between the listing and the batch proves such a change: then keep nothing keyed by
        # this historyId, and the next view lists again.
        moved = any(
            tid in threads and threads[tid].history_id != hid
            for listing in listings
            for tid, hid in listing.threads
        )
        if fresh and history and not (racing and moved):
            for k, listing in zip(keys, listings, strict=False):
                self.cache.put(k, listing, history, size=estimate_size(listing.threads) + 200)
            self.cache.put(labels_key, labels, history)
            if isinstance(found, Matches):
                size = 64 * (len(found.by_thread) + len(found.flagged)) + 200
                self.cache.put(match_key, found, history, size=size)
        settled = bool(history) and not failed and not (racing and moved)
        read = MailboxRead(
            history_id=history,
            threads=threads,
            labels=labels,
            next_tokens=tuple(listing.next_token for listing in listings),
            failed=failed,
            settled=settled,
        )
        if settled:
            # Its threads are counted again (they are shared with the per-thread entries), so
            # the byte bound over-counts rather than under-counts.
            self.cache.put(read_key, read, history, size=1500 * len(threads) + 200)
        return read

    async def _list_all(
        self,
        client: MailboxClient,
        queries: Sequence[str],
        tokens: Sequence[str | None],
        page_size: int,
        spam: bool,
    ) -> list[Listing]:
        async def one(query: str, token: str | None) -> Listing:
            body = await client.list_threads(
                query, page_token=token, max_results=page_size, include_spam_trash=spam
            )
            threads = body.get("threads")
            found = tuple(
                (str(t.get("id", "")), str(t.get("historyId", "")))
                for t in (threads if isinstance(threads, list) else [])
                if isinstance(t, Mapping) and t.get("id")
            )
            token_out = body.get("nextPageToken")
            return Listing(found, str(token_out) if token_out else None)

        pairs = zip(queries, tokens, strict=True)
        return list(await asyncio.gather(*(one(q, t) for q, t in pairs)))

    async def _labels(self, client: MailboxClient) -> dict[str, str]:
        return {
            str(lb.get("id")): str(lb.get("name", lb.get("id")))
            for lb in await client.list_labels()
            if isinstance(lb, Mapping) and lb.get("id")
        }

    async def _threads(
        self,
        client: MailboxClient,
        mailbox_id: int,
        listings: Sequence[Listing],
        matches: Matches | None = None,
        queries: Sequence[str] = (),
    ) -> tuple[dict[str, ThreadMeta], int]:
        wanted: dict[str, str] = {}
        for listing in listings:
            for tid, hid in listing.threads:
                wanted.setdefault(tid, hid)
        found: dict[str, ThreadMeta] = {}
        missing: list[str] = []
        newest: dict[str, str] = {}  # message id -> thread id, rows read by one message
        for tid, hid in wanted.items():
            message_id = matches.newest(tid) if matches is not None else None
            # A row read by one message depends on the record's queries (which message is
            # the record's newest); a whole thread does not.
            row_key = (mailbox_id, "panel-row", tid, *queries)
            key = (mailbox_id, "panel-thread", tid) if message_id is None else row_key
            hit = self.cache.get(key, hid) if hid else None
            if isinstance(hit, ThreadMeta):
                found[tid] = hit
            elif message_id is None:
                missing.append(tid)
            else:
                newest[message_id] = tid
        failed = 0
        whole, rows = await asyncio.gather(
            self._get_threads(client, missing),
            self._get_messages(client, list(newest)),
        )
        for message_id, answer in rows.items():
            tid = newest[message_id]
            if isinstance(answer, NotFound):
                continue  # deleted between the listing and the fetch
            if isinstance(answer, GmailError):
                failed += 1
                continue
            assert matches is not None
            meta = ThreadMeta(
                mailbox_id,
                tid,
                wanted[tid],
                (read_headers(answer),),
                whole=False,
                matched=len(matches.by_thread.get(tid, ())),
            )
            found[tid] = meta
            self.cache.put(
                (mailbox_id, "panel-row", tid, *queries),
                meta,
                meta.history_id,
                size=estimate_size(answer),
            )
        if whole:
            answers = whole
            for tid, answer in answers.items():
                if isinstance(answer, NotFound):
                    continue  # deleted between the listing and the fetch
                if isinstance(answer, GmailError):
                    failed += 1
                    continue
                meta = thread_meta(mailbox_id, answer)
                found[tid] = meta
                self.cache.put(
                    (mailbox_id, "panel-thread", tid),
                    meta,
                    meta.history_id,
                    size=estimate_size(answer),
                )
        return found, failed

    async def _get_threads(
        self, client: MailboxClient, ids: list[str]
    ) -> dict[str, dict[str, Any] | GmailError]:
        if not ids:
            return {}
        return await client.batch_get_threads(
            ids, format="metadata", metadata_headers=METADATA_HEADERS
        )

    async def _get_messages(
        self, client: MailboxClient, ids: list[str]
    ) -> dict[str, dict[str, Any] | GmailError]:
        if not ids:
            return {}
        return await client.batch_get_messages(
            ids, format="metadata", metadata_headers=METADATA_HEADERS
        )

    async def thread(self, client: MailboxClient, mailbox_id: int, thread_id: str) -> ThreadMeta:
        """One thread's metadata, uncached (the "why" look-up asks about one thread)."""
        raw = await client.get_thread(
            thread_id, format="metadata", metadata_headers=METADATA_HEADERS
        )
        return thread_meta(mailbox_id, raw)

    async def label_names(self, client: MailboxClient, mailbox_id: int) -> dict[str, str]:
        """Label id -> name for a mailbox, validated by its historyId (for other views)."""
        history = await self.history_id(client)
        cached = self.cache.get((mailbox_id, "panel-labels"), history)
        if isinstance(cached, dict):
            return cached
        labels = await self._labels(client)
        self.cache.put((mailbox_id, "panel-labels"), labels, history)
        return labels
