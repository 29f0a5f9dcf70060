"""Mail content held in process memory, bounded, short-lived and checked against Gmail.

docs/behaviour.md, "Privacy", allows message content to be held only in process memory,
bounded in size, for a short time, keyed by mailbox and used only while Gmail answers the same
history id. `ContentCache` is that cache, shared by the record panel and the thread view: a
`cachetools.TTLCache` whose size is counted in (estimated) bytes, so memory stays under
`GPANEL_CACHE_MAX_BYTES` whatever the traffic, and whose entries expire after
`GPANEL_CACHE_TTL_SECONDS`. Every entry remembers the mailbox's history id at the time its content
was read; `get(key, history_id)` hands it back only when the caller has just seen the same history
id from Gmail (one `getProfile`, 1 quota unit), so a change in Gmail shows on the next view. Keys
are tuples that start with the mailbox id (`(mailbox_id, "thread", thread_id)`), so a disconnected
mailbox can be forgotten at once. Nothing here is ever written anywhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache

CacheKey = tuple[Hashable, ...]

# Python objects cost more than their text; the factor keeps the bound honest for the dicts
# and strings of Gmail's JSON (measured roughly: a parsed thread takes 2-3x its JSON size).
_OVERHEAD = 3
_MAX_WALK = 200_000  # nodes visited when estimating; beyond it the estimate is cut short


@dataclass(frozen=True, slots=True)
class Entry:
    history_id: str
    value: Any
    size: int
    # Mailboxes whose mail the value holds beyond the key's own (a whole panel view spans
    # several), so that forgetting one mailbox forgets it too.
    mailboxes: frozenset[int] = frozenset()


def estimate_size(value: Any) -> int:
    """A rough byte size of JSON-like data (dicts, lists, strings, numbers), iteratively."""
    total = 0
    stack = [value]
    visited = 0
    while stack and visited < _MAX_WALK:
        item = stack.pop()
        visited += 1
        if isinstance(item, str | bytes):
            total += len(item) + 50
        elif isinstance(item, Mapping):
            total += 64
            for key, child in item.items():
                stack.append(key)
                stack.append(child)
        elif isinstance(item, list | tuple):
            total += 56 + 8 * len(item)
            stack.extend(item)
        else:
            total += 32
    return total * _OVERHEAD


class ContentCache:
    """A byte-bounded TTL cache of mail content, validated by the mailbox's history id."""

    def __init__(
        self, max_bytes: int, ttl_seconds: float, *, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_bytes = max_bytes
        self._entries: TTLCache[CacheKey, Entry] = TTLCache(
            maxsize=max(1, max_bytes), ttl=ttl_seconds, timer=timer, getsizeof=_entry_size
        )

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes_used(self) -> int:
        return int(self._entries.currsize)

    def peek(self, key: CacheKey) -> Entry | None:
        """The live entry for `key` whatever its history id (to decide whether to ask Gmail)."""
        return self._entries.get(key)

    def get(self, key: CacheKey, history_id: str) -> Any | None:
        """The cached value if it was read at exactly `history_id`; a stale entry is dropped."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.history_id != history_id:
            self._entries.pop(key, None)
            return None
        return entry.value

    def put(
        self,
        key: CacheKey,
        value: Any,
        history_id: str,
        size: int | None = None,
        *,
        mailboxes: frozenset[int] = frozenset(),
    ) -> None:
        """Keep `value`, read when the mailbox was at `history_id` (`mailboxes`: further
        mailboxes whose mail it holds). A value larger than the whole cache is not kept (and a
        cache of size 0 keeps nothing)."""
        if self.max_bytes <= 0 or not history_id:
            return
        size = size if size is not None else estimate_size(value)
        entry = Entry(history_id, value, size, mailboxes)
        if entry.size > self.max_bytes:
            self._entries.pop(key, None)
            return
        self._entries[key] = entry

    def discard(self, key: CacheKey) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Drop everything (the benchmarks measure cold views this way)."""
        self._entries.clear()

    def forget_mailbox(self, mailbox_id: int) -> None:
        """Drop everything read from one mailbox (disconnect, or a change we caused)."""
        gone = [
            k
            for k, entry in list(self._entries.items())
            if (k and k[0] == mailbox_id) or mailbox_id in entry.mailboxes
        ]
        for key in gone:
            self._entries.pop(key, None)


def _entry_size(entry: Entry) -> int:
    return max(1, entry.size)
