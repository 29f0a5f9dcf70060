"""Disconnect forgets everything this process cached for the mailbox, since SQLite may give
its id to the next mailbox connected."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from gpanel.services.accounts.disconnect import disconnect_mailbox
from gpanel.services.context import open_context
from gpanel.settings import Settings
from gpanel.store.tables import mailboxes, users


async def test_disconnect_drops_cached_content_and_token(db_url: str) -> None:
    settings = Settings.from_mapping(
        {
            "GPANEL_MODE": "demo",
            "GPANEL_DATABASE_URL": db_url,
            # Nothing listens here: the revoke fails, and disconnect must go on regardless.
            "GPANEL_GOOGLE_REVOKE_URI": "http://127.0.0.1:9/revoke",
        }
    )
    async with open_context(settings) as ctx:
        now = dt.datetime.now(dt.UTC)
        async with ctx.engine.begin() as conn:
            uid = (
                await conn.execute(
                    insert(users)
                    .values(
                        email="a@x.example",
                        name="A",
                        role="rep",
                        team_id=None,
                        active=True,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(users.c.id)
                )
            ).scalar_one()
            mid = (
                await conn.execute(
                    insert(mailboxes)
                    .values(
                        user_id=uid,
                        email="a@x.example",
                        google_sub="1",
                        refresh_token_enc=ctx.vault.encrypt("1//tok"),
                        scopes="",
                        status="connected",
                        connected_at=now,
                        updated_at=now,
                    )
                    .returning(mailboxes.c.id)
                )
            ).scalar_one()
        cache = ctx.content_cache
        cache.put((mid, "threads", "q"), {"subject": "kept in memory"}, "1001")
        cache.put((mid + 1, "threads", "q"), {"subject": "another mailbox"}, "1001")
        ctx.tokens._cache[str(mid)] = ("ya29.token", 9e12)

        warning = await disconnect_mailbox(ctx, mid)

        assert warning is not None  # Google was unreachable, said so, deleted anyway
        assert cache.peek((mid, "threads", "q")) is None
        assert cache.peek((mid + 1, "threads", "q")) is not None
        assert str(mid) not in ctx.tokens._cache
