"""What disconnecting keeps and forgets, over real HTTP on both database engines.

- By default a disconnect parks ids only (private marks, private labels, unlinks, labels-undo
  message ids, the MailMagnet and labels switches and when labelled mail leaves the inbox);
  reconnecting the same Google account restores them under the
  same mailbox id, so thread links stay valid.
- "Forget everything" keeps nothing: a reconnect starts from nothing.
- A colleague connecting while a mailbox is parked never takes the parked id (SQLite hands out
  max(rowid) + 1, which would be it).
- Removing a person forgets everything they parked.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import insert, update

from gpanel.services.ops import job_state
from gpanel.store.tables import (
    label_archived,
    mailbox_jobs,
    mailboxes,
    parked_mailboxes,
    private_labels,
    private_threads,
    unlinks,
)
from tests.support.stack import Stack, csrf
from tests.web.thread_support import ALICE, BEN, CARLA, PAT, World, build_world, db, mail


def _marks(world: World) -> tuple[str, str]:
    """Ben's mailbox with one private thread, one private label, one unlinked thread, one message
    labels took out of the inbox, MailMagnet on and labelled mail leaving the inbox "never"."""
    private_raw, _ = mail(PAT, BEN, "Secret subject words", "body words")
    unlinked_raw, _ = mail(PAT, BEN, "Unlinked subject words", "body words")
    private = world.insert(private_raw)
    unlinked = world.insert(unlinked_raw)
    world.mark_private(private["threadId"])
    world.unlink(unlinked["threadId"], "contact", world.contact_id)

    async def go(engine: Any) -> None:
        await job_state.set_magnet_enabled(engine, world.mailbox_id, True)
        async with engine.begin() as conn:
            await conn.execute(
                update(mailbox_jobs)
                .where(mailbox_jobs.c.mailbox_id == world.mailbox_id)
                .values(labels_inbox_mode="never")
            )
            await conn.execute(
                insert(private_labels).values(
                    mailbox_id=world.mailbox_id,
                    label_id="Label_77",
                    label_name="Personal",
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
            await conn.execute(
                insert(label_archived).values(
                    mailbox_id=world.mailbox_id,
                    message_id=private["id"],
                    archived_at=dt.datetime.now(dt.UTC),
                )
            )

    db(world.stack, go)
    return private["threadId"], unlinked["threadId"]


def _disconnect(world: World, forget: str | None = None) -> str:
    data = {"csrf_token": csrf(world.ben)}
    if forget:
        data["forget"] = forget
    page = world.ben.post("/mailbox/disconnect", data=data)
    assert page.status_code == 200 and page.url.path == "/mailbox", page.text[:300]
    return page.text


def test_default_disconnect_keeps_ids_and_reconnect_restores_them(stack: Stack) -> None:
    """Private mark, unlink, labels-undo id and MailMagnet come back with the same mailbox id;
    the parked row holds ids, never the subject or body."""
    world = build_world(stack)
    private_thread, unlinked_thread = _marks(world)
    confirm = world.ben.get("/mailbox/disconnect")
    assert confirm.status_code == 200 and "Forget everything" in confirm.text
    assert len(stack.rows(mailboxes)) == 1  # asking changes nothing
    assert "kept only the ids" in _disconnect(world)
    assert stack.rows(mailboxes) == [] and stack.rows(private_threads) == []
    assert stack.rows(private_labels) == []
    (parked,) = stack.rows(parked_mailboxes)
    assert parked.mailbox_id == world.mailbox_id
    kept = json.dumps(parked.kept)
    assert "subject words" not in kept and "body words" not in kept and PAT not in kept

    connected = stack.connect(world.ben, BEN)
    assert "Your Gmail is connected" in connected.text
    (box,) = stack.rows(mailboxes)
    assert box.id == world.mailbox_id
    assert [r.thread_id for r in stack.rows(private_threads)] == [private_thread]
    assert [(r.thread_id, r.record_type, r.record_id) for r in stack.rows(unlinks)] == [
        (unlinked_thread, "contact", world.contact_id)
    ]
    assert len(stack.rows(label_archived)) == 1
    assert [(r.mailbox_id, r.label_id, r.label_name) for r in stack.rows(private_labels)] == [
        (world.mailbox_id, "Label_77", "Personal")
    ]
    (jobs,) = stack.rows(mailbox_jobs)
    assert jobs.magnet_enabled and jobs.magnet_history_id is None
    assert jobs.labels_inbox_mode == "never"
    assert stack.rows(parked_mailboxes) == []
    assert world.ben.get(world.url(private_thread)).status_code == 200


def test_forget_everything_keeps_nothing(stack: Stack) -> None:
    """After "forget everything" a reconnect has no private mark, unlink or labels state."""
    world = build_world(stack)
    _marks(world)
    assert "deleted everything" in _disconnect(world, "everything")
    assert stack.rows(parked_mailboxes) == []
    stack.connect(world.ben, BEN)
    assert len(stack.rows(mailboxes)) == 1
    for table in (private_threads, private_labels, unlinks, label_archived, mailbox_jobs):
        assert stack.rows(table) == [], table.name


def test_a_colleague_connecting_meanwhile_does_not_take_the_parked_id(stack: Stack) -> None:
    """Carla connects while Ben's mailbox is parked: she gets another id, and Ben gets his back."""
    world = build_world(stack)
    _disconnect(world)
    stack.connect(world.carla, CARLA)
    (carla_box,) = stack.rows(mailboxes)
    assert carla_box.id != world.mailbox_id
    stack.connect(world.ben, BEN)
    assert {r.email: r.id for r in stack.rows(mailboxes)}[BEN] == world.mailbox_id


def test_removing_a_person_forgets_what_they_parked(stack: Stack) -> None:
    """An admin deleting Ben deletes his parked ids with him."""
    world = build_world(stack)
    _marks(world)
    _disconnect(world)
    assert len(stack.rows(parked_mailboxes)) == 1
    alice = stack.sign_in(ALICE)
    answer = alice.delete(
        f"/api/users/{world.user_ids[BEN]}", headers={"X-CSRF-Token": csrf(alice)}
    )
    assert answer.status_code == 204, answer.text
    assert stack.rows(parked_mailboxes) == []
