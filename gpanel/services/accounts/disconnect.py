"""Disconnecting a mailbox, as one operation every path shares (the mailbox page, the admin
page, deleting a user through the page or the JSON API).

It revokes the token at Google, parks the ids a reconnect of the same Google account restores
(`parking`; not when the owner picks "forget everything" or the person is removed), deletes the
mailbox row (rows tied to it go by cascade), forgets
the access token and every piece of mail content cached in this process for it (ids can be
reused once a row is gone, so nothing read from the old mailbox may outlive it), and calls
every disconnect listener the running scheduler registered (`ctx.jobs`) so no run keeps
working on it.
"""

from __future__ import annotations

from gpanel.services.accounts import mailboxes
from gpanel.services.context import AppContext


async def disconnect_mailbox(
    ctx: AppContext, mailbox_id: int, *, forget_everything: bool = False
) -> str | None:
    """Returns a warning when Google could not be told (local data is deleted regardless).
    By default the ids a reconnect restores are kept (`parking`); `forget_everything` keeps
    nothing."""
    listeners = list(ctx.jobs.disconnect_listeners)

    async def forget_locally(mid: int) -> None:
        ctx.tokens.forget(str(mid))
        ctx.content_cache.forget_mailbox(mid)
        ctx.bodies.forget_mailbox(mid)

    return await mailboxes.disconnect(
        ctx.engine,
        ctx.http,
        ctx.vault,
        ctx.settings.google_revoke_uri,
        mailbox_id,
        [forget_locally, *listeners],
        forget_everything=forget_everything,
    )


async def disconnect_user(ctx: AppContext, user_id: int) -> str | None:
    """Disconnect a user's mailbox, if any, before the user is deleted: removing a person
    forgets everything (nothing is parked for them)."""
    box = await mailboxes.for_user(ctx.engine, user_id)
    if box is None:
        return None
    return await disconnect_mailbox(ctx, box.id, forget_everything=True)
