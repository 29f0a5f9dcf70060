"""The per-mailbox job state (`mailbox_jobs`): switches, cursors, last runs, who is due.

One row per mailbox that has ever had a background job switched on. MailMagnet owns the
`magnet_*` and `watch_expires_at` columns, the labelling job the `labels_*` and `label_ids`
columns; `last_error` is the last trouble of either, in plain words (never mail content).

`due()` answers the schedulers' question "which mailboxes need which job now", from the row,
the mailbox's connection status and the owner's feature permissions, in two queries. It is
stateless (everything it needs is in the database), so any number of schedulers or workers can
ask it and agree. `trigger()` is how a web handler (the Pub/Sub push endpoint, the switch on
the settings page) asks whichever scheduler runs in this process to run a job now: the
scheduler registers its trigger on `ctx.jobs` (`scheduling.JobTriggers`) when it starts.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.services.context import AppContext
from gpanel.services.sharing.policy import Feature, feature_allowed
from gpanel.services.sharing.rules import gmail_withdrawn
from gpanel.services.team_mailboxes.extras import due_mailboxes as team_extras_due
from gpanel.settings import Settings
from gpanel.store.tables import feature_rules, mailbox_jobs, mailboxes, users
from gpanel.store.times import aware

log = logging.getLogger("gpanel.jobs")

# A watch lasts 7 days; renewing once a day keeps six days of slack for a failing renewal.
WATCH_RENEW_BEFORE = dt.timedelta(days=6)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class MailboxJobs:
    mailbox_id: int
    magnet_enabled: bool
    magnet_history_id: str | None
    magnet_checked_at: dt.datetime | None
    watch_expires_at: dt.datetime | None
    labels_enabled: bool
    labels_since: dt.datetime | None
    labels_history_id: str | None
    labels_run_at: dt.datetime | None
    label_ids: dict[str, str]
    last_error: str | None
    last_error_at: dt.datetime | None


def _row(r: Any) -> MailboxJobs:
    return MailboxJobs(
        mailbox_id=r.mailbox_id,
        magnet_enabled=bool(r.magnet_enabled),
        magnet_history_id=r.magnet_history_id,
        magnet_checked_at=aware(r.magnet_checked_at),
        watch_expires_at=aware(r.watch_expires_at),
        labels_enabled=bool(r.labels_enabled),
        labels_since=aware(r.labels_since),
        labels_history_id=r.labels_history_id,
        labels_run_at=aware(r.labels_run_at),
        label_ids=dict(r.label_ids or {}),
        last_error=r.last_error,
        last_error_at=aware(r.last_error_at),
    )


async def get(engine: AsyncEngine, mailbox_id: int) -> MailboxJobs | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(mailbox_jobs).where(mailbox_jobs.c.mailbox_id == mailbox_id))
        ).first()
    return _row(row) if row is not None else None


async def ensure_row(conn: AsyncConnection, mailbox_id: int) -> None:
    """Create the mailbox's row with everything off, if it has none (inside a transaction)."""
    exists = await conn.scalar(
        select(mailbox_jobs.c.mailbox_id).where(mailbox_jobs.c.mailbox_id == mailbox_id)
    )
    if exists is None:
        await conn.execute(
            insert(mailbox_jobs).values(
                mailbox_id=mailbox_id, magnet_enabled=False, labels_enabled=False, label_ids={}
            )
        )


async def set_magnet_enabled(engine: AsyncEngine, mailbox_id: int, enabled: bool) -> None:
    """Switch MailMagnet on or off. Switching on starts from "now" (the cursor is cleared, so
    the first run takes the mailbox's current history id and old mail is not announced)."""
    async with engine.begin() as conn:
        await ensure_row(conn, mailbox_id)
        values: dict[str, object] = {"magnet_enabled": enabled}
        if enabled:
            values.update(
                magnet_history_id=None, magnet_checked_at=None, last_error=None, last_error_at=None
            )
        else:
            values["watch_expires_at"] = None
        await conn.execute(
            update(mailbox_jobs).where(mailbox_jobs.c.mailbox_id == mailbox_id).values(**values)
        )


async def record_error(engine: AsyncEngine, mailbox_id: int, message: str) -> None:
    """Remember a job's last trouble in plain words (ids and reasons only, never content)."""
    async with engine.begin() as conn:
        await conn.execute(
            update(mailbox_jobs)
            .where(mailbox_jobs.c.mailbox_id == mailbox_id)
            .values(last_error=message[:500], last_error_at=now_utc())
        )


async def set_watch_expiry(
    engine: AsyncEngine, mailbox_id: int, expires_at: dt.datetime | None
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(mailbox_jobs)
            .where(mailbox_jobs.c.mailbox_id == mailbox_id)
            .values(watch_expires_at=expires_at)
        )


