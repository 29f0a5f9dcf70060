"""The calendar cache over the real wire (emulator on 127.0.0.1): a fresh entry answers with no
call; a stale one is revalidated with one sync-token read that brings only the change; a
sync token Google no longer knows (410) falls back to one full read; views of several
calendars read them concurrently (the slowest calendar's time, not the sum)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from gpanel.crm.seed import seed_demo_crm
from gpanel.demo.cast import REPS
from gpanel.emulator.config import EmulatorConfig
from gpanel.gmail.calendar import calendar_calls
from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.calendar.demo import add_calendar_through_emulator
from gpanel.services.calendar.reader import read_all
from gpanel.services.calendar.view import window
from gpanel.services.context import AppContext, open_context
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.panel.rules import MailboxOwner
from gpanel.services.sharing.policy import Person, Sharing
from gpanel.store.migrate import upgrade
from gpanel.store.tables import users
from tests.support.emulator import RunningEmulator, run_emulator
from tests.support.stack import stack_settings


@dataclass
class World:
    ctx: AppContext
    emu: RunningEmulator
    keys: dict[str, str]


@pytest.fixture
async def world(tmp_path: object) -> AsyncIterator[World]:
    db_url = f"sqlite+aiosqlite:///{tmp_path}/cal.db"
    upgrade(db_url)
    with run_emulator(EmulatorConfig(auto_consent=True)) as emu:
        settings, _ = stack_settings(db_url, emu.url)
        async with open_context(settings) as ctx:
            async with ctx.engine.begin() as conn:
                await seed_demo_crm(conn, dt.date.today())
                rows = {r.email: r for r in (await conn.execute(select(users))).all()}
            keys = {}
            for rep in REPS[:3]:
                emu.add_user(rep.email, rep.name)
                row = rows[rep.email]
                uid = row.id
                user = CurrentUser(uid, rep.email, rep.name, rep.role, row.team_id)
                await connect_through_emulator(ctx.engine, settings, emu.url, user)
                await add_calendar_through_emulator(ctx.engine, settings, emu.url, user)
                box = await mailboxes.for_user(ctx.engine, uid)
                assert box is not None
                keys[rep.email] = box.key
            yield World(ctx, emu, keys)


def _seed(emu: RunningEmulator, organiser: str, title: str, days: int) -> None:
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    emu.control.post(
        "/_emulator/calendar/events",
        json={
            "organiser": organiser,
            "event": {
                "summary": title,
                "start": {"dateTime": start.strftime(stamp)},
                "end": {"dateTime": (start + dt.timedelta(hours=1)).strftime(stamp)},
            },
        },
    ).raise_for_status()


def _calls(emu: RunningEmulator) -> list[str]:
    entries = emu.control.get("/_emulator/log").json()["entries"]
    return [e["path"] for e in entries if (e["method_id"] or "").startswith("calendar.")]


async def test_fresh_stale_and_expired_entries(world: World) -> None:
    """Fresh: no call. Stale: one sync-token read, the new event merged in. Expired token:
    one full read (after the 410) and the events are all there."""
    carla = REPS[2].email
    _seed(world.emu, carla, "First", 3)
    key, cache = world.keys[carla], world.ctx.calendar
    calls = calendar_calls(world.ctx.gmail, key)
    span = window(dt.datetime.now(dt.UTC))
    assert [e["summary"] for e in await cache.events(key, calls, span)] == ["First"]
    world.emu.control.delete("/_emulator/log")
    await cache.events(key, calls, span)
    assert _calls(world.emu) == [] and cache.full_reads == 1

    _seed(world.emu, carla, "Second", 4)
    cache.fresh_seconds = 0.0
    got = sorted(e["summary"] for e in await cache.events(key, calls, span))
    assert got == ["First", "Second"] and cache.sync_reads == 1 and cache.full_reads == 1

    cache._entries[key].sync_token = "CPbogus"  # a token Google no longer knows
    got = sorted(e["summary"] for e in await cache.events(key, calls, span))
    assert got == ["First", "Second"] and cache.full_reads == 2


async def test_concurrent_viewers_share_one_read(world: World) -> None:
    """Five views of one cold calendar at once: one events.list, the same events for all."""
    carla = REPS[2].email
    _seed(world.emu, carla, "Shared", 2)
    key, cache = world.keys[carla], world.ctx.calendar
    calls = calendar_calls(world.ctx.gmail, key)
    span = window(dt.datetime.now(dt.UTC))
    world.emu.control.delete("/_emulator/log")
    got = await asyncio.gather(*(cache.events(key, calls, span) for _ in range(5)))
    assert [[e["summary"] for e in g] for g in got] == [["Shared"]] * 5
    assert len(_calls(world.emu)) == 1 and cache.full_reads == 1


async def test_calendars_are_read_concurrently(world: World) -> None:
    """Three calendars at 300 ms latency each: reading them for one view takes about one
    calendar's time, not three."""
    owners = [
        MailboxOwner(int(world.keys[rep.email]), Person.of(100 + n, rep.role), rep.name, Sharing())
        for n, rep in enumerate(REPS[:3])
    ]
    world.emu.control.put("/_emulator/latency", json={"latency_ms": 300}).raise_for_status()
    t0 = time.perf_counter()
    reads, notices = await read_all(world.ctx, owners, window(dt.datetime.now(dt.UTC)))
    wall = time.perf_counter() - t0
    assert len(reads) == 3 and notices == []
    assert 0.3 <= wall < 0.75, wall  # one latency, not 0.9 s
