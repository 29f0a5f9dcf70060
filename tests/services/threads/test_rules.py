"""The thread view's pure rules: a thread belongs to a record by its participants' addresses
and domains (Gmail folding only when the org asks), internal-only threads are recognised, the
answer of threads.modify updates the cached thread only when its messages match, and text
bodies Gmail sends apart are found (but not attachments)."""

from __future__ import annotations

from typing import Any

from gpanel.crm.addresses import RecordAddresses
from gpanel.mail.message import read_message
from gpanel.services.panel.content_cache import ContentCache
from gpanel.services.threads.gate import (
    LoadedThread,
    _separate_bodies,
    belongs_to,
    internal_only,
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


def test_belongs_by_address_domain_and_folding() -> None:
    messages = [
        msg("m1", {"From": "Pat <Pat.Buyer+deal@Gmail.com>", "To": "ben@brightwave.example"})
    ]
    assert not belongs_to(
        messages, RecordAddresses(frozenset({"patbuyer@gmail.com"}), frozenset()), fold=False
    )
    assert belongs_to(
        messages, RecordAddresses(frozenset({"patbuyer@gmail.com"}), frozenset()), fold=True
    )
    assert belongs_to(
        messages, RecordAddresses(frozenset({"pat.buyer+deal@gmail.com"}), frozenset()), fold=False
    )
    assert belongs_to(
        [msg("m2", {"From": "x@acme.example", "Bcc": "y@z.example"})],
        RecordAddresses(frozenset(), frozenset({"acme.example"})),
        fold=False,
    )
    assert not belongs_to(
        [msg("m3", {"From": "x@notacme.example"})],
        RecordAddresses(frozenset(), frozenset({"acme.example"})),
        fold=False,
    )


def test_internal_only() -> None:
    own = frozenset({"brightwave.example"})
    inside = [msg("m1", {"From": "ben@brightwave.example", "To": "carla@brightwave.example"})]
    mixed = [*inside, msg("m2", {"From": "pat@acme.example", "To": "ben@brightwave.example"})]
    assert internal_only(inside, own) and not internal_only(mixed, own)
    assert not internal_only(inside, frozenset())  # no org domains configured: rule off


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
