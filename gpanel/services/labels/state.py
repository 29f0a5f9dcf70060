"""The label job's rows: its part of `mailbox_jobs` and the `label_archived` undo ids.

`mailbox_jobs` is shared with MailMagnet (one row per mailbox; `services.job_state` owns the
row and MailMagnet's columns). This module reads and writes only the label columns
(`labels_enabled`, `labels_since`, `labels_history_id`, `labels_run_at`, `label_ids`,
`labels_inbox_mode`: when labelled mail leaves the inbox, the owner's setting) and the
shared `last_error` pair, whose messages it prefixes with `ERROR_PREFIX` so a successful run
clears only its own. `label_ids` is a JSON object: the three category names mapped to Gmail
label ids, plus `crm_gaps`, two integers (deals and contacts missing below their highest id)
that let a run notice CRM deletions, which leave no `updated_at` behind, and `org_month`
("2026-03"), the month in the org's time zone the last run evaluated "closing this month"
for. `label_archived` holds the ids of messages a run took out of the inbox, so undo can return
exactly those. Only ids and times are stored here: no subject, sender or content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.crm.categories import Category
from gpanel.services.labels.plan import InboxMode
from gpanel.services.ops import job_state
from gpanel.store.tables import label_archived, mailbox_jobs
from gpanel.store.times import aware as _aware
from gpanel.store.upsert import upsert

CRM_GAPS = "crm_gaps"
ORG_MONTH = "org_month"
ERROR_PREFIX = "Category labels: "


@dataclass(frozen=True)
class LabelJob:
    """The label job's state for one mailbox (defaults when the row does not exist yet)."""

    mailbox_id: int
    magnet_enabled: bool = False
    enabled: bool = False
    since: dt.datetime | None = None
    history_id: str | None = None
    run_at: dt.datetime | None = None
    label_ids: dict[Category, str] = field(default_factory=dict)
    crm_gaps: tuple[int, int] | None = None
    org_month: str | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    exists: bool = False
    inbox_mode: InboxMode = InboxMode.AT_ONCE


def _job(row: Any) -> LabelJob:
    raw: Mapping[str, Any] = row.label_ids or {}
    ids = {c: str(raw[c.value]) for c in Category if raw.get(c.value)}
    gaps = raw.get(CRM_GAPS)
    return LabelJob(
        mailbox_id=row.mailbox_id,
        magnet_enabled=bool(row.magnet_enabled),
        enabled=bool(row.labels_enabled),
        since=_aware(row.labels_since),
        history_id=row.labels_history_id,
        run_at=_aware(row.labels_run_at),
        label_ids=ids,
        crm_gaps=(int(gaps[0]), int(gaps[1]))
        if isinstance(gaps, list) and len(gaps) == 2
        else None,
        org_month=str(raw[ORG_MONTH]) if raw.get(ORG_MONTH) else None,
        last_error=row.last_error,
        last_error_at=_aware(row.last_error_at),
        exists=True,
        inbox_mode=InboxMode.parse(row.labels_inbox_mode),
    )


