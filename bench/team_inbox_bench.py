"""The team inbox of 200 threads against the emulator at 100 ms latency per Gmail request.

Starts the Google emulator (strict search: by words, as Gmail) on a free loopback port, a
gpanel context on SQLite (or PostgreSQL with `--postgres`), connects a team mailbox
(sales@brightwave.example, owned by a team account) through the real OAuth flow, gives it to a
team whose member Ben is its dispatcher, puts 200 customer threads in its inbox (each from one
of 40 senders, 20 of them CRM contacts), then measures, through
`services.team_mailboxes.inbox.read_inbox` (what the team inbox page and
`GET /api/team-mailboxes/{id}/threads` call):

1. cold, first page (50 newest threads; the content cache empty, no thread known to gpanel);
2. warm, first page (nothing changed in Gmail);
3. cold, all 200 threads (the four pages one after another, following the page token);
4. warm, all 200 threads;
5. warm first page after one new customer message (only what changed read again);
6. the naive baseline measured in the same run on the same mailbox: threads.list of the 200
   threads, then threads.get (metadata) one by one.

For each: wall time, Gmail calls, sequential round trips and quota units from gpanel's own
counters (`GmailClient.stats`), the calls and units the emulator logged, and the machine's
load average at the time (the machine is shared). Run from the repository root:

    .venv/bin/python bench/team_inbox_bench.py [--latency-ms 100] [--threads 200] [--pause 61]
        [--regime 2026|legacy]

A case that runs into the mailbox's quota budget (80% of Google's per-user minute for views)
is reported with the rows read until then and the refusal, not hidden; the cold cases after
the first wait `--pause` seconds so that each starts on an empty quota minute.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, update

from gpanel.crm import contacts, people
from gpanel.emulator.config import EmulatorConfig
from gpanel.gmail import GmailError, StatsSnapshot
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext, open_context
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.team_mailboxes import inbox
from gpanel.services.team_mailboxes.access import open_box
from gpanel.store.migrate import upgrade
from gpanel.store.tables import (
    team_mailbox_dispatchers,
    team_mailbox_teams,
    team_mailboxes,
    teams,
    users,
)
from tests.support.emulator import RunningEmulator, run_emulator
from tests.support.stack import stack_settings

SALES = "sales@brightwave.example"
BEN = "ben.bench@brightwave.example"
SENDERS = 40


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def seed_mail(emu: RunningEmulator, threads: int) -> None:
    box = emu.state.mailbox(SALES)
    base = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp() * 1000)
    for n in range(threads):
        sender = f"buyer{n % SENDERS}@customer{n % SENDERS}.example"
        raw = (
            f"From: Buyer {n % SENDERS} <{sender}>\r\nTo: {SALES}\r\n"
            f"Subject: Request {n}\r\nMessage-ID: <bench{n}@customer.example>\r\n"
            "Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nPlease quote.\r\n"
        ).encode()
        box.insert_raw(raw, ["INBOX", "UNREAD"], base + n * 60_000)


def emulator_usage(emu: RunningEmulator) -> dict[str, Any]:
    entries = [e for e in emu.control.get("/_emulator/log").json()["entries"] if e["method_id"]]
    return {
        "emu_calls": len(entries),
        "emu_units": sum(e["quota_cost"] or 0 for e in entries),
        "refused": sum(1 for e in entries if e["status"] in (403, 429)),
    }


def usage(ctx: AppContext, before: StatsSnapshot, key: str) -> dict[str, Any]:
    got = ctx.gmail.stats.snapshot().get(key).minus(before.get(key))
    return {"calls": got.calls, "round_trips": got.round_trips, "units": got.units}


async def measure(
    ctx: AppContext, emu: RunningEmulator, key: str, label: str, work: Any
) -> dict[str, Any]:
    emu.control.delete("/_emulator/log").raise_for_status()
    before = ctx.gmail.stats.snapshot()
    started = time.perf_counter()
    progress: list[int] = [0]
    error = ""
    try:
        await work(progress)
    except GmailError as exc:  # the budget's refusal is a result, not a crash
        error = f"{type(exc).__name__}: {exc.user_message}"
    wall = time.perf_counter() - started
    return {
        "scenario": f"{label} ({load()})",
        "wall_s": round(wall, 3),
        "rows": progress[0],
        "error": error,
        **usage(ctx, before, key),
        **emulator_usage(emu),
    }


async def setup(ctx: AppContext, settings: Any, emu: RunningEmulator) -> tuple[int, CurrentUser]:
    now = dt.datetime.now(dt.UTC)
    async with ctx.engine.begin() as conn:
        team_id = (
            await conn.execute(
                insert(teams).values(name="Sales", created_at=now).returning(teams.c.id)
            )
        ).scalar_one()
        account = await people.create_user(conn, email=SALES, name="Sales", role="rep")
        await conn.execute(update(users).where(users.c.id == account.id).values(team_account=True))
        ben = await people.create_user(conn, email=BEN, name="Ben", role="rep", team_id=team_id)
        for n in range(0, SENDERS, 2):
            await contacts.create_contact(
                conn,
                first_name="Buyer",
                last_name=str(n),
                emails=[f"buyer{n}@customer{n}.example"],
            )
    owner = CurrentUser(account.id, account.email, account.name, account.role, None)
    box = await connect_through_emulator(ctx.engine, settings, emu.url, owner)
    async with ctx.engine.begin() as conn:
        box_id = (
            await conn.execute(
                insert(team_mailboxes)
                .values(
                    mailbox_id=box.id,
                    name="Sales",
                    banner_statuses=["unassigned", "assigned", "overdue"],
                    created_at=now,
                    updated_at=now,
                )
                .returning(team_mailboxes.c.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(team_mailbox_teams).values(team_mailbox_id=box_id, team_id=team_id)
        )
        await conn.execute(
            insert(team_mailbox_dispatchers).values(team_mailbox_id=box_id, user_id=ben.id)
        )
    return int(box_id), CurrentUser(ben.id, ben.email, ben.name, ben.role, team_id)


async def run(args: argparse.Namespace, db_url: str) -> list[dict[str, Any]]:
    config = EmulatorConfig(auto_consent=True, search_mode="strict", quota_regime=args.regime)
    with run_emulator(config) as emu:
        emu.add_user(SALES, "Brightwave Sales")
        seed_mail(emu, args.threads)
        settings, _ = stack_settings(db_url, emu.url, gmail_quota_regime=args.regime)
        async with open_context(settings) as ctx:
            box_id, ben = await setup(ctx, settings, emu)
            access = await open_box(ctx, ben, box_id)
            key = str(access.box.mailbox_id)
            emu.control.put(
                "/_emulator/latency", json={"latency_ms": args.latency_ms}
            ).raise_for_status()

            async def first_page(progress: list[int]) -> None:
                progress[0] = len((await inbox.read_inbox(ctx, access)).rows)

            async def all_pages(progress: list[int]) -> None:
                page = None
                while True:
                    got = await inbox.read_inbox(ctx, access, page=page)
                    progress[0] += len(got.rows)
                    page = got.next_page
                    if not page:
                        return

            async def pause() -> None:
                # Each cold case starts on an empty quota minute, as a separate moment would.
                await asyncio.sleep(args.pause)

            async def naive(progress: list[int]) -> None:
                client = ctx.gmail.mailbox(key)
                listed: list[dict[str, Any]] = []
                token = None
                while True:
                    page = await client.list_threads("in:inbox", max_results=100, page_token=token)
                    listed += page.get("threads", [])
                    token = page.get("nextPageToken")
                    if not token:
                        break
                for t in listed:
                    await client.get_thread(
                        t["id"], format="metadata", metadata_headers=("From", "Subject", "Date")
                    )
                    progress[0] += 1

            results = [await measure(ctx, emu, key, "cold, first page of 50", first_page)]
            results.append(await measure(ctx, emu, key, "warm, first page of 50", first_page))
            ctx.content_cache.clear()
            await pause()
            results.append(
                await measure(ctx, emu, key, f"cold, all {args.threads} (4 pages)", all_pages)
            )
            results.append(
                await measure(ctx, emu, key, f"warm, all {args.threads} (4 pages)", all_pages)
            )
            emu.state.mailbox(SALES).insert_raw(
                (
                    f"From: New <new@customer.example>\r\nTo: {SALES}\r\nSubject: New\r\n"
                    "Message-ID: <bench-new@customer.example>\r\n\r\nHi\r\n"
                ).encode(),
                ["INBOX", "UNREAD"],
            )
            results.append(
                await measure(ctx, emu, key, "warm first page, 1 new message", first_page)
            )
            await pause()
            results.append(
                await measure(ctx, emu, key, "naive baseline: list, then get each", naive)
            )
            return results


def print_table(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    cols = ["scenario", "wall_s", "rows", "calls", "round_trips", "units", "emu_calls"]
    cols += ["emu_units", "refused", "error"]
    print(
        f"\nlatency {args.latency_ms} ms per request, strict search, {args.regime} quota regime\n"
    )
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in results:
        print("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(db_url)
        results = await run(args, db_url)
    print_table(args, results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--threads", type=int, default=200)
    parser.add_argument("--regime", default="2026", choices=["2026", "legacy"])
    parser.add_argument("--pause", type=float, default=61.0, help="seconds before cold cases")
    asyncio.run(main(parser.parse_args()))
