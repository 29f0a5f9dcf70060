"""Reading one mailbox's share of a record panel from Gmail, through the content cache.

The panel's Gmail traffic lives here, shaped by quota (docs/gmail-facts.md, "Quota", 2026 regime:
getProfile 1 unit, threads.list 10, labels.list 1, threads.get 40):

- **Validator.** `history_id()` asks `users.getProfile` (1 unit) for the mailbox's current
  historyId. Concurrent viewers of one mailbox share one call (single flight).
- **Listing** (`threads.list`, 10 units a query) is cached per (mailbox, query, page token)
  together with the historyId it was read at, and reused only while Gmail still answers that
  historyId: a warm view costs exactly one getProfile per mailbox; any change in Gmail
  (new mail, a label, read state) moves the historyId and the next view lists again.
- **Thread metadata** (`threads.get(format=metadata)`, 40 units each) is cached per thread and
  validated by the thread's own historyId, which each `threads.list` entry carries. After a
  change, only the threads whose historyId moved are fetched again, all in one batch request.
- **Label names** (`labels.list`, 1 unit) are cached per mailbox by the mailbox historyId.

Cold, the profile, the listing and the labels go out together (one round trip) and the
metadata of every listed thread follows in one batch (the second); nothing is sequential
across mailboxes (the caller gathers them). Everything cached is held by
`content_cache.ContentCache` (process memory, byte-bounded, TTL, keyed by mailbox id): raw
metadata at full detail, redacted per viewer only when a view is built.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gpanel.gmail import GmailError, MailboxClient, NotFound, SingleFlight
from gpanel.services.panel.content_cache import ContentCache, estimate_size
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


class PanelFetcher:
    """The process's panel reader: one per `AppContext` (`ctx.panel`), sharing its cache."""

    def __init__(self, cache: ContentCache) -> None:
        self.cache = cache
        self._profiles: SingleFlight[str] = SingleFlight()
        self._reads: SingleFlight[MailboxRead] = SingleFlight()

    async def history_id(self, client: MailboxClient) -> str:
        async def ask() -> str:
            return str((await client.profile()).get("historyId", ""))

        return await self._profiles.run(client.key, ask)

    async def read(
        self,
        client: MailboxClient,
        mailbox_id: int,
        queries: Sequence[str],
        tokens: Sequence[str | None],
        *,
        page_size: int,
        include_spam_trash: bool = False,
    ) -> MailboxRead:
        """The listed threads of `queries` (each at its page token) with their metadata.

        Viewers asking for the same pages of the same mailbox at the same time share one read.
        """
        key = repr((mailbox_id, tuple(queries), tuple(tokens), page_size, include_spam_trash))

        async def go() -> MailboxRead:
            return await self._read(
                client, mailbox_id, queries, tokens, page_size, include_spam_trash
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
    ) -> MailboxRead:
        keys = [
            self._list_key(mailbox_id, q, t, page_size, spam)
            for q, t in zip(queries, tokens, strict=True)
        ]
        labels_key = (mailbox_id, "panel-labels")
        cold = any(self.cache.peek(k) is None for k in keys)
        if cold:
            # Nothing to validate: ask for the validator, the listings and the labels at once
            # (one round trip), instead of paying a round trip for a profile first.
            history, listings, labels = await asyncio.gather(
                self.history_id(client),
                self._list_all(client, queries, tokens, page_size, spam),
                self._labels(client),
            )
            racing = True
        else:
            history = await self.history_id(client)
            cached = [self.cache.get(k, history) for k in keys]
            labels_cached = self.cache.get(labels_key, history)
            if all(isinstance(c, Listing) for c in cached) and isinstance(labels_cached, dict):
                listings = [c for c in cached if isinstance(c, Listing)]
                labels = labels_cached
            else:
                listings, labels = await asyncio.gather(
                    self._list_all(client, queries, tokens, page_size, spam),
                    self._labels(client),
                )
            racing = False
        threads, failed = await self._threads(client, mailbox_id, listings)
        # In the cold path the profile ran beside the listing, so Gmail may have answered the
        # profile after a change the listing missed. A listed thread whose historyId moved
        # between the listing and the batch proves such a change: then keep nothing keyed by
        # this historyId, and the next view lists again.
        moved = any(
            tid in threads and threads[tid].history_id != hid
            for listing in listings
            for tid, hid in listing.threads
        )
        if history and not (racing and moved):
            for k, listing in zip(keys, listings, strict=True):
                self.cache.put(k, listing, history, size=estimate_size(listing.threads) + 200)
            self.cache.put(labels_key, labels, history)
        return MailboxRead(
            history_id=history,
            threads=threads,
            labels=labels,
            next_tokens=tuple(listing.next_token for listing in listings),
            failed=failed,
        )

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
        self, client: MailboxClient, mailbox_id: int, listings: Sequence[Listing]
    ) -> tuple[dict[str, ThreadMeta], int]:
        wanted: dict[str, str] = {}
        for listing in listings:
            for tid, hid in listing.threads:
                wanted.setdefault(tid, hid)
        found: dict[str, ThreadMeta] = {}
        missing: list[str] = []
        for tid, hid in wanted.items():
            hit = self.cache.get((mailbox_id, "panel-thread", tid), hid) if hid else None
            if isinstance(hit, ThreadMeta):
                found[tid] = hit
            else:
                missing.append(tid)
        failed = 0
        if missing:
            answers = await client.batch_get_threads(
                missing, format="metadata", metadata_headers=METADATA_HEADERS
            )
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
