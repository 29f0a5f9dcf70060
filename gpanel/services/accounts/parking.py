"""What a default disconnect keeps, and how reconnecting the same Google account gets it back.

Disconnecting deletes the mailbox row, and every row tied to it goes by cascade. Unless the
owner picks "forget everything" (and always when a person is removed), the ids a reconnect
should find again are first copied into one `parked_mailboxes` row for the owner:

- the mailbox id itself, so thread links (`/records/.../threads/{mailbox_id}/{thread_id}`)
  keep working after a reconnect: the reconnected mailbox is inserted with the same id;
- the Google account's stable id (`sub`): only the same Google account gets the ids back (an
  address can be deleted and created again as another account);
- ids only: private thread ids, the private labels (Gmail label id and the name it had when
  chosen, as `private_labels` holds them), unlinked thread ids with their record and who
  unlinked, the message ids labels took out of the inbox (so labels undo still returns them),
  and the MailMagnet and labels switches with the label ids and when labelled mail leaves the
  inbox. Never a subject, body or recipient.

Cursors are not kept: a restored MailMagnet starts from "now" and labels run a full pass.
The row goes when the user is deleted (foreign key cascade), when it is restored, or when
the owner disconnects again choosing to forget everything.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.store.tables import (
    label_archived,
    mailbox_jobs,
    mailboxes,
    parked_mailboxes,
    private_labels,
    private_threads,
    unlinks,
    users,
)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: str | None, default: dt.datetime) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if value else default


async def park(conn: AsyncConnection, mailbox: Row[Any], now: dt.datetime) -> None:
    """Copy the ids a reconnect restores into the owner's parked row (inside the transaction
    that then deletes the mailbox)."""
    mid = mailbox.id
    private = (
        await conn.execute(
            select(private_threads.c.thread_id).where(private_threads.c.mailbox_id == mid)
        )
    ).scalars()
    labels = (
        await conn.execute(select(private_labels).where(private_labels.c.mailbox_id == mid))
    ).all()
    unlinked = (await conn.execute(select(unlinks).where(unlinks.c.mailbox_id == mid))).all()
    archived = (
        await conn.execute(select(label_archived).where(label_archived.c.mailbox_id == mid))
    ).all()
    jobs = (
        await conn.execute(select(mailbox_jobs).where(mailbox_jobs.c.mailbox_id == mid))
    ).first()
    kept: dict[str, Any] = {
        "private": list(private),
        "private_labels": [[x.label_id, x.label_name, _iso(x.created_at)] for x in labels],
        "unlinks": [
            [u.thread_id, u.record_type, u.record_id, u.user_id, _iso(u.created_at)]
            for u in unlinked
        ],
        "archived": [[a.message_id, _iso(a.archived_at)] for a in archived],
        "jobs": None
        if jobs is None
        else {
            "magnet_enabled": bool(jobs.magnet_enabled),
            "labels_enabled": bool(jobs.labels_enabled),
            "labels_since": _iso(jobs.labels_since),
            "label_ids": dict(jobs.label_ids or {}),
            "labels_inbox_mode": jobs.labels_inbox_mode,
        },
    }
    await forget(conn, mailbox.user_id)
    await conn.execute(
        insert(parked_mailboxes).values(
            mailbox_id=mid,
            user_id=mailbox.user_id,
            google_sub=mailbox.google_sub,
            kept=kept,
            parked_at=now,
        )
    )


async def forget(conn: AsyncConnection, user_id: int) -> None:
    """Delete whatever a user's earlier disconnect kept."""
    await conn.execute(delete(parked_mailboxes).where(parked_mailboxes.c.user_id == user_id))


async def reserved_id(conn: AsyncConnection, user_id: int, google_sub: str) -> int | None:
    """The mailbox id to reconnect under, when this user parked this Google account; a parked
    row of another Google account is forgotten (its ids mean nothing in this mailbox)."""
    row = (
        await conn.execute(select(parked_mailboxes).where(parked_mailboxes.c.user_id == user_id))
    ).first()
    if row is None:
        return None
    if row.google_sub != google_sub:
        await forget(conn, user_id)
        return None
    return int(row.mailbox_id)


async def keep_clear_of_parked(conn: AsyncConnection, mailbox_id: int) -> int:
    """A freshly inserted mailbox must not take an id a parked mailbox waits for. PostgreSQL's
    sequence never hands an id out twice, but SQLite gives max(rowid) + 1, which is a parked id
    when the disconnected mailbox had the highest one. The new row has nothing tied to it yet,
    so it can move; returns its final id."""
    taken = await conn.scalar(
        select(parked_mailboxes.c.mailbox_id).where(parked_mailboxes.c.mailbox_id == mailbox_id)
    )
    if taken is None:
        return mailbox_id
    top = max(
        int(await conn.scalar(select(func.max(mailboxes.c.id))) or 0),
        int(await conn.scalar(select(func.max(parked_mailboxes.c.mailbox_id))) or 0),
    )
    await conn.execute(update(mailboxes).where(mailboxes.c.id == mailbox_id).values(id=top + 1))
    return top + 1


async def restore(conn: AsyncConnection, user_id: int, mailbox_id: int, now: dt.datetime) -> None:
    """Put back what the parked row kept, into the mailbox just inserted under its id, and
    delete the parked row (inside the connecting transaction)."""
    row = (
        await conn.execute(
            select(parked_mailboxes).where(parked_mailboxes.c.mailbox_id == mailbox_id)
        )
    ).first()
    if row is None or row.user_id != user_id:
        return
    kept: dict[str, Any] = dict(row.kept or {})
    await forget(conn, user_id)
    for thread_id in kept.get("private", []):
        await conn.execute(
            insert(private_threads).values(
                mailbox_id=mailbox_id, thread_id=thread_id, created_at=now
            )
        )
    for label_id, label_name, created in kept.get("private_labels", []):
        await conn.execute(
            insert(private_labels).values(
                mailbox_id=mailbox_id,
                label_id=label_id,
                label_name=label_name,
                created_at=_time(created, now),
            )
        )
    living = set((await conn.execute(select(users.c.id))).scalars())
    for thread_id, record_type, record_id, by, created in kept.get("unlinks", []):
        await conn.execute(
            insert(unlinks).values(
                mailbox_id=mailbox_id,
                thread_id=thread_id,
                record_type=record_type,
                record_id=record_id,
                user_id=by if by in living else None,
                created_at=_time(created, now),
            )
        )
    for message_id, archived_at in kept.get("archived", []):
        await conn.execute(
            insert(label_archived).values(
                mailbox_id=mailbox_id, message_id=message_id, archived_at=_time(archived_at, now)
            )
        )
    jobs = kept.get("jobs")
    if jobs:
        await conn.execute(
            insert(mailbox_jobs).values(
                mailbox_id=mailbox_id,
                magnet_enabled=bool(jobs.get("magnet_enabled")),
                labels_enabled=bool(jobs.get("labels_enabled")),
                labels_since=_time(jobs.get("labels_since"), now)
                if jobs.get("labels_since")
                else None,
                label_ids=dict(jobs.get("label_ids") or {}),
                labels_inbox_mode=str(jobs.get("labels_inbox_mode") or "at_once"),
            )
        )
