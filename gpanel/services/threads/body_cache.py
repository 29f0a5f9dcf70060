"""Sanitised message bodies: made off the event loop, once per message version, kept in memory.

Sanitising a heavy HTML body is pure-Python work (tinycss2 parses every style attribute and
block; nh3 alone takes milliseconds), so on the event loop one hostile thread stalled every
other request of the process, and a thread pool would not help: the work holds the GIL. So
`BodyRenderer` runs `mail.template.make_template` in a small pool of worker processes (spawned,
not forked: the parent has threads and open sockets), each body under a size and a time budget
(past them the template is `over_budget` and the view says "too large to show here"), and keeps
the viewer-independent templates in an LRU cache bounded in bytes, keyed by
(mailbox id, message id, history id): docs/behaviour.md, "Privacy", allows content only in
process memory, bounded in size, for a short time, keyed by mailbox and checked against Gmail's
history id.
Entries also expire after the content cache's TTL. Concurrent requests for one body share one
job. Nothing here is written anywhere; `forget_mailbox` drops a disconnected mailbox's entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import secrets
from concurrent.futures import ProcessPoolExecutor

from cachetools import TTLCache

from gpanel.mail.template import BodyTemplate, make_template

BodyKey = tuple[int, str, str]  # (mailbox id, message id, history id)

MAX_BODY_CHARS = 1536 * 1024  # sanitising budget: longer bodies are not shown in the frame
MAX_BODY_SECONDS = 3.0  # time budget per body inside the worker
# One core stays with the web process; the workers also run at a lower priority, so a hostile
# body competes with other bodies, never with other requests.
WORKERS = max(1, min(2, (os.cpu_count() or 2) - 1))
WORKER_NICENESS = 10
# Beyond this wait (a wedged pool, not a slow body) the view gives up for this request only.
_WAIT_SECONDS = 60.0


def _sanitise(source: str, nonce: str, max_chars: int, max_seconds: float) -> BodyTemplate:
    """The worker's job (module level, so the pool can pickle a reference to it)."""
    return make_template(source, nonce, max_chars=max_chars, max_seconds=max_seconds)


def _lower_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


def _template_size(template: BodyTemplate) -> int:
    return template.size


class BodyRenderer:
    """The process's sanitising pool and its cache of body templates."""

    def __init__(
        self,
        max_bytes: int,
        ttl_seconds: float,
        *,
        workers: int = WORKERS,
        max_chars: int = MAX_BODY_CHARS,
        max_seconds: float = MAX_BODY_SECONDS,
    ) -> None:
        self.nonce = secrets.token_hex(16)
        self.max_chars = max_chars
        self.max_seconds = max_seconds
        self._cache: TTLCache[BodyKey, BodyTemplate] = TTLCache(
            maxsize=max(1, max_bytes), ttl=ttl_seconds, getsizeof=_template_size
        )
        self._pending: dict[BodyKey, asyncio.Future[BodyTemplate]] = {}
        # Workers start on the first job, not here; "spawn" so a child inherits no sockets,
        # threads or event loop of the web process.
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_lower_priority,
        )
        self.jobs = 0  # bodies sanitised (a counter for tests and the benchmark)

    async def template(self, key: BodyKey, source: str) -> BodyTemplate:
        """The template for one message version, from the cache or made by a worker."""
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._make(key, source))
            self._pending[key] = pending
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(pending)

    async def _make(self, key: BodyKey, source: str) -> BodyTemplate:
        if len(source) > self.max_chars:  # no need to ship it to a worker to know
            template = BodyTemplate("", (), over_budget=True)
        else:
            loop = asyncio.get_running_loop()
            job = loop.run_in_executor(
                self._pool, _sanitise, source, self.nonce, self.max_chars, self.max_seconds
            )
            self.jobs += 1
            try:
                template = await asyncio.wait_for(job, _WAIT_SECONDS)
            except TimeoutError:
                return BodyTemplate("", (), over_budget=True)  # not cached: try again later
        if template.size <= self._cache.maxsize:
            self._cache[key] = template
        return template

    def forget_mailbox(self, mailbox_id: int) -> None:
        for key in [k for k in list(self._cache.keys()) if k[0] == mailbox_id]:
            self._cache.pop(key, None)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
