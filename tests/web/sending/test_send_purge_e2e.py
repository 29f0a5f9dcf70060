"""The hourly purge forgets idempotency keys after a week and finished scheduled sends after a
month; a send still waiting is kept whatever its age."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, update

from gpanel.jobs.runner import run_global_job
from gpanel.services.context import AppContext
from gpanel.store.tables import scheduled_sends, send_keys
from tests.support.stack import Stack
from tests.web.sending.kit import post, with_ctx
from tests.web.thread_support import BEN, CARLA, build_world


def test_purge_keeps_waiting_sends_and_forgets_old_ones(stack: Stack) -> None:
    """Old key and old finished send go; a fresh key and an old waiting send stay."""
    world = build_world(stack)
    assert post(world, "/api/mail/send", {"to": [CARLA], "subject": "x", "text": "x"}, key="new")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    uid = world.user_ids[BEN]

    async def age(ctx: AppContext) -> None:
        async with ctx.engine.begin() as conn:
            await conn.execute(
                insert(send_keys).values(
                    user_id=uid,
                    mailbox_id=world.mailbox_id,
                    key_hash="0" * 64,
                    state="sent",
                    rfc_message_id="<old@x>",
                    created_at=old,
                )
            )
            for state, draft in (("sent", "r-done"), ("waiting", "r-waiting")):
                await conn.execute(
                    insert(scheduled_sends).values(
                        mailbox_id=world.mailbox_id,
                        user_id=uid,
                        draft_id=draft,
                        send_at=old,
                        state=state,
                        created_at=old,
                    )
                )
            # The waiting one must not be picked up by send_due in this test: far future.
            await conn.execute(
                update(scheduled_sends)
                .where(scheduled_sends.c.draft_id == "r-waiting")
                .values(send_at=old + dt.timedelta(days=400))
            )
        await run_global_job(ctx, "purge")

    with_ctx(stack, age)
    assert [r.key_hash == "0" * 64 for r in stack.rows(send_keys)] == [False]
    assert [r.draft_id for r in stack.rows(scheduled_sends)] == ["r-waiting"]
