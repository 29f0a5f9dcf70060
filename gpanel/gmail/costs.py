"""Gmail's quota: what each method costs, and the per-user budget, in both regimes.

Numbers come from docs/gmail-facts.md, "Quota": "legacy" is Google's long-standing table (15,000
units per user per minute), "2026" is the regime for projects created from May 2026 (6,000 units per
user per minute, and dearer reads). Methods are keyed by their discovery id so the same key names a
method in the client, its counters and the emulator's request log.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

REGIMES: Final = ("legacy", "2026")

_LEGACY: Final = {
    "gmail.users.getProfile": 1,
    "gmail.users.history.list": 2,
    "gmail.users.labels.list": 1,
    "gmail.users.labels.get": 1,
    "gmail.users.labels.create": 5,
    "gmail.users.labels.update": 5,
    "gmail.users.labels.patch": 5,
    "gmail.users.labels.delete": 5,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.batchModify": 50,
    "gmail.users.messages.send": 100,
    "gmail.users.threads.list": 10,
    "gmail.users.threads.get": 10,
    "gmail.users.threads.modify": 10,
    "gmail.users.watch": 100,
    "gmail.users.stop": 50,
    # Sending (Google's quota page): drafts and send-as.
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.update": 15,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.send": 100,
    "gmail.users.drafts.delete": 10,
    "gmail.users.settings.sendAs.list": 1,
    "gmail.users.settings.sendAs.get": 1,
}

_2026_CHANGES: Final = {
    "gmail.users.messages.get": 20,
    "gmail.users.messages.attachments.get": 20,
    "gmail.users.drafts.get": 20,
    # Reported by peers, not confirmed by Google: budget for the dearer figure.
    "gmail.users.threads.get": 40,
}

# A method docs/gmail-facts.md does not list is charged this much: dear enough not to under-count.
UNLISTED_COST: Final = 10

_PER_USER_PER_MINUTE: Final = {"legacy": 15_000, "2026": 6_000}


@dataclass(frozen=True)
class CostTable:
    """The costs and per-user budget of one regime."""

    regime: str
    per_user_per_minute: int
    costs: MappingProxyType[str, int]

    def cost(self, method_id: str) -> int:
        return self.costs.get(method_id, UNLISTED_COST)


def cost_table(regime: str = "2026") -> CostTable:
    """The table for `regime` ("legacy" or "2026"); anything else is a configuration error."""
    if regime not in REGIMES:
        raise ValueError(f"Unknown Gmail quota regime {regime!r}: use one of {REGIMES}.")
    costs = dict(_LEGACY)
    if regime == "2026":
        costs.update(_2026_CHANGES)
    return CostTable(regime, _PER_USER_PER_MINUTE[regime], MappingProxyType(costs))
