"""The distributed path on real PostgreSQL with real `gpanel worker` subprocesses: mailboxes
spread over two workers and one mailbox's runs never overlap; a worker killed with SIGKILL in
the middle of a run, or inside MailMagnet's storage transaction, is replaced and its run retried
with nothing lost and nothing duplicated."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gpanel.crm.people import create_user
from gpanel.jobs.queue import defer_run, deferring
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext, open_context
from gpanel.services.magnet import run as magnet
from gpanel.services.ops import job_state
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.store.tables import magnet_hits, mailbox_jobs
from tests.jobs.conftest import Workers
from tests.jobs.support import CONTACT, LEAD, mail_from, seed_people
from tests.support.emulator import RunningEmulator
from tests.support.stack import stack_settings


@dataclass
class Fleet:
    ctx: AppContext
    boxes: dict[int, str]  # mailbox id -> address


@asynccontextmanager
async def fleet(db_url: str, emulator: RunningEmulator, n: int) -> AsyncIterator[Fleet]:
    """n connected mailboxes with MailMagnet on, and the CRM people of `seed_people`."""
    settings, _ = stack_settings(db_url, emulator.url, queue="procrastinate")
    async with open_context(settings) as ctx:
        await seed_people(ctx.engine)  # alice plus the contact and the lead
        boxes: dict[int, str] = {}
        for i in range(n):
            address = f"rep{i}@brightwave.example"
            emulator.add_user(address, f"Rep {i}")
            async with ctx.engine.begin() as conn:
                user = await create_user(conn, email=address, name=f"Rep {i}")
            box = await connect_through_emulator(
                ctx.engine,
                settings,
                emulator.url,
                CurrentUser(user.id, address, user.name, "rep", None),
            )
            await job_state.set_magnet_enabled(ctx.engine, box.id, True)
            boxes[box.id] = address
        yield Fleet(ctx, boxes)


async def _until(check: object, within: float = 60.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


async def _started(ctx: AppContext, boxes: dict[int, str]) -> bool:
    async with ctx.engine.connect() as conn:
        n = await conn.scalar(
            select(func.count())
            .select_from(mailbox_jobs)
            .where(mailbox_jobs.c.magnet_history_id.is_not(None))
        )
    return n == len(boxes)


async def _hit_ids(ctx: AppContext) -> list[tuple[int, str]]:
    async with ctx.engine.connect() as conn:
        rows = await conn.execute(select(magnet_hits.c.mailbox_id, magnet_hits.c.message_id))
        return sorted((r.mailbox_id, r.message_id) for r in rows)


def _events(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _max_overlap(events: list[dict[str, object]]) -> int:
    """The most runs of one (job, mailbox) open at the same instant, across processes."""
    worst = 0
    open_runs: dict[tuple[object, object], int] = {}
    for e in sorted(events, key=lambda e: (e["t"], e["event"] != "end")):
        key = (e["job"], e["mailbox"])
        open_runs[key] = open_runs.get(key, 0) + (1 if e["event"] == "start" else -1)
        worst = max(worst, open_runs[key])
    return worst


async def test_two_workers_spread_mailboxes_and_never_overlap(
    pg_url: str, emulator: RunningEmulator, workers: list[Workers], tmp_path: Path
) -> None:
    """Six mailboxes polled every second by two workers: every mailbox's new mail becomes hits
    once, both workers take runs, and no mailbox ever has two runs of a job at once."""
    emulator.control.put("/_emulator/latency", json={"latency_ms": 40, "jitter_ms": 40})
    async with fleet(pg_url, emulator, 6) as f:
        pool = Workers(pg_url, emulator.url, tmp_path / "runs.jsonl")
        workers.append(pool)
        pool.start()
        pool.start()
        await _until(lambda: _started(f.ctx, f.boxes))
        expected = []
        for box_id, address in f.boxes.items():
            for sender in (CONTACT, LEAD):
                message = emulator.insert(address, mail_from(sender, address))
                expected.append((box_id, message["id"]))
        await _until(lambda: _count_is(f.ctx, len(expected)))
        await asyncio.sleep(3)  # let more polls run, and overlap if they could
        pool.stop_all()
        assert await _hit_ids(f.ctx) == sorted(expected)
        events = _events(pool.log)
        runs = [e for e in events if e["event"] == "start" and e["job"] == "magnet"]
        assert len(runs) > 2 * len(f.boxes)
        assert {e["pid"] for e in runs} == {p.pid for p in pool.procs}
        assert _max_overlap(events) == 1


async def _count_is(ctx: AppContext, n: int) -> bool:
    return len(await _hit_ids(ctx)) == n


@pytest.mark.parametrize("push_while_stuck", [False, True], ids=["alone", "push-waiting"])
async def test_worker_killed_mid_run_is_retried_without_loss_or_duplicates(
    pg_url: str,
    emulator: RunningEmulator,
    workers: list[Workers],
    tmp_path: Path,
    push_while_stuck: bool,
) -> None:
    """SIGKILL a worker while its MailMagnet run waits on Gmail; a second worker retries the
    stalled run: every hit is stored once. With a push's run already waiting for the same
    mailbox (same queueing lock), the stalled run cannot go back to the queue: it is closed and
    the waiting run does the work, instead of both waiting on each other for ever."""
    async with fleet(pg_url, emulator, 1) as f:
        ((box_id, address),) = f.boxes.items()
        pool = Workers(pg_url, emulator.url, tmp_path / "runs.jsonl")
        workers.append(pool)
        first = pool.start()
        await _until(lambda: _started(f.ctx, f.boxes))
        emulator.control.post(
            "/_emulator/faults",
            json={
                "user": address,
                "method": "gmail.users.messages.get",
                "kind": "slow",
                "delay_ms": 30_000,
            },
        ).raise_for_status()
        ids = [emulator.insert(address, mail_from(s, address))["id"] for s in (CONTACT, LEAD)]
        inserted_at = time.time()

        async def stuck() -> bool:
            opened: dict[int, float] = {}
            for e in _events(pool.log):
                if e["pid"] == first.pid and e["job"] == "magnet":
                    if e["event"] == "start":
                        opened[first.pid] = float(e["t"])  # type: ignore[arg-type]
                    else:
                        opened.pop(first.pid, None)
            started = opened.get(first.pid)
            return started is not None and started > inserted_at and time.time() - started > 1

        await _until(stuck)
        if push_while_stuck:
            async with deferring(f.ctx) as queue_app:
                await defer_run(queue_app, "magnet", box_id)  # False if a push beat us to it
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        emulator.control.delete("/_emulator/faults")
        second = pool.start()
        await _until(lambda: _count_is(f.ctx, 2))
        await asyncio.sleep(2)
        assert await _hit_ids(f.ctx) == sorted((box_id, i) for i in ids)
        assert any(
            e["pid"] == second.pid and e["job"] == "magnet" and e["event"] == "end"
            for e in _events(pool.log)
        )


async def test_worker_killed_inside_storage_transaction_loses_nothing(
    pg_url: str, emulator: RunningEmulator, workers: list[Workers], tmp_path: Path
) -> None:
    """SIGKILL inside MailMagnet's storage transaction (hits inserted, cursor not moved): the
    transaction never commits, the stalled job is retried by another worker, hits stored once."""
    async with fleet(pg_url, emulator, 1) as f:
        ((box_id, address),) = f.boxes.items()
        pool = Workers(pg_url, emulator.url, tmp_path / "runs.jsonl")
        workers.append(pool)
        first = pool.start("--kill-at-store")
        await _until(lambda: _started(f.ctx, f.boxes))
        ids = [emulator.insert(address, mail_from(s, address))["id"] for s in (CONTACT, LEAD)]
        assert first.wait(timeout=60) == -signal.SIGKILL
        assert await _hit_ids(f.ctx) == []
        pool.start()
        await _until(lambda: _count_is(f.ctx, 2))
        await asyncio.sleep(2)
        assert await _hit_ids(f.ctx) == sorted((box_id, i) for i in ids)


async def test_process_killed_inside_storage_transaction_on_each_engine(
    db_url: str, emulator: RunningEmulator, workers: list[Workers], tmp_path: Path
) -> None:
    """The embedded path's version (SQLite and PostgreSQL): a process SIGKILLed inside the
    storage transaction leaves no hit and the old cursor; the next run stores each hit once."""
    from tests.jobs.support import ALICE, magnet_world

    emulator.add_user(ALICE)
    async with magnet_world(db_url, emulator.url) as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        before = await job_state.get(w.ctx.engine, w.mailbox_id)
        ids = [emulator.insert(ALICE, mail_from(s))["id"] for s in (CONTACT, LEAD)]
        pool = Workers(db_url, emulator.url, tmp_path / "runs.jsonl")
        workers.append(pool)
        proc = pool.start("--once", str(w.mailbox_id), "--kill-at-store")
        assert await asyncio.to_thread(proc.wait, 60) == -signal.SIGKILL
        assert await _hit_ids(w.ctx) == []
        after = await job_state.get(w.ctx.engine, w.mailbox_id)
        assert before is not None and after is not None
        assert after.magnet_history_id == before.magnet_history_id
        result = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert len(result.new_hits) == 2
        assert await _hit_ids(w.ctx) == sorted((w.mailbox_id, i) for i in ids)