async def magnet_mailbox_for_address(engine: AsyncEngine, email: str) -> int | None:
    """The connected mailbox at `email` with MailMagnet on (the push endpoint's lookup); None
    when the admin no longer allows its owner to connect Gmail (nothing reads it)."""
    query = (
        select(mailboxes.c.id, users.c.id.label("user_id"), users.c.role)
        .join(mailbox_jobs, mailbox_jobs.c.mailbox_id == mailboxes.c.id)
        .join(users, users.c.id == mailboxes.c.user_id)
        .where(
            mailboxes.c.email == email.strip().lower(),
            mailboxes.c.status == "connected",
            mailbox_jobs.c.magnet_enabled.is_(True),
        )
    )
    async with engine.connect() as conn:
        found = (await conn.execute(query)).first()
        if found is None or await gmail_withdrawn(conn, [(found.user_id, found.role)]):
            return None
    return int(found.id)


@dataclass(frozen=True)
class Due:
    """Mailbox ids per job name that should run now."""

    jobs: dict[str, list[int]]

    def pairs(self) -> list[tuple[str, int]]:
        return [(name, mid) for name, ids in self.jobs.items() for mid in ids]


def _older(value: dt.datetime | None, than: dt.datetime) -> bool:
    value = aware(value)
    return value is None or value <= than


async def due(
    engine: AsyncEngine, settings: Settings, now: dt.datetime | None = None, *, lead: float = 0.0
) -> Due:
    """Which mailboxes are due for which job at `now`.

    - magnet: switched on, the owner allowed MailMagnet, last checked a poll interval ago
      (less `lead` seconds: a scheduler that looks every `t` seconds passes `2 t`, so that
      checks are never more than a poll interval apart and new mail shows within one);
    - labels: switched on, the owner allowed labels, last run a labels interval ago;
    - renew_watch: a Pub/Sub topic is configured and the mailbox's watch is missing or older
      than a day;
    - team_extras: a team mailbox's label rules and lead capture, on their own state
      (`services.team_mailboxes.extras.due_mailboxes`).
    A mailbox whose last job failed waits one poll interval before any retry, so a mailbox that
    keeps failing costs one attempt per interval, not one per scheduler tick. Mailboxes that
    need reconnecting, those of deactivated users and those of people the admin no longer
    allows to connect Gmail are skipped (paused).
    """
    now = now or now_utc()
    poll = dt.timedelta(seconds=settings.magnet_poll_seconds)
    poll_due = dt.timedelta(
        seconds=max(settings.magnet_poll_seconds / 2, settings.magnet_poll_seconds - lead)
    )
    labels_every = dt.timedelta(seconds=settings.labels_interval_seconds)
    query = (
        select(mailbox_jobs, users.c.id.label("user_id"), users.c.role)
        .join(mailboxes, mailboxes.c.id == mailbox_jobs.c.mailbox_id)
        .join(users, users.c.id == mailboxes.c.user_id)
        .where(
            mailboxes.c.status == "connected",
            users.c.active.is_(True),
            mailbox_jobs.c.magnet_enabled.is_(True) | mailbox_jobs.c.labels_enabled.is_(True),
        )
        .order_by(mailbox_jobs.c.mailbox_id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
        rules = (await conn.execute(select(feature_rules))).all() if rows else []
    by_role: dict[str, dict[Feature, bool]] = {}
    by_user: dict[str, dict[Feature, bool]] = {}
    for rule in rules:
        try:
            feature = Feature(rule.feature)
        except ValueError:
            continue
        target = by_role if rule.subject_type == "role" else by_user
        target.setdefault(rule.subject, {})[feature] = bool(rule.allowed)
    out: dict[str, list[int]] = {"magnet": [], "labels": [], "renew_watch": []}
    for r in rows:
        if not _older(r.last_error_at, now - poll):
            continue
        role_rules, user_rules = by_role.get(r.role, {}), by_user.get(str(r.user_id), {})
        if not feature_allowed(Feature.CONNECT_GMAIL, role_rules, user_rules):
            continue  # the admin withdrew Gmail from the owner: nothing reads the mailbox
        magnet_ok = r.magnet_enabled and feature_allowed(Feature.MAILMAGNET, role_rules, user_rules)
        if magnet_ok and _older(r.magnet_checked_at, now - poll_due):
            out["magnet"].append(r.mailbox_id)
        if (
            magnet_ok
            and settings.pubsub_topic
            and _older(r.watch_expires_at, now + WATCH_RENEW_BEFORE)
        ):
            out["renew_watch"].append(r.mailbox_id)
        if (
            r.labels_enabled
            and feature_allowed(Feature.LABELS, role_rules, user_rules)
            and _older(r.labels_run_at, now - labels_every)
        ):
            out["labels"].append(r.mailbox_id)
    out["team_extras"] = await team_extras_due(engine, settings, now)  # team label rules, leads
    return Due(out)


async def trigger(ctx: AppContext, job: str, mailbox_id: int) -> bool:
    """Ask this process's scheduler to run `job` for the mailbox now (coalesced with a run
    already queued or in flight). False when no scheduler runs here."""
    run = ctx.jobs.trigger
    if run is None:
        log.warning("no scheduler in this process to run %s for mailbox %s", job, mailbox_id)
        return False
    await run(job, mailbox_id)
    return True
