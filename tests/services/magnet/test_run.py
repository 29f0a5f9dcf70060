"""MailMagnet runs against the emulator over real HTTP, on SQLite and PostgreSQL: what becomes
a hit (and what does not), exactly which columns a hit holds, dedup, the first-run cursor, the
404 catch-up, a revoked mailbox, the crash window between insert and commit, and the purge."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from gpanel.services.accounts.vault import TokenVault
from gpanel.services.magnet import run as magnet
from gpanel.services.ops import job_state
from gpanel.store.tables import magnet_hits, mailbox_jobs, mailboxes
from gpanel.store.times import aware
from tests.jobs.support import ALICE, CONTACT, LEAD, STRANGER, magnet_world, mail_from
from tests.support.emulator import RunningEmulator
from tests.support.faults import crash_while_storing_hits


async def _hits(world: magnet.AppContext) -> list[dict[str, object]]:
    async with world.engine.connect() as conn:
        rows = await conn.execute(select(magnet_hits).order_by(magnet_hits.c.received_at))
        return [dict(r._mapping) for r in rows]


@pytest.fixture
def alice(emulator: RunningEmulator) -> RunningEmulator:
    emulator.add_user(ALICE, "Alice Archer")
    return emulator


async def test_first_run_starts_at_now_and_does_not_announce_old_mail(
    db_url: str, alice: RunningEmulator
) -> None:
    """Mail already in the inbox when MailMagnet is switched on is not announced."""
    alice.insert(ALICE, mail_from(CONTACT))
    async with magnet_world(db_url, alice.url) as w:
        first = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert first.status == "started" and first.cursor
        second = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert second.status == "checked" and second.messages == 0
        assert await _hits(w.ctx) == []


async def test_contact_and_lead_mail_becomes_hits_with_only_allowed_columns(
    db_url: str, alice: RunningEmulator
) -> None:
    """A contact's and a lead's new mail become hits holding ids, sender and time only; a
    stranger's mail, and mail alice sent, become nothing."""
    async with magnet_world(db_url, alice.url) as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        when = int(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC).timestamp() * 1000)
        from_contact = alice.insert(ALICE, mail_from(CONTACT.upper()), internal_date_ms=when)
        from_lead = alice.insert(ALICE, mail_from(LEAD))
        alice.insert(ALICE, mail_from(STRANGER))
        alice.insert(ALICE, mail_from(ALICE, to=CONTACT), label_ids=["SENT"])
        result = await magnet.run_magnet(w.ctx, w.mailbox_id)
        # Four messages read (history is not filtered by label); the sent one is no hit.
        assert result.status == "checked" and result.messages == 4
        hits = await _hits(w.ctx)
        assert {h["message_id"] for h in hits} == {from_contact["id"], from_lead["id"]}
        assert set(hits[0]) == {
            "mailbox_id",
            "message_id",
            "thread_id",
            "sender",
            "received_at",
            "opened_at",
        }
        contact_hit = next(h for h in hits if h["message_id"] == from_contact["id"])
        assert contact_hit["sender"] == CONTACT  # normalised: trimmed, lower-cased
        assert contact_hit["thread_id"] == from_contact["threadId"]
        received = contact_hit["received_at"]
        assert isinstance(received, dt.datetime)
        assert aware(received) == dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
        assert contact_hit["opened_at"] is None


async def test_one_history_call_and_one_batch_per_run(db_url: str, alice: RunningEmulator) -> None:
    """A run with new mail costs one history.list and one batch (metadata), never more; a run
    with nothing new costs one history.list."""
    async with magnet_world(db_url, alice.url) as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        for _ in range(5):
            alice.insert(ALICE, mail_from(CONTACT))
        alice.control.delete("/_emulator/log")
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        entries = alice.control.get("/_emulator/log").json()["entries"]
        methods = [e["method_id"] for e in entries if not e["batch_part"]]
        parts = [e["method_id"] for e in entries if e["batch_part"]]
        assert methods.count("gmail.users.history.list") == 2
        assert parts == ["gmail.users.messages.get"] * 5
        assert len(await _hits(w.ctx)) == 5


async def test_rerun_after_cursor_reset_duplicates_nothing(
    db_url: str, alice: RunningEmulator
) -> None:
    """Seeing the same messages twice (cursor moved back) inserts each hit once."""
    async with magnet_world(db_url, alice.url) as w:
        start = (await magnet.run_magnet(w.ctx, w.mailbox_id)).cursor
        alice.insert(ALICE, mail_from(CONTACT))
        alice.insert(ALICE, mail_from(LEAD))
        assert len((await magnet.run_magnet(w.ctx, w.mailbox_id)).new_hits) == 2
        async with w.ctx.engine.begin() as conn:
            await conn.execute(update(mailbox_jobs).values(magnet_history_id=start))
        again = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert again.messages == 2 and again.new_hits == []
        assert len(await _hits(w.ctx)) == 2


