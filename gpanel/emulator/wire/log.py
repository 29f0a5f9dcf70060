"""The emulator's request log: one entry per Gmail API call and per batch part, never a body.

Tests and benchmarks read it through `GET /_emulator/log` to see what a client really did: which
methods, for which user, at what quota cost, overlapping how (start and end on both the monotonic
and the wall clock), with what status, and whether the call came inside a batch. Only the path is
kept, not the query string, because a search `q` can hold addresses and words from mail.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

# Enough for a long benchmark run; older entries fall off the front.
MAX_ENTRIES = 50_000


@dataclass
class LogEntry:
    seq: int
    method_id: str | None  # None: not a method of the discovery document
    http_method: str
    path: str
    user: str | None  # None: the call carried no valid access token
    quota_cost: int  # units charged; 0 when refused before the backend or unauthenticated
    start_monotonic: float
    start_wall: float
    end_monotonic: float | None = None
    end_wall: float | None = None
    status: int | None = None  # None: the connection was dropped without a response
    batch_part: bool = False
    fault: str | None = None  # the injected fault kind that answered, if any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=max_entries)
        self._seq = itertools.count(1)

    def open(
        self,
        *,
        method_id: str | None,
        http_method: str,
        path: str,
        user: str | None,
        start_monotonic: float,
        start_wall: float,
        batch_part: bool,
    ) -> LogEntry:
        entry = LogEntry(
            seq=next(self._seq),
            method_id=method_id,
            http_method=http_method,
            path=path,
            user=user,
            quota_cost=0,
            start_monotonic=start_monotonic,
            start_wall=start_wall,
            batch_part=batch_part,
        )
        self._entries.append(entry)
        return entry

    def entries(self, user: str | None = None) -> list[LogEntry]:
        if user is None:
            return list(self._entries)
        wanted = user.lower()
        return [e for e in self._entries if e.user is not None and e.user.lower() == wanted]

    def clear(self) -> None:
        self._entries.clear()
