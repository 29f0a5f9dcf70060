"""A MailMagnet job cycle over many mailboxes on the task queue: `gpanel worker` processes on
PostgreSQL, the emulator with injected latency, every mailbox due at once.

Sets up N connected mailboxes (through the real OAuth code) with MailMagnet on, starts W
`gpanel worker` subprocesses, and measures:
- cycle 0: the first run of every mailbox (token refresh + getProfile to take the cursor);
- cycles 1..k with no change: every mailbox made due at once (as when a poll interval ends);
  wall time from "due" to the last mailbox checked, Gmail calls per mailbox and quota units
  (from the emulator's request log).

    .venv/bin/python bench/cycle_bench.py --mailboxes 1000 --workers 2 --latency-ms 100
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from gpanel.crm.people import create_user  # noqa: E402
from gpanel.emulator.config import EmulatorConfig  # noqa: E402
from gpanel.services.accounts.sessions import CurrentUser  # noqa: E402
from gpanel.services.context import AppContext, open_context  # noqa: E402
from gpanel.services.ops import job_state  # noqa: E402
from gpanel.services.ops.demo_setup import connect_through_emulator  # noqa: E402
from gpanel.store.migrate import upgrade  # noqa: E402
from gpanel.store.tables import mailbox_jobs  # noqa: E402
from tests.support.emulator import RunningEmulator, run_emulator  # noqa: E402
from tests.support.stack import stack_settings  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


async def setup(ctx: AppContext, emu: RunningEmulator, n: int) -> None:
    settings = ctx.settings
    # One at a time: the emulator's queued consent answers are shared by every flow.
    sem = asyncio.Semaphore(1)

    async def one(i: int) -> None:
        address = f"m{i:04d}@bench.example"
        async with sem:
            await asyncio.to_thread(emu.add_user, address, f"M {i}")
            async with ctx.engine.begin() as conn:
                user = await create_user(conn, email=address, name=f"M {i}")
            box = await connect_through_emulator(
                ctx.engine, settings, emu.url, CurrentUser(user.id, address, user.name, "rep", None)
            )
            await job_state.set_magnet_enabled(ctx.engine, box.id, True)

    await asyncio.gather(*(one(i) for i in range(n)))


async def checked(ctx: AppContext) -> int:
    query = (
        select(func.count())
        .select_from(mailbox_jobs)
        .where(
            mailbox_jobs.c.magnet_history_id.is_not(None),
            mailbox_jobs.c.magnet_checked_at.is_not(None),
        )
    )
    async with ctx.engine.connect() as conn:
        return int(await conn.scalar(query) or 0)


async def wait_all(ctx: AppContext, n: int, limit: float = 900) -> float:
    start = time.monotonic()
    while await checked(ctx) < n:
        if time.monotonic() - start > limit:
            raise SystemExit("cycle did not finish in time")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def span(ctx: AppContext) -> float:
    """Seconds between the first and the last mailbox checked in this cycle (the work itself,
    without the wait for the next tick)."""
    query = select(
        func.min(mailbox_jobs.c.magnet_checked_at), func.max(mailbox_jobs.c.magnet_checked_at)
    )
    async with ctx.engine.connect() as conn:
        first, last = (await conn.execute(query)).one()
    return float((last - first).total_seconds())


def log_counts(emu: RunningEmulator) -> tuple[collections.Counter[str], int]:
    entries = emu.control.get("/_emulator/log").json()["entries"]
    methods = collections.Counter(str(e["method_id"]) for e in entries if e["method_id"])
    return methods, sum(int(e["quota_cost"] or 0) for e in entries)


async def run(args: argparse.Namespace) -> None:
    name = f"gpanel_bench_{secrets.token_hex(3)}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(db_url)
        with run_emulator(EmulatorConfig(latency_ms=args.latency_ms, auto_consent=True)) as emu:
            settings, env = stack_settings(
                db_url,
                emu.url,
                queue="procrastinate",
                magnet_poll_seconds=str(args.poll),
                log_level="WARNING",
            )
            async with open_context(settings) as ctx:
                t = time.monotonic()
                await setup(ctx, emu, args.mailboxes)
                print(
                    f"set up {args.mailboxes} mailboxes in {time.monotonic() - t:.1f} s", flush=True
                )
                emu.control.delete("/_emulator/log")
                worker_env = {**os.environ, **env}
                for i in range(args.workers):
                    # Starting a process is quick; its output goes to our terminal.
                    procs.append(
                        subprocess.Popen(  # noqa: ASYNC220
                            [
                                str(ROOT / ".venv/bin/gpanel"),
                                "worker",
                                "--concurrency",
                                str(args.concurrency),
                                "--name",
                                f"bench-{i}",
                            ],
                            cwd=ROOT,
                            env=worker_env,
                        )
                    )
                rows = []
                wall = await wait_all(ctx, args.mailboxes)
                methods, units = log_counts(emu)
                rows.append(("0 (first run: cursor)", wall, await span(ctx), methods, units))
                for c in range(1, args.cycles + 1):
                    emu.control.delete("/_emulator/log")
                    async with ctx.engine.begin() as conn:
                        await conn.execute(update(mailbox_jobs).values(magnet_checked_at=None))
                    wall = await wait_all(ctx, args.mailboxes)
                    await asyncio.sleep(0.5)
                    methods, units = log_counts(emu)
                    rows.append((f"{c} (no change)", wall, await span(ctx), methods, units))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    n = args.mailboxes
    print(
        f"\n{n} mailboxes, {args.workers} workers x concurrency {args.concurrency}, "
        f"emulator latency {args.latency_ms:.0f} ms, poll {args.poll} s"
    )
    print(
        "| cycle | due -> all checked | first -> last run | Gmail calls | per mailbox "
        "| quota units | methods |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, wall, work, methods, units in rows:
        total = sum(methods.values())
        detail = ", ".join(f"{k.removeprefix('gmail.users.')} {v}" for k, v in methods.items())
        print(
            f"| {label} | {wall:.1f} s | {work:.1f} s | {total} | {total / n:.2f} | {units} "
            f"| {detail} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mailboxes", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--poll", type=int, default=600)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
