"""One answer of users.history.list, read into what the change-tracking jobs need.

`HistoryPage` keeps Google's records as they came, the mailbox's current history id (the
next cursor) and the ids of messages added, which is what MailMagnet and the labelling job
look at first. `merge` folds the pages of one catch-up into one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HistoryPage:
    """Changes since a history id: the records, the mailbox's current id, more to fetch?"""

    records: list[dict[str, Any]]
    history_id: str
    next_page_token: str | None = None
    pages: int = 1
    message_ids_added: list[str] = field(default_factory=list)

    @classmethod
    def from_response(cls, body: dict[str, Any], start_history_id: str) -> HistoryPage:
        records = body.get("history", [])
        if not isinstance(records, list):
            records = []
        added = [
            str(item["message"]["id"])
            for rec in records
            for item in rec.get("messagesAdded", [])
            if isinstance(item.get("message"), dict) and "id" in item["message"]
        ]
        token = body.get("nextPageToken")
        return cls(
            records=records,
            # With no change Google still answers the current id; keep the start otherwise.
            history_id=str(body.get("historyId", start_history_id)),
            next_page_token=token if isinstance(token, str) and token else None,
            message_ids_added=added,
        )

    @classmethod
    def merge(cls, pages: Sequence[HistoryPage]) -> HistoryPage:
        """The pages of one catch-up as one page; the last page's history id is the cursor."""
        return cls(
            records=[r for p in pages for r in p.records],
            history_id=pages[-1].history_id,
            next_page_token=None,
            pages=sum(p.pages for p in pages),
            message_ids_added=list(dict.fromkeys(i for p in pages for i in p.message_ids_added)),
        )
