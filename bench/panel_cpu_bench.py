"""gpanel's own CPU per warm record-panel view: 250 rows from five mailboxes (Maria's 50
threads in each demo rep's mailbox, every rep sharing at Full detail), Alice viewing.

The emulator runs in a thread of this process, so gpanel's share is the main thread's CPU time
(`time.thread_time`), summed over `--views` warm views one after another and divided; with
`--profile`, the top of a cProfile of the same views by cumulative time. Three builds of the
same view, in the same run:

- **rebuilt**: every warm view built again from the cached reads (kept views switched off: the
  gate's queries, judging, de-duplication and rows each time; the figure before kept views);
- **kept, window 0**: the kept view, after the change stamp and one getProfile per mailbox;
- **kept, window 1 s**: as deployed by default: views within the validator window share one
  getProfile answer per mailbox.

The machine's load average is printed beside the figures (the machine is shared). Run from the
repository root:

    .venv/bin/python bench/panel_cpu_bench.py [--views 50] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import gc
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from gpanel.crm.models import RecordType
from gpanel.crm.seed import seed_demo_crm
from gpanel.demo.cast import REPS
from gpanel.emulator.config import EmulatorConfig
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import open_context
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.panel.gate import open_record
from gpanel.services.panel.inputs import visible_mailboxes
from gpanel.services.panel.view import record_threads, view_client
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Audience, Detail, Sharing
from gpanel.store.migrate import upgrade
from gpanel.store.tables import contacts, users
from tests.support.emulator import run_emulator
from tests.support.stack import stack_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panel_bench import seed_mail


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="gpanel-panel-cpu-"))
    db_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    upgrade(db_url)
    with run_emulator(EmulatorConfig(auto_consent=True)) as emu:
        for rep in REPS:
            emu.add_user(rep.email, rep.name)
        seed_mail(emu)
        # The emulator's mailboxes are not in a web process's heap: keep full collections
        # from scanning them (bench/panel_bench.py says what they cost otherwise).
        gc.collect()
        gc.freeze()
        settings, _ = stack_settings(db_url, emu.url)
        async with open_context(settings) as ctx:
            async with ctx.engine.begin() as conn:
                await seed_demo_crm(conn, dt.date.today())
                maria = int(
                    await conn.scalar(
                        select(contacts.c.id).where(contacts.c.external_id == "demo:maria")
                    )
                    or 0
                )
                rows = (await conn.execute(select(users))).all()
            people = {r.email: CurrentUser(r.id, r.email, r.name, r.role, r.team_id) for r in rows}
            for rep in REPS:
                await connect_through_emulator(ctx.engine, settings, emu.url, people[rep.email])
                await sharing.save_sharing(
                    ctx.engine,
                    people[rep.email].id,
                    rep.role,
                    Sharing(Audience.RECORD_ACCESS, Detail.FULL),
                )
            alice = people["alice@brightwave.example"]
            view = await record_threads(ctx, alice, RecordType.CONTACT, maria)  # cold
            assert len(view.rows) == 250 and not view.notices, (len(view.rows), view.notices)
            kept_lookup = ctx.views.lookup

            async def no_kept(*_: object) -> tuple[None, dict[int, str]]:
                return None, {}

            builds = {"rebuilt": (no_kept, 0.0), "kept, window 0": (kept_lookup, 0.0)}
            builds["kept, window 1 s"] = (kept_lookup, 1.0)
            figures: dict[str, list[float]] = {}
            prof = cProfile.Profile(time.thread_time) if args.profile else None
            for name, (lookup, window) in builds.items():
                ctx.views.lookup = lookup  # type: ignore[method-assign,assignment]
                ctx.panel.window = window
                for _ in range(3):  # warm up
                    await record_threads(ctx, alice, RecordType.CONTACT, maria)
                # CPU time of this thread, not wall time: the emulator thread holds the GIL.
                means = figures[name] = []
                for _ in range(args.rounds):
                    t0 = time.thread_time()
                    for _ in range(args.views):
                        if prof and name == args.profile_build:
                            prof.enable()
                        await record_threads(ctx, alice, RecordType.CONTACT, maria)
                        if prof:
                            prof.disable()
                    means.append((time.thread_time() - t0) / args.views * 1000)
            ctx.views.lookup = kept_lookup  # type: ignore[method-assign]
            ctx.panel.window = 0.0
            # The parts: the five getProfile calls alone, and the gate's database work alone.
            owners, _ = await visible_mailboxes(ctx.engine, alice)
            parts: dict[str, list[float]] = {"getProfile x5": [], "open_record (DB)": []}
            for _ in range(args.views):
                t0 = time.thread_time()
                await asyncio.gather(
                    *(ctx.panel.history_id(view_client(ctx, o.mailbox_id)) for o in owners)
                )
                parts["getProfile x5"].append(time.thread_time() - t0)
                t0 = time.thread_time()
                await open_record(ctx, alice, RecordType.CONTACT, maria)
                parts["open_record (DB)"].append(time.thread_time() - t0)
            for name, values in parts.items():
                print(f"  {name}: median {statistics.median(values) * 1000:.2f} ms")
            load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
            print(f"gpanel CPU per warm view of 250 rows, 5 mailboxes ({args.rounds} rounds of "
                  f"{args.views} views; load average {load}):")  # fmt: skip
            base = statistics.median(figures["rebuilt"])
            for name, means in figures.items():
                median = statistics.median(means)
                print(
                    f"  {name}: best round {min(means):.2f} ms, median round {median:.2f} ms "
                    f"({base / median:.1f}x less than rebuilt)"
                )
            if prof:
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats(args.sort).print_stats(args.top)
                print(out.getvalue())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-build", default="kept, window 0")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    asyncio.run(run(parser.parse_args()))
