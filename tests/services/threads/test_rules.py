"""The thread view's pure helpers (which threads open is the panel's gate, tested with the
panel's rules): the answer of threads.modify updates the cached thread only when its messages
match, and text bodies Gmail sends apart are found (but not attachments)."""

from __future__ import annotations

from typing import Any

from gpanel.mail.message import read_message
from gpanel.services.panel.content_cache import ContentCache
from gpanel.services.threads.gate import (
    LoadedThread,
    _separate_bodies,
    remember_modified,
)


def msg(mid: str, headers: dict[str, str], labels: tuple[str, ...] = ("INBOX",)) -> Any:
    return read_message(
        {
            "id": mid,
            "threadId": "t1",
            "labelIds": list(labels),
            "payload": {
                "mimeType": "text/plain",
                "headers": [{"name": k, "value": v} for k, v in headers.items()],
                "body": {"data": "aGk"},
            },
        }
    )


class Ctx:
    def __init__(self) -> None:
        self.content_cache = ContentCache(1_000_000, 60)


def test_modify_answer_updates_labels_or_drops_the_entry() -> None:
    ctx = Ctx()
    thread = LoadedThread(
        "t1", "10", (msg("m1", {"From": "a@b.example"}, ("INBOX", "UNREAD")),), {}, ()
    )
    cache = ctx.content_cache
    cache.put((7, "thread", "t1"), thread, "10")
    answer = {"historyId": "12", "messages": [{"id": "m1", "labelIds": ["INBOX"]}]}
    updated = remember_modified(ctx, 7, thread, answer)  # type: ignore[arg-type]
    assert updated.messages[0].label_ids == ("INBOX",) and updated.history_id == "12"
    assert cache.get((7, "thread", "t1"), "12") == updated
    remember_modified(
        ctx,
        7,
        updated,  # type: ignore[arg-type]
        {"historyId": "14", "messages": [{"id": "m1"}, {"id": "m9"}]},
    )
    assert cache.peek((7, "thread", "t1")) is None  # a message arrived: read again next time


def test_separate_bodies_are_found_but_not_attachments() -> None:
    raw = {
        "messages": [
            {
                "id": "m1",
                "payload": {
                    "mimeType": "multipart/mixed",
                    "parts": [
                        {
                            "mimeType": "text/plain",
                            "filename": "",
                            "headers": [],
                            "body": {"attachmentId": "A"},
                        },
                        {
                            "mimeType": "text/plain",
                            "filename": "notes.txt",
                            "headers": [],
                            "body": {"attachmentId": "B"},
                        },
                        {
                            "mimeType": "text/html",
                            "filename": "",
                            "headers": [{"name": "Content-Disposition", "value": "attachment"}],
                            "body": {"attachmentId": "C"},
                        },
                        {
                            "mimeType": "text/html",
                            "filename": "",
                            "headers": [],
                            "body": {"data": "aGk"},
                        },
                    ],
                },
            }
        ]
    }
    found = _separate_bodies(raw)
    assert [(mid, body["attachmentId"]) for mid, body in found] == [("m1", "A")]
