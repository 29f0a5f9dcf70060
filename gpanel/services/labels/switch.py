"""Category labels for one user's mailbox: may they be on, turning them on and off.

docs/behaviour.md, "Category labels": labels are available to a mailbox when the admin allows the
LABELS feature, the mailbox's MailMagnet is on, and the user enables "Label your email". Enabling
opens the backfill window (`settings.labels_backfill_days` before now) and clears the cursor, so the
next run (`labels_run.run_labels`, every `labels_interval_seconds`) is a full pass over the window.
Turning labels off stops the runs and leaves the labels in Gmail; undo (`labels_undo`) takes them
off again. The decisions live in `labels_plan`, the runs in `labels_run`, previews and explanations
in `labels_preview` and `labels_explain`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext
from gpanel.services.labels import state as labels_state
from gpanel.services.labels.plan import window_start
from gpanel.services.labels.state import LabelJob
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature


class LabelsRefused(Exception):
    """Labels cannot be turned on for this user; the message says why and what to do."""


@dataclass(frozen=True)
class Availability:
    mailbox: mailboxes.Mailbox | None
    job: LabelJob | None
    feature_allowed: bool

    @property
    def magnet_on(self) -> bool:
        return self.job is not None and self.job.magnet_enabled

    @property
    def enabled(self) -> bool:
        return self.job is not None and self.job.enabled

    @property
    def refusal(self) -> str | None:
        """Why labels cannot be turned on, in words the user can act on (None: they can)."""
        if not self.feature_allowed:
            return "Your admin has not turned on category labels for your account."
        if self.mailbox is None:
            return "Connect your Gmail first."
        if self.mailbox.status != "connected":
            return "Reconnect your Gmail first: Google no longer accepts gpanel's access."
        if not self.mailbox.can_modify:
            return "Reconnect your Gmail and allow gpanel to label your mail."
        if not self.magnet_on:
            return "Turn on MailMagnet first: category labels work on top of it."
        return None


async def availability(ctx: AppContext, user: CurrentUser) -> Availability:
    box = await mailboxes.for_user(ctx.engine, user.id)
    features = await sharing.features_for(ctx.engine, user.id, user.role)
    job = await labels_state.get(ctx.engine, box.id) if box is not None else None
    return Availability(box, job, features[Feature.LABELS])


async def enable(ctx: AppContext, user: CurrentUser, *, now: dt.datetime | None = None) -> LabelJob:
    """Turn "Label your email" on (LabelsRefused when it may not be)."""
    found = await availability(ctx, user)
    if found.refusal is not None:
        raise LabelsRefused(found.refusal)
    assert found.mailbox is not None
    if found.enabled and found.job is not None:
        return found.job
    since = window_start(now or dt.datetime.now(dt.UTC), ctx.settings.labels_backfill_days)
    await labels_state.set_enabled(ctx.engine, found.mailbox.id, since)
    return await labels_state.get(ctx.engine, found.mailbox.id)


async def disable(ctx: AppContext, mailbox_id: int) -> None:
    """Stop labelling; the labels already given stay in Gmail (undo removes them)."""
    async with ctx.engine.begin() as conn:
        await labels_state.set_disabled(conn, mailbox_id)
