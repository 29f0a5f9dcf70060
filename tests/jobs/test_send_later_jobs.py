"""Send later survives a restart of gpanel and runs under both schedulers.

A message is scheduled by one gpanel (a Gmail draft plus a row of ids and a time), that gpanel
goes away, and a fresh one finds the draft by its id when due: the embedded scheduler of a
newly started web app (SQLite and PostgreSQL), and a real `gpanel worker` subprocess on the
procrastinate queue (PostgreSQL). Either way the message reaches the recipient's emulator
mailbox exactly once and the row says `sent`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

from sqlalchemy import select

from gpanel.app import create_app
from gpanel.crm.people import create_user
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import open_context
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.sending import send
from gpanel.settings import Settings
from gpanel.store.tables import scheduled_sends
from tests.jobs.conftest import Workers
from tests.support.emulator import RunningEmulator
from tests.support.servers import serve
from tests.support.stack import stack_settings

SENDER = "rep@brightwave.example"
RECIPIENT = "peer@brightwave.example"


async def _schedule(settings: Settings, emulator: RunningEmulator, seconds: float) -> str:
    """As a gpanel that then stops: a connected sender schedules one message."""
    emulator.add_user(SENDER, "Rep")
    emulator.add_user(RECIPIENT, "Peer")
    async with open_context(settings) as ctx:
        async with ctx.engine.begin() as conn:
            user = await create_user(conn, email=SENDER, name="Rep")
        viewer = CurrentUser(user.id, SENDER, "Rep", "rep", None)
        await connect_through_emulator(ctx.engine, settings, emulator.url, viewer)
        when = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat()
        body = {"to": [RECIPIENT], "subject": "Scheduled", "text": "x", "send_at": when}
        result = await send.send(ctx, viewer, body, "later-1")
    assert result.draft_id
    return result.draft_id


def _delivered(emulator: RunningEmulator) -> int:
    return len(emulator.state.mailbox(RECIPIENT).messages)


async def _state(settings: Settings) -> list[str]:
    async with open_context(settings) as ctx, ctx.engine.connect() as conn:
        return [r.state for r in (await conn.execute(select(scheduled_sends))).all()]


def _wait(check: object, within: float = 45.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not sent in time"
        time.sleep(0.2)


def test_a_restarted_web_app_sends_it_with_the_embedded_scheduler(
    db_url: str, emulator: RunningEmulator
) -> None:
    """Scheduled by one gpanel; a new web app (embedded scheduler) sends it when due."""
    settings, _ = stack_settings(db_url, emulator.url, magnet_poll_seconds="1")
    draft_id = asyncio.run(_schedule(settings, emulator, 1.0))
    assert _delivered(emulator) == 0
    with serve(create_app(settings), port=settings.port):
        _wait(lambda: _delivered(emulator) == 1)
        time.sleep(1.5)  # more ticks: still one message
    assert _delivered(emulator) == 1
    assert draft_id not in emulator.state.mailbox(SENDER).drafts
    assert asyncio.run(_state(settings)) == ["sent"]


def test_a_queue_worker_sends_it(
    pg_url: str, emulator: RunningEmulator, workers: list[Workers], tmp_path: Path
) -> None:
    """Scheduled by one gpanel; a `gpanel worker` on procrastinate sends it when due."""
    settings, _ = stack_settings(pg_url, emulator.url, queue="procrastinate")
    asyncio.run(_schedule(settings, emulator, 1.0))
    pool = Workers(pg_url, emulator.url, tmp_path / "runs.jsonl")
    workers.append(pool)
    pool.start()
    _wait(lambda: _delivered(emulator) == 1, within=60)
    time.sleep(2)
    pool.stop_all()
    assert _delivered(emulator) == 1
    assert asyncio.run(_state(settings)) == ["sent"]
