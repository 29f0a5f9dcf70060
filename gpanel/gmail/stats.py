"""Counters of what gpanel asked of Gmail, per mailbox: the numbers benchmarks report.

`CallStats` is filled by the client as requests go out. Per mailbox it counts HTTP requests,
Gmail method calls (each batch part is one call), quota units charged, retries, token
refreshes, errors by type, the peak of in-flight slots (a batch holds several), and
*sequential round trips*: a request that starts while no other request of the same mailbox
is in flight opens a new round trip, so parallel chunks of one batch fetch count once and a
list-then-batch view counts two. `snapshot()` freezes the counters; `a.diff(b)` is what
happened in between.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from types import MappingProxyType


@dataclass(frozen=True)
class MailboxCounters:
    requests: int = 0
    round_trips: int = 0
    calls: int = 0
    units: int = 0
    retries: int = 0
    refreshes: int = 0
    batches: int = 0
    peak_inflight: int = 0
    errors: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))
    methods: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def minus(self, earlier: MailboxCounters) -> MailboxCounters:
        """What was counted since `earlier` (the peak is kept as is: it is not additive)."""
        errors = Counter(self.errors)
        errors.subtract(earlier.errors)
        methods = Counter(self.methods)
        methods.subtract(earlier.methods)
        return MailboxCounters(
            requests=self.requests - earlier.requests,
            round_trips=self.round_trips - earlier.round_trips,
            calls=self.calls - earlier.calls,
            units=self.units - earlier.units,
            retries=self.retries - earlier.retries,
            refreshes=self.refreshes - earlier.refreshes,
            batches=self.batches - earlier.batches,
            peak_inflight=self.peak_inflight,
            errors=MappingProxyType({k: v for k, v in errors.items() if v}),
            methods=MappingProxyType({k: v for k, v in methods.items() if v}),
        )


@dataclass(frozen=True)
class StatsSnapshot:
    mailboxes: MappingProxyType[str, MailboxCounters]

    def get(self, mailbox: str) -> MailboxCounters:
        return self.mailboxes.get(mailbox, MailboxCounters())

    def total(self) -> MailboxCounters:
        out = MailboxCounters()
        errors: Counter[str] = Counter()
        methods: Counter[str] = Counter()
        for c in self.mailboxes.values():
            out = replace(
                out,
                requests=out.requests + c.requests,
                round_trips=out.round_trips + c.round_trips,
                calls=out.calls + c.calls,
                units=out.units + c.units,
                retries=out.retries + c.retries,
                refreshes=out.refreshes + c.refreshes,
                batches=out.batches + c.batches,
                peak_inflight=max(out.peak_inflight, c.peak_inflight),
            )
            errors.update(c.errors)
            methods.update(c.methods)
        return replace(
            out, errors=MappingProxyType(dict(errors)), methods=MappingProxyType(dict(methods))
        )

    def diff(self, later: StatsSnapshot) -> StatsSnapshot:
        """What happened between this snapshot and `later`."""
        return StatsSnapshot(
            MappingProxyType({k: c.minus(self.get(k)) for k, c in later.mailboxes.items()})
        )


class _Live:
    """Mutable counters of one mailbox; only `CallStats` touches them."""

    def __init__(self) -> None:
        self.requests = self.round_trips = self.calls = self.units = 0
        self.retries = self.refreshes = self.batches = 0
        self.inflight = self.peak_inflight = 0
        self.errors: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()

    def freeze(self) -> MailboxCounters:
        return MailboxCounters(
            requests=self.requests,
            round_trips=self.round_trips,
            calls=self.calls,
            units=self.units,
            retries=self.retries,
            refreshes=self.refreshes,
            batches=self.batches,
            peak_inflight=self.peak_inflight,
            errors=MappingProxyType(dict(self.errors)),
            methods=MappingProxyType(dict(self.methods)),
        )


class CallStats:
    """Live counters for every mailbox a `GmailClient` has spoken for."""

    def __init__(self) -> None:
        self._by_mailbox: dict[str, _Live] = {}

    def _live(self, mailbox: str) -> _Live:
        live = self._by_mailbox.get(mailbox)
        if live is None:
            live = self._by_mailbox[mailbox] = _Live()
        return live

    # The client calls these; they are synchronous so no await can split an update.
    def request_started(
        self,
        mailbox: str,
        methods: list[str],
        units: int,
        *,
        batch: bool = False,
        slots: int = 1,
    ) -> None:
        live = self._live(mailbox)
        if live.inflight == 0:
            live.round_trips += 1
        live.inflight += slots
        live.peak_inflight = max(live.peak_inflight, live.inflight)
        live.requests += 1
        live.calls += len(methods)
        live.units += units
        live.methods.update(methods)
        if batch:
            live.batches += 1

    def request_finished(self, mailbox: str, *, slots: int = 1) -> None:
        self._live(mailbox).inflight -= slots

    def retried(self, mailbox: str) -> None:
        self._live(mailbox).retries += 1

    def refreshed(self, mailbox: str) -> None:
        self._live(mailbox).refreshes += 1

    def failed(self, mailbox: str, error: Exception) -> None:
        self._live(mailbox).errors[type(error).__name__] += 1

    def snapshot(self) -> StatsSnapshot:
        return StatsSnapshot(MappingProxyType({k: v.freeze() for k, v in self._by_mailbox.items()}))
