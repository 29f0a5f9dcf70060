"""The record panel's thread list against the emulator at 100 ms latency per Gmail request.

Starts the Google emulator on a free loopback port, seeds the demo CRM on SQLite, connects the
five demo reps' mailboxes through the real OAuth flow and gives each 50 threads with one
contact (Maria), then measures, through `services.panel.record_threads` (what every page and
the JSON API call):

1. cold view, one mailbox of 50 threads (Carla viewing her own);
2. the naive baseline on another mailbox of 50 threads: threads.list, then threads.get one by
   one;
3. cold view over five shared mailboxes (Alice, admin, viewing; 250 threads): wall time should
   be that of the slowest mailbox, not the sum;
4. warm view of the same (nothing changed in Gmail);
5. 50 concurrent viewers, warm: p50 and p95 of each view's wall time, with kept views off (every
   view rebuilt, the baseline) and on, one viewer and three in turn, validator window 0 and 1 s;
6. memory (with `--flood`): a flood of distinct queries through a panel reader whose cache is
   capped at `--cache-bytes`; the cache's own byte count and the process RSS;
7. a 20-row record (Tom, 20 threads of two messages in Carla's mailbox): cold with the plan
   gpanel chooses (target: <= 480 units in the 2026 regime), cold with the whole-thread plan
   (the old one), warm, and after one new message (only that row read again);
8. gpanel's own CPU per warm view of the 250 rows (main-thread CPU time: the emulator runs in a
   thread of its own), the mean of `--cpu-views` views, and with `--profile` the top of a
   cProfile of them.

Every figure is printed with the machine's load average at the time (the machine is shared).

For each: wall time, Gmail calls, sequential round trips per mailbox and quota units from
gpanel's counters, and the calls, units and any 429/403 the emulator logged. Run from the
repository root:

    .venv/bin/python bench/panel_bench.py [--latency-ms 100] [--cache-bytes 1000000]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]
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
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from email.utils import make_msgid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.engine import make_url

from gpanel.crm.models import RecordType
from gpanel.crm.seed import seed_demo_crm
from gpanel.demo.cast import REPS
from gpanel.emulator.config import EmulatorConfig
from gpanel.gmail import StatsSnapshot, participants_query
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext, open_context
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.panel.content_cache import ContentCache
from gpanel.services.panel.fetch import PanelFetcher
from gpanel.services.panel.view import record_threads, view_client
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Audience, Detail, Sharing
from gpanel.store.migrate import upgrade
from gpanel.store.tables import contacts, users
from tests.support.emulator import RunningEmulator, run_emulator
from tests.support.stack import stack_settings

MARIA = "maria.schneider@acme-logistics.example"
TOM = "tom.baker@acme-logistics.example"
THREADS = 50
RECORD_ROWS = 20
TARGET_UNITS = 480


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def seed_mail(emu: RunningEmulator) -> None:
    base = int(time.time() * 1000) - 86_400_000
    for r, rep in enumerate(REPS):
        box = emu.state.mailbox(rep.email)
        for n in range(THREADS):
            raw = (
                f"From: Maria Schneider <{MARIA}>\r\nTo: {rep.email}\r\n"
                f"Subject: Fleet question {r}-{n}\r\nMessage-ID: {make_msgid('bench')}\r\n"
                f"Date: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nBody {n}\r\n"
            ).encode()
            box.insert_raw(raw, ["INBOX", "UNREAD"], base + r * 1000 + n * 60_000)
        for n in range(THREADS):  # flood material: one distinct correspondent per thread
            raw = (
                f"From: <flood{r}.{n}@flood.example>\r\nTo: {rep.email}\r\n"
                f"Subject: Flood {r}-{n}\r\n\r\n{'x' * 400}\r\n"
            ).encode()
            box.insert_raw(raw, ["INBOX"], base + n)
    carla = next(r for r in REPS if r.key == "carla").email
    box = emu.state.mailbox(carla)
    for n in range(RECORD_ROWS):  # the 20-row record: Tom writes, Carla answers
        mid = make_msgid("bench")
        for k, (sender, to) in enumerate(((TOM, carla), (carla, TOM))):
            raw = (
                f"From: <{sender}>\r\nTo: {to}\r\nSubject: {'Re: ' * k}Rollout {n}\r\n"
                f"Message-ID: {mid if k == 0 else make_msgid('bench')}\r\n"
                + (f"In-Reply-To: {mid}\r\nReferences: {mid}\r\n" if k else "")
                + f"Date: Mon, 1 Jun 2026 11:00:00 +0000\r\n\r\nBody {n}\r\n"
            ).encode()
            box.insert_raw(raw, ["INBOX"], base + 3_600_000 + n * 60_000 + k * 1000)


def emulator_usage(emu: RunningEmulator) -> dict[str, Any]:
    entries = [e for e in emu.control.get("/_emulator/log").json()["entries"] if e["method_id"]]
    return {
        "emulator_calls": len(entries),
        "emulator_units": sum(e["quota_cost"] or 0 for e in entries),
        "refused": sum(1 for e in entries if e["status"] in (403, 429)),
    }


def usage(ctx: AppContext, before: StatsSnapshot, keys: list[str]) -> dict[str, Any]:
    after = ctx.gmail.stats.snapshot()
    per = [after.get(k).minus(before.get(k)) for k in keys]
    return {
        "calls": sum(p.calls for p in per),
        "round_trips": max((p.round_trips for p in per), default=0),
        "units": sum(p.units for p in per),
        "methods": dict(sum((Counter(dict(p.methods)) for p in per), Counter())),
    }


def forget_cache(ctx: AppContext) -> None:
    ctx.content_cache.clear()


async def timed_view(
    ctx: AppContext,
    emu: RunningEmulator,
    viewer: CurrentUser,
    keys: list[str],
    label: str,
    contact_id: int,
) -> dict[str, Any]:
    emu.control.delete("/_emulator/log").raise_for_status()
    before = ctx.gmail.stats.snapshot()
    t0 = time.perf_counter()
    view = await record_threads(ctx, viewer, RecordType.CONTACT, contact_id)
    wall = time.perf_counter() - t0
    assert not view.notices, view.notices
    return {
        "scenario": f"{label} ({load()})",
        "wall_s": round(wall, 3),
        "rows": len(view.rows),
        **usage(ctx, before, keys),
        **emulator_usage(emu),
    }


async def naive(ctx: AppContext, emu: RunningEmulator, key: str) -> dict[str, Any]:
    emu.control.delete("/_emulator/log").raise_for_status()
    before = ctx.gmail.stats.snapshot()
    client = view_client(ctx, int(key))
    t0 = time.perf_counter()
    (query,) = participants_query([MARIA])
    listed = await client.list_threads(query, max_results=THREADS)
    for thread in listed.get("threads", []):
        await client.get_thread(
            thread["id"],
            format="metadata",
            metadata_headers=("From", "To", "Cc", "Subject", "Date"),
        )
    wall = time.perf_counter() - t0
    return {
        "scenario": "naive baseline: list, then get each (1 mailbox)",
        "wall_s": round(wall, 3),
        "rows": len(listed.get("threads", [])),
        **usage(ctx, before, [key]),
        **emulator_usage(emu),
    }


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="gpanel-panel-bench-"))
    db_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    if args.postgres:
        name = f"gpanel_panel_bench_{os.getpid()}"
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        db_url = (
            make_url(args.postgres)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(False)
        )
    upgrade(db_url)
    try:
        await run(args, db_url)
    finally:
        if args.postgres:
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


async def run(args: argparse.Namespace, db_url: str) -> None:
    with run_emulator(EmulatorConfig(auto_consent=True)) as emu:
        for rep in REPS:
            emu.add_user(rep.email, rep.name)
        seed_mail(emu)
        # The emulator's mailboxes share this process's heap, which a web process's does not:
        # unfrozen, a full collection here took 100-136 ms and, landing in a burst, doubled its
        # p95. Frozen, collections scan gpanel's own objects only (the pauses are printed).
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
                tom = int(
                    await conn.scalar(
                        select(contacts.c.id).where(contacts.c.external_id == "demo:tom")
                    )
                    or 0
                )
                rows = (await conn.execute(select(users))).all()
            people = {r.email: CurrentUser(r.id, r.email, r.name, r.role, r.team_id) for r in rows}
            boxes = {}
            for rep in REPS:
                box = await connect_through_emulator(
                    ctx.engine, settings, emu.url, people[rep.email]
                )
                boxes[rep.key] = str(box.id)
            emu.control.put(
                "/_emulator/latency", json={"latency_ms": args.latency_ms}
            ).raise_for_status()
            carla, alice = people["carla@brightwave.example"], people["alice@brightwave.example"]
            results = [
                await timed_view(
                    ctx, emu, carla, [boxes["carla"]], "cold, 1 mailbox, 50 threads", maria
                )
            ]
            results.append(await naive(ctx, emu, boxes["ben"]))
            for rep in REPS:
                await sharing.save_sharing(
                    ctx.engine,
                    people[rep.email].id,
                    rep.role,
                    Sharing(Audience.RECORD_ACCESS, Detail.FULL),
                )
            forget_cache(ctx)
            keys = list(boxes.values())
            results.append(
                await timed_view(
                    ctx, emu, alice, keys, "cold, 5 shared mailboxes, 250 threads", maria
                )
            )
            results.append(
                await timed_view(ctx, emu, alice, keys, "warm, 5 shared mailboxes", maria)
            )
            ben = people["ben@brightwave.example"]
            concurrency: list[str] = []
            cases = (
                ("rebuilt (kept views off), 1 viewer", [alice], 0.0, False),
                ("kept, window 0, 1 viewer", [alice], 0.0, True),
                ("kept, window 0, 3 viewers", [alice, ben, carla], 0.0, True),
                ("kept, window 1 s, 3 viewers", [alice, ben, carla], 1.0, True),
                # A team's steady traffic: the last answer is half a window old.
                ("kept, window 1 s, answered 0.5 s before", [alice, ben, carla], 1.0, True),
            )
            for label, viewers, window, kept in cases:
                row, line = await concurrent_case(
                    ctx, emu, keys, maria, viewers, window=window, kept=kept, label=label
                )
                results.append(row)
                concurrency.append(line)
            cpu_ms, profile = await cpu_per_view(ctx, alice, maria, args)
            cpu_load = load()
            print("waiting 61 s for the per-mailbox quota window before the 20-row record...")
            await asyncio.sleep(61)
            results += await record_cases(ctx, emu, carla, [boxes["carla"]], tom)
            flood_line = ""
            if args.flood:
                print("waiting 61 s for the per-mailbox quota window before the flood...")
                await asyncio.sleep(61)
                flood_line, flood = await flood_case(ctx, emu, settings, boxes, args)
                results.append(flood)
    print_table(args, results)
    print("\n50 concurrent warm views of the 250 rows:")
    for line in concurrency:
        print("  " + line)
    print(
        f"gpanel CPU per warm view of 250 rows from 5 mailboxes: {cpu_ms:.2f} ms "
        f"(mean of {args.cpu_views}, {cpu_load})"
    )
    if flood_line:
        print(flood_line)
    if profile:
        print(profile)


async def concurrent_case(
    ctx: AppContext,
    emu: RunningEmulator,
    keys: list[str],
    contact_id: int,
    viewers: list[CurrentUser],
    *,
    window: float,
    kept: bool,
    label: str,
) -> tuple[dict[str, Any], str]:
    """50 warm views at once by `viewers` in turn: the row for the table and the p50/p95
    line. `kept=False` switches kept views off (every view rebuilt from the cached reads, the
    build before them); `window` is the validator window in seconds."""
    real_lookup = ctx.views.lookup

    async def no_kept(*_: object) -> tuple[None, dict[int, str]]:
        return None, {}

    ctx.views.lookup = real_lookup if kept else no_kept  # type: ignore[method-assign,assignment]
    ctx.panel.window = window
    pauses: list[float] = []
    started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started[0])

    try:
        for viewer in viewers:  # warm: each viewer's view built (and kept) once
            await record_threads(ctx, viewer, RecordType.CONTACT, contact_id)
        # The window from the warm-up is over, except in the steady-traffic case.
        await asyncio.sleep(window / 2 if "answered" in label else window + 0.05)
        emu.control.delete("/_emulator/log").raise_for_status()
        before = ctx.gmail.stats.snapshot()
        walls: list[float] = []

        async def one(viewer: CurrentUser) -> None:
            t0 = time.perf_counter()
            view = await record_threads(ctx, viewer, RecordType.CONTACT, contact_id)
            walls.append(time.perf_counter() - t0)
            assert len(view.rows) == 250 and not view.notices, (len(view.rows), view.notices)

        t0 = time.perf_counter()
        gc.callbacks.append(on_gc)
        await asyncio.gather(*(one(viewers[n % len(viewers)]) for n in range(50)))
        total = time.perf_counter() - t0
    finally:
        if on_gc in gc.callbacks:
            gc.callbacks.remove(on_gc)
        ctx.views.lookup = real_lookup  # type: ignore[method-assign]
        ctx.panel.window = 0.0
    walls.sort()
    row = {
        "scenario": f"50 concurrent warm views, 5 mailboxes: {label}",
        "wall_s": round(total, 3),
        "rows": 250,
        **usage(ctx, before, keys),
        **emulator_usage(emu),
    }
    p50, p95 = statistics.median(walls), walls[int(len(walls) * 0.95) - 1]
    longest = max(pauses, default=0.0) * 1000
    return row, (
        f"{label}: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; {len(pauses)} garbage "
        f"collections, longest {longest:.0f} ms ({load()})"
    )


async def cpu_per_view(
    ctx: AppContext, viewer: CurrentUser, contact_id: int, args: argparse.Namespace
) -> tuple[float, str]:
    """Main-thread CPU time of warm views, one after another (the emulator's own work is in
    its thread); with --profile, the cProfile top 25 by cumulative time."""
    await record_threads(ctx, viewer, RecordType.CONTACT, contact_id)  # warm
    prof = cProfile.Profile() if args.profile else None
    t0 = time.thread_time()
    for _ in range(args.cpu_views):
        if prof:
            prof.enable()
        await record_threads(ctx, viewer, RecordType.CONTACT, contact_id)
        if prof:
            prof.disable()
    per = (time.thread_time() - t0) / args.cpu_views * 1000
    if not prof:
        return per, ""
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
    return per, out.getvalue()


async def record_cases(
    ctx: AppContext, emu: RunningEmulator, viewer: CurrentUser, keys: list[str], tom: int
) -> list[dict[str, Any]]:
    """The 20-row record: cold (chosen plan), cold (whole threads, the old plan), warm, one
    new message."""
    out = []
    forget_cache(ctx)
    cold = await timed_view(ctx, emu, viewer, keys, "20-row record, cold, chosen plan", tom)
    cold["scenario"] += f", target <= {TARGET_UNITS} units"
    out.append(cold)
    out.append(await timed_view(ctx, emu, viewer, keys, "20-row record, warm", tom))
    box = emu.state.mailbox(next(r for r in REPS if r.key == "carla").email)
    with emu.state.lock:
        box.insert_raw(
            f"From: <{TOM}>\r\nTo: {viewer.email}\r\nSubject: One more\r\n\r\nHi\r\n".encode(),
            ["INBOX", "UNREAD"],
            int(time.time() * 1000),
        )
    moved = await timed_view(ctx, emu, viewer, keys, "20-row record, one new message", tom)
    out.append(moved)
    # The old plan, for the units beside: whole threads through the same reader.
    forget_cache(ctx)
    emu.control.delete("/_emulator/log").raise_for_status()
    before = ctx.gmail.stats.snapshot()
    queries = participants_query([TOM])
    t0 = time.perf_counter()
    read = await ctx.panel.read(
        view_client(ctx, int(keys[0])),
        int(keys[0]),
        queries,
        [None] * len(queries),
        page_size=THREADS,
    )
    out.append(
        {
            "scenario": f"20-row record, cold, whole threads (old plan) ({load()})",
            "wall_s": round(time.perf_counter() - t0, 3),
            "rows": len(read.threads),
            **usage(ctx, before, keys),
            **emulator_usage(emu),
        }
    )
    return out


async def flood_case(
    ctx: AppContext,
    emu: RunningEmulator,
    settings: Any,
    boxes: dict[str, str],
    args: argparse.Namespace,
) -> tuple[str, dict[str, Any]]:
    cache = ContentCache(args.cache_bytes, settings.cache_ttl_seconds)
    reader = PanelFetcher(cache)
    emu.control.delete("/_emulator/log").raise_for_status()
    peak = 0
    t0 = time.perf_counter()
    for n in range(THREADS):
        queries = [participants_query([f"flood{r}.{n}@flood.example"])[0] for r in range(len(REPS))]
        await asyncio.gather(
            *(
                reader.read(
                    view_client(ctx, int(boxes[rep.key])),
                    int(boxes[rep.key]),
                    [queries[r]],
                    [None],
                    page_size=THREADS,
                )
                for r, rep in enumerate(REPS)
            )
        )
        peak = max(peak, cache.bytes_used)
    flood = {
        "scenario": f"flood: {THREADS * len(REPS)} distinct queries, "
        f"cache cap {args.cache_bytes} B ({load()})",
        "wall_s": round(time.perf_counter() - t0, 3),
        "rows": len(cache),
        "calls": "",
        "round_trips": "",
        "units": "",
        "methods": {},
        **emulator_usage(emu),
    }
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = (
        f"flood: cache peak {peak} B of {args.cache_bytes} B cap, {len(cache)} entries; "
        f"process max RSS {rss_mb:.0f} MB"
    )
    return line, flood


def print_table(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    cols = [
        "scenario",
        "wall_s",
        "rows",
        "calls",
        "round_trips",
        "units",
        "emulator_calls",
        "emulator_units",
        "refused",
    ]
    print(f"\nlatency {args.latency_ms} ms per Gmail request, 2026 quota regime\n")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in results:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    for r in results:
        print(f"{r['scenario']}: {r['methods']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--cache-bytes", type=int, default=1_000_000)
    parser.add_argument("--flood", action="store_true", help="also run the memory flood")
    parser.add_argument("--cpu-views", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="cProfile the warm views")
    parser.add_argument(
        "--postgres",
        default="",
        help="a PostgreSQL server URL (postgresql://postgres@127.0.0.1:5432/test) "
        "to run on a fresh database there instead of SQLite",
    )
    asyncio.run(main(parser.parse_args()))
