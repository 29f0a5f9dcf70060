"""How many parts the next batch of one mailbox carries: a window that adapts to refusals.

Google runs every part of a batch at once and refuses the parts beyond the mailbox's
concurrency limit with 429 "Too many concurrent requests for user" (docs/gmail-facts.md,
"Per-user limits and concurrency"). The limit is unpublished and shared with every other client
of the mailbox, so gpanel cannot know it; like TCP's congestion window, the batch size starts at
the configured ceiling, shrinks when parts are refused (to three quarters of what got through,
or by half when nothing did) and grows again by an eighth after each batch that went through whole at full size.
"""

from __future__ import annotations


class BatchWindow:
    def __init__(self, ceiling: int) -> None:
        if ceiling < 1:
            raise ValueError("BatchWindow ceiling must be at least 1.")
        self.ceiling = ceiling
        self.size = ceiling

    def observe(self, sent: int, refused: int) -> None:
        """Learn from one round of batches: `refused` of `sent` parts were refused for
        concurrency."""
        if refused > 0:
            passed = max(0, sent - refused)
            # What got through measures the room left; nothing through (another client holds
            # the mailbox, or injected refusals) says only "less": halve.
            smaller = (passed * 3) // 4 if passed else self.size // 2
            self.size = max(1, min(self.size, smaller))
        elif sent >= self.size:
            self.size = min(self.ceiling, self.size + max(1, self.size // 8))
