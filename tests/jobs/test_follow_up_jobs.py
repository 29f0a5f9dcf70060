"""Follow-up reminders survive a restart of gpanel and run under both schedulers.

One gpanel sends a message with "remind me if no reply in 2 days" (a row of ids and a date)
and goes away; the day comes (the row's due date is moved into the past); a fresh gpanel checks
the thread in Gmail live and, nobody having replied, the row becomes `notified` (the owner's
bell): the embedded scheduler of a newly started web app (SQLite and PostgreSQL), and a real
`gpanel worker` subprocess on the procrastinate queue (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

from sqlalchemy import select, update

from gpanel.app import create_app
from gpanel.crm.people import create_user
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import open_context
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.sending import send
from gpanel.settings import Settings
from gpanel.store.tables import follow_ups
from tests.jobs.conftest import Workers
from tests.support.emulator import RunningEmulator
from tests.support.servers import serve
from tests.support.stack import stack_settings

SENDER = "rep@brightwave.example"
RECIPIENT = "peer@brightwave.example"


async def _send_with_reminder(settings: Settings, emulator: RunningEmulator) -> str:
    """As a gpanel that then stops: a sent message with a reminder, whose day then comes."""
    emulator.add_user(SENDER, "Rep")
    emulator.add_user(RECIPIENT, "Peer")
    async with open_context(settings) as ctx:
        async with ctx.engine.begin() as conn:
            user = await create_user(conn, email=SENDER, name="Rep")
        viewer = CurrentUser(user.id, SENDER, "Rep", "rep", None)
        await connect_through_emulator(ctx.engine, settings, emulator.url, viewer)
        body = {"to": [RECIPIENT], "subject": "Quote", "text": "x", "remind_days": 2}
        result = await send.send(ctx, viewer, body, "remind-1")
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        async with ctx.engine.begin() as conn:
            await conn.execute(update(follow_ups).values(due_at=past))
    assert result.thread_id
    return result.thread_id


async def _states(settings: Settings) -> list[str]:
    async with open_context(settings) as ctx, ctx.engine.connect() as conn:
        return [r.state for r in (await conn.execute(select(follow_ups))).all()]


def _wait_for(settings: Settings, state: str, within: float) -> None:
    deadline = time.monotonic() + within
    while asyncio.run(_states(settings)) != [state]:
        assert time.monotonic() < deadline, "the reminder was not checked in time"
        time.sleep(0.3)


def test_a_restarted_web_app_checks_it_with_the_embedded_scheduler(
    db_url: str, emulator: RunningEmulator
) -> None:
    settings, _ = stack_settings(db_url, emulator.url, magnet_poll_seconds="1")
    asyncio.run(_send_with_reminder(settings, emulator))
    assert asyncio.run(_states(settings)) == ["waiting"]
    with serve(create_app(settings), port=settings.port):
        _wait_for(settings, "notified", 45)
    assert asyncio.run(_states(settings)) == ["notified"]


def test_a_queue_worker_checks_it(
    pg_url: str, emulator: RunningEmulator, workers: list[Workers], tmp_path: Path
) -> None:
    settings, _ = stack_settings(pg_url, emulator.url, queue="procrastinate")
    asyncio.run(_send_with_reminder(settings, emulator))
    pool = Workers(pg_url, emulator.url, tmp_path / "runs.jsonl")
    workers.append(pool)
    pool.start()
    try:
        _wait_for(settings, "notified", 60)
    finally:
        pool.stop_all()
