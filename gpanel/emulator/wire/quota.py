"""Gmail's per-user quota: the cost of each method and a rolling 60-second budget per user.

Google publishes a cost in "quota units" for every Gmail method and a per-user budget per minute;
docs/gmail-facts.md, "Quota", lists the two regimes gpanel must live with (`legacy`: 15,000
units/minute, messages.get = 5; `2026`: 6,000 units/minute, messages.get = 20, threads.get = 40).
The `QuotaLedger` keeps, per user, the units charged in the last 60 seconds on the monotonic clock.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

REGIMES = ("legacy", "2026")

BUDGET_PER_MINUTE = {"legacy": 15_000, "2026": 6_000}

# Google's published table (developers.google.com/gmail/api/reference/quota), keyed by the
# discovery method id without the "gmail." prefix.
LEGACY_COSTS: dict[str, int] = {
    "users.drafts.create": 10,
    "users.drafts.delete": 10,
    "users.drafts.get": 5,
    "users.drafts.list": 5,
    "users.drafts.send": 100,
    "users.drafts.update": 15,
    "users.getProfile": 1,
    "users.history.list": 2,
    "users.labels.create": 5,
    "users.labels.delete": 5,
    "users.labels.get": 1,
    "users.labels.list": 1,
    "users.labels.update": 5,
    "users.labels.patch": 5,
    "users.messages.attachments.get": 5,
    "users.messages.batchDelete": 50,
    "users.messages.batchModify": 50,
    "users.messages.delete": 10,
    "users.messages.get": 5,
    "users.messages.import": 25,
    "users.messages.insert": 25,
    "users.messages.list": 5,
    "users.messages.modify": 5,
    "users.messages.send": 100,
    "users.messages.trash": 5,
    "users.messages.untrash": 5,
    "users.settings.delegates.create": 100,
    "users.settings.delegates.delete": 5,
    "users.settings.delegates.get": 1,
    "users.settings.delegates.list": 1,
    "users.settings.filters.create": 5,
    "users.settings.filters.delete": 5,
    "users.settings.filters.get": 1,
    "users.settings.filters.list": 1,
    "users.settings.forwardingAddresses.create": 100,
    "users.settings.forwardingAddresses.delete": 5,
    "users.settings.forwardingAddresses.get": 1,
    "users.settings.forwardingAddresses.list": 1,
    "users.settings.getAutoForwarding": 1,
    "users.settings.getImap": 1,
    "users.settings.getPop": 1,
    "users.settings.getVacation": 1,
    "users.settings.updateAutoForwarding": 5,
    "users.settings.updateImap": 5,
    "users.settings.updatePop": 100,
    "users.settings.updateVacation": 5,
    "users.settings.sendAs.create": 100,
    "users.settings.sendAs.delete": 5,
    "users.settings.sendAs.get": 1,
    "users.settings.sendAs.list": 1,
    "users.settings.sendAs.patch": 100,
    "users.settings.sendAs.update": 100,
    "users.settings.sendAs.verify": 100,
    "users.settings.sendAs.smimeInfo.delete": 5,
    "users.settings.sendAs.smimeInfo.get": 1,
    "users.settings.sendAs.smimeInfo.insert": 5,
    "users.settings.sendAs.smimeInfo.list": 1,
    "users.settings.sendAs.smimeInfo.setDefault": 5,
    "users.stop": 50,
    "users.threads.delete": 20,
    "users.threads.get": 10,
    "users.threads.list": 10,
    "users.threads.modify": 10,
    "users.threads.trash": 10,
    "users.threads.untrash": 10,
    "users.watch": 100,
}

# The 2026 regime only raises the cost of reading content (docs/gmail-facts.md, "Quota"; threads.get
# = 40 is reported by peers, not yet confirmed by Google).
COSTS_2026: dict[str, int] = {
    **LEGACY_COSTS,
    "users.messages.get": 20,
    "users.messages.attachments.get": 20,
    "users.threads.get": 40,
}

_TABLES = {"legacy": LEGACY_COSTS, "2026": COSTS_2026}

WINDOW_SECONDS = 60.0


def cost(regime: str, method_id: str, http_method: str = "GET") -> int:
    """Units a call costs; methods Google does not list cost 1 to read and 5 to write."""
    short = method_id.removeprefix("gmail.")
    table = _TABLES.get(regime, COSTS_2026)
    if short in table:
        return table[short]
    return 1 if http_method.upper() == "GET" else 5


def budget(regime: str, override: int | None) -> int:
    """The per-user budget per minute: the override if set, else the regime's figure."""
    if override is not None:
        return override
    return BUDGET_PER_MINUTE.get(regime, BUDGET_PER_MINUTE["2026"])


class QuotaLedger:
    """Units charged per user over the last 60 seconds (a rolling window, not a fixed minute)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._charges: dict[str, deque[tuple[float, int]]] = {}

    def _trim(self, user: str, now: float) -> deque[tuple[float, int]]:
        charges = self._charges.setdefault(user, deque())
        while charges and charges[0][0] <= now - WINDOW_SECONDS:
            charges.popleft()
        return charges

    def used(self, user: str) -> int:
        return sum(units for _, units in self._trim(user, self._clock()))

    def would_exceed(self, user: str, units: int, limit: int) -> bool:
        return self.used(user) + units > limit

    def charge(self, user: str, units: int) -> None:
        now = self._clock()
        self._trim(user, now).append((now, units))

    def usage(self) -> dict[str, int]:
        """Units used in the last 60 seconds, for every user seen in that window."""
        now = self._clock()
        out: dict[str, int] = {}
        for user in list(self._charges):
            total = sum(units for _, units in self._trim(user, now))
            if total:
                out[user] = total
        return out

    def reset(self) -> None:
        self._charges.clear()
