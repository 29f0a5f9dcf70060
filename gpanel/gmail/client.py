"""The Gmail client gpanel's services call: one `GmailClient` per process, one
`MailboxClient` (mailbox.py) per mailbox and priority.

`GmailClient` holds what all mailboxes share (the app's `httpx.AsyncClient`, the token
provider, the quota budget, the cost table of the configured regime, the counters) and the
per-mailbox in-flight limits and batch windows; `mailbox()` hands out the calls for one mailbox.
`max_inflight` is what gpanel allows itself of a mailbox's concurrency at Google, batch parts
counted (default 25: the batch size reported to pass, leaving room for the mailbox's other
clients); a batch carries at most `min(batch_size, max_inflight)` parts, fewer after refusals.
"""

from __future__ import annotations

import httpx

from gpanel.gmail.batch import MAX_PARTS
from gpanel.gmail.budget import Priority, QuotaBudget
from gpanel.gmail.costs import cost_table
from gpanel.gmail.dispatch import Dispatcher
from gpanel.gmail.mailbox import MailboxClient
from gpanel.gmail.oauth import TokenProvider
from gpanel.gmail.retry import RetryPolicy
from gpanel.gmail.stats import CallStats

__all__ = ["PRODUCTION_BASE_URL", "GmailClient"]

PRODUCTION_BASE_URL = "https://gmail.googleapis.com"


class GmailClient:
    """What every mailbox's calls share; `mailbox()` gives the calls for one mailbox."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenProvider,
        *,
        base_url: str = PRODUCTION_BASE_URL,
        budget: QuotaBudget,
        regime: str = "2026",
        max_inflight: int = 25,
        batch_size: int = 50,
        retry: RetryPolicy | None = None,
        stats: CallStats | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_PARTS:
            raise ValueError(f"batch_size must be between 1 and {MAX_PARTS}.")
        self.base_url = base_url.rstrip("/")
        self.batch_url = f"{self.base_url}/batch/gmail/v1"
        self.costs = cost_table(regime)
        self.stats = stats or CallStats()
        self.batch_size = batch_size
        self.retry = retry or RetryPolicy()
        self.dispatcher = Dispatcher(
            http,
            tokens,
            budget,
            self.costs,
            self.stats,
            max_inflight=max_inflight,
            batch_size=batch_size,
        )

    def mailbox(
        self,
        mailbox_key: str,
        *,
        priority: Priority = Priority.INTERACTIVE,
        retry: RetryPolicy | None = None,
    ) -> MailboxClient:
        """Calls for one mailbox; `retry` overrides the policy (e.g. a short view deadline)."""
        return MailboxClient(self, mailbox_key, priority, retry or self.retry)