async def test_crash_between_insert_and_commit_loses_and_duplicates_nothing(
    db_url: str, alice: RunningEmulator
) -> None:
    """A run that dies after inserting its hits but before committing leaves no hit and the
    old cursor; the next run stores each hit exactly once."""

    class Crash(BaseException):
        pass

    async with magnet_world(db_url, alice.url) as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        before = await job_state.get(w.ctx.engine, w.mailbox_id)
        assert before is not None
        alice.insert(ALICE, mail_from(CONTACT))
        alice.insert(ALICE, mail_from(LEAD))

        def die() -> None:
            raise Crash("stored")

        with crash_while_storing_hits(w.ctx.engine, die), pytest.raises(Crash):
            await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert await _hits(w.ctx) == []
        after = await job_state.get(w.ctx.engine, w.mailbox_id)
        assert after is not None and after.magnet_history_id == before.magnet_history_id
        result = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert len(result.new_hits) == 2
        assert len(await _hits(w.ctx)) == 2


async def test_expired_history_catches_up_by_search_then_takes_a_fresh_cursor(
    db_url: str, alice: RunningEmulator
) -> None:
    """On a 404 from history.list the run searches the inbox since the last check, stores the
    hits it finds and continues from a new cursor."""
    async with magnet_world(db_url, alice.url) as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        alice.insert(ALICE, mail_from(CONTACT))
        alice.insert(ALICE, mail_from(STRANGER))
        alice.control.post(
            "/_emulator/faults",
            json={
                "user": ALICE,
                "method": "gmail.users.history.list",
                "kind": "stale_history",
            },
        ).raise_for_status()
        result = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert result.status == "caught_up" and len(result.new_hits) == 1
        alice.insert(ALICE, mail_from(LEAD))
        after = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert after.status == "checked" and after.messages == 1 and len(after.new_hits) == 1
        assert len(await _hits(w.ctx)) == 2


async def test_revoked_access_pauses_the_mailbox_and_says_why(
    db_url: str, alice: RunningEmulator
) -> None:
    """When Google refuses the refresh token the mailbox needs reconnecting, the run records
    why, and the scheduler no longer considers it due."""
    async with magnet_world(db_url, alice.url) as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        async with w.ctx.engine.connect() as conn:
            enc = await conn.scalar(select(mailboxes.c.refresh_token_enc))
        refresh = TokenVault(w.settings.fernet_keys).decrypt(enc)
        alice.control.post("/revoke", params={"token": refresh}).raise_for_status()
        w.ctx.tokens.forget(str(w.mailbox_id))
        result = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert result.status == "paused"
        state = await job_state.get(w.ctx.engine, w.mailbox_id)
        assert state is not None and state.last_error and "reconnect" in state.last_error
        async with w.ctx.engine.connect() as conn:
            status = await conn.scalar(select(mailboxes.c.status))
        assert status == "needs_reconnect"
        due = await job_state.due(
            w.ctx.engine, w.settings, job_state.now_utc() + dt.timedelta(hours=1)
        )
        assert due.jobs["magnet"] == []


async def test_purge_removes_hits_past_retention_only(db_url: str, alice: RunningEmulator) -> None:
    """Hits older than the retention period are deleted; newer ones stay."""
    async with magnet_world(db_url, alice.url, magnet_retention_days="30") as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        now = job_state.now_utc()
        old = int((now - dt.timedelta(days=31)).timestamp() * 1000)
        alice.insert(ALICE, mail_from(CONTACT), internal_date_ms=old)
        alice.insert(ALICE, mail_from(CONTACT))
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert len(await _hits(w.ctx)) == 2
        assert await magnet.purge_hits(w.ctx) == 1
        async with w.ctx.engine.connect() as conn:
            left = await conn.scalar(select(func.count()).select_from(magnet_hits))
        assert left == 1


async def test_due_respects_switch_interval_and_feature(
    db_url: str, alice: RunningEmulator
) -> None:
    """A mailbox is due for magnet once per poll interval (a scheduler's `lead` early) while
    switched on and allowed."""
    from gpanel.services.sharing.policy import Feature
    from gpanel.services.sharing.rules import set_feature

    async with magnet_world(db_url, alice.url, magnet_poll_seconds="60") as w:
        now = job_state.now_utc()
        assert (await job_state.due(w.ctx.engine, w.settings, now)).jobs["magnet"] == [w.mailbox_id]
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert (await job_state.due(w.ctx.engine, w.settings, now)).jobs["magnet"] == []
        early = now + dt.timedelta(seconds=52)
        assert (await job_state.due(w.ctx.engine, w.settings, early)).jobs["magnet"] == []
        assert (await job_state.due(w.ctx.engine, w.settings, early, lead=10)).jobs["magnet"] == [
            w.mailbox_id
        ]  # a scheduler ticking every 5 s looks 10 s early
        later = now + dt.timedelta(seconds=61)
        assert (await job_state.due(w.ctx.engine, w.settings, later)).jobs["magnet"] == [
            w.mailbox_id
        ]
        await set_feature(w.ctx.engine, "user", w.user_id, Feature.MAILMAGNET, False)
        assert (await job_state.due(w.ctx.engine, w.settings, later)).jobs["magnet"] == []
        await set_feature(w.ctx.engine, "user", w.user_id, Feature.MAILMAGNET, None)
        await job_state.set_magnet_enabled(w.ctx.engine, w.mailbox_id, False)
        assert (await job_state.due(w.ctx.engine, w.settings, later)).jobs["magnet"] == []