def _label_json(
    ids: Mapping[Category, str], gaps: tuple[int, int] | None = None, month: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {c.value: i for c, i in ids.items()}
    if gaps is not None:
        out[CRM_GAPS] = list(gaps)
    if month is not None:
        out[ORG_MONTH] = month
    return out


async def load(conn: AsyncConnection, mailbox_id: int) -> LabelJob:
    row = (
        await conn.execute(select(mailbox_jobs).where(mailbox_jobs.c.mailbox_id == mailbox_id))
    ).first()
    return _job(row) if row is not None else LabelJob(mailbox_id)


async def get(engine: AsyncEngine, mailbox_id: int) -> LabelJob:
    async with engine.connect() as conn:
        return await load(conn, mailbox_id)


async def enabled_mailboxes(engine: AsyncEngine) -> list[int]:
    """Mailboxes whose label job should run (labels and MailMagnet both on)."""
    query = select(mailbox_jobs.c.mailbox_id).where(
        mailbox_jobs.c.labels_enabled.is_(True), mailbox_jobs.c.magnet_enabled.is_(True)
    )
    async with engine.connect() as conn:
        return list(await conn.scalars(query.order_by(mailbox_jobs.c.mailbox_id)))


async def set_enabled(engine: AsyncEngine, mailbox_id: int, since: dt.datetime) -> None:
    """Turn labels on with a fresh backfill window and no cursor (the next run is a full pass).
    Label ids already found stay: the labels themselves are kept in Gmail."""
    async with engine.begin() as conn:
        await job_state.ensure_row(conn, mailbox_id)
        job = await load(conn, mailbox_id)
        await conn.execute(
            update(mailbox_jobs)
            .where(mailbox_jobs.c.mailbox_id == mailbox_id)
            .values(
                labels_enabled=True,
                labels_since=since,
                labels_history_id=None,
                labels_run_at=None,
                label_ids=_label_json(job.label_ids),
            )
        )


async def set_inbox_mode(engine: AsyncEngine, mailbox_id: int, mode: InboxMode) -> None:
    """When this mailbox's labelled mail leaves the inbox, from the next run on (mail already
    labelled keeps its place; mail gpanel archived that loses its labels still comes back)."""
    async with engine.begin() as conn:
        await job_state.ensure_row(conn, mailbox_id)
        await conn.execute(
            update(mailbox_jobs)
            .where(mailbox_jobs.c.mailbox_id == mailbox_id)
            .values(labels_inbox_mode=mode.value)
        )


async def set_disabled(conn: AsyncConnection, mailbox_id: int) -> None:
    await conn.execute(
        update(mailbox_jobs)
        .where(mailbox_jobs.c.mailbox_id == mailbox_id)
        .values(labels_enabled=False, labels_history_id=None, labels_run_at=None, labels_since=None)
    )


async def forget_label_ids(engine: AsyncEngine, job: LabelJob) -> None:
    """Drop the known label ids (a label was deleted in Gmail): the next run finds or creates
    them again by name."""
    async with engine.begin() as conn:
        await conn.execute(
            update(mailbox_jobs)
            .where(mailbox_jobs.c.mailbox_id == job.mailbox_id)
            .values(label_ids=_label_json({}, job.crm_gaps, job.org_month))
        )


async def save_run(
    engine: AsyncEngine,
    mailbox_id: int,
    *,
    history_id: str,
    run_at: dt.datetime,
    label_ids: Mapping[Category, str],
    gaps: tuple[int, int],
    month: str,
) -> None:
    """A finished run: the new cursor, when it started, and no label error any more."""
    async with engine.begin() as conn:
        await conn.execute(
            update(mailbox_jobs)
            .where(mailbox_jobs.c.mailbox_id == mailbox_id, mailbox_jobs.c.labels_enabled)
            .values(
                labels_history_id=history_id,
                labels_run_at=run_at,
                label_ids=_label_json(label_ids, gaps, month),
            )
        )
        await conn.execute(
            update(mailbox_jobs)
            .where(
                mailbox_jobs.c.mailbox_id == mailbox_id,
                mailbox_jobs.c.last_error.like(ERROR_PREFIX + "%"),
            )
            .values(last_error=None, last_error_at=None)
        )


async def save_error(engine: AsyncEngine, mailbox_id: int, message: str) -> None:
    """A failed run, in plain words (never mail content); the cursor stays where it was."""
    async with engine.begin() as conn:
        await conn.execute(
            update(mailbox_jobs)
            .where(mailbox_jobs.c.mailbox_id == mailbox_id)
            .values(
                last_error=(ERROR_PREFIX + message)[:500], last_error_at=dt.datetime.now(dt.UTC)
            )
        )


async def record_archived(
    engine: AsyncEngine, mailbox_id: int, ids: Iterable[str], when: dt.datetime
) -> None:
    rows = [{"mailbox_id": mailbox_id, "message_id": i, "archived_at": when} for i in ids]
    if not rows:
        return
    async with engine.begin() as conn:
        stmt = upsert(conn, label_archived, ["mailbox_id", "message_id"], [])
        for n in range(0, len(rows), 1000):
            await conn.execute(stmt, rows[n : n + 1000])


async def archived_ids(conn: AsyncConnection, mailbox_id: int) -> list[str]:
    return list(
        await conn.scalars(
            select(label_archived.c.message_id)
            .where(label_archived.c.mailbox_id == mailbox_id)
            .order_by(label_archived.c.message_id)
        )
    )


async def archived_count(engine: AsyncEngine, mailbox_id: int) -> int:
    async with engine.connect() as conn:
        found = await conn.scalar(
            select(func.count())
            .select_from(label_archived)
            .where(label_archived.c.mailbox_id == mailbox_id)
        )
    return int(found or 0)


async def forget_archived(conn: AsyncConnection, mailbox_id: int) -> None:
    await conn.execute(delete(label_archived).where(label_archived.c.mailbox_id == mailbox_id))


async def archived_among(engine: AsyncEngine, mailbox_id: int, ids: Iterable[str]) -> set[str]:
    """Which of these message ids gpanel took out of the inbox (read in chunks of 500)."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    async with engine.connect() as conn:
        for n in range(0, len(wanted), 500):
            found.update(
                await conn.scalars(
                    select(label_archived.c.message_id).where(
                        label_archived.c.mailbox_id == mailbox_id,
                        label_archived.c.message_id.in_(wanted[n : n + 500]),
                    )
                )
            )
    return found


async def forget_restored(engine: AsyncEngine, mailbox_id: int, ids: Iterable[str]) -> None:
    """Forget ids a run put back in the inbox: undo has nothing left to return for them."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    async with engine.begin() as conn:
        for n in range(0, len(wanted), 500):
            await conn.execute(
                delete(label_archived).where(
                    label_archived.c.mailbox_id == mailbox_id,
                    label_archived.c.message_id.in_(wanted[n : n + 500]),
                )
            )
