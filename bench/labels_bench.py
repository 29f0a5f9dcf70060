"""Category labels at scale: one mailbox, 20,000 messages from 2,000 contacts, 100 ms latency.

Starts the Google emulator on a free loopback port, generates the mailbox straight into its
in-process state (fast; gpanel still reads it over HTTP), seeds a CRM of 2,000 contacts whose
deals put a quarter in each category (closing this month, open, customer, lost only) on SQLite,
connects the mailbox through the real OAuth flow, then times five label runs:

1. the first labelling pass (a full pass over the 30-day window): as many label runs as it
   takes, since a run checks at most 100 search hits and leaves the rest, cursor kept, to the
   next one (`--max-runs` bounds them; "left" says what the last run left);
2. a no-change pass (target: one Gmail call);
3. a pass after 20 new (unread) messages arrive;
4. a pass after 10 deals change stage;
5. a pass after those 20 messages are read (with `--inbox-mode once_read`, labelled ones
   still in the inbox leave it now; in the other modes the run reads history only).

For each it prints wall time, Gmail calls, sequential round trips and quota units from
gpanel's own counters, and the calls and units the emulator logged. Run from the repository
root:

    .venv/bin/python bench/labels_bench.py [--contacts 2000] [--per-contact 10] [--latency-ms 100]
        [--inbox-mode at_once|once_read|never] [--max-runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from gpanel.crm import deals, people
from gpanel.emulator.config import EmulatorConfig
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext, open_context
from gpanel.services.labels import state as labels_state
from gpanel.services.labels import switch as labels
from gpanel.services.labels.plan import InboxMode
from gpanel.services.labels.run import LabelRunReport, run_labels
from gpanel.services.ops import job_state
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.store.migrate import upgrade
from gpanel.store.tables import contact_emails, contacts
from tests.support.emulator import RunningEmulator, run_emulator
from tests.support.stack import stack_settings

REP = "bench.rep@brightwave.example"


async def seed_crm(ctx: AppContext, n_contacts: int) -> list[int]:
    """Contacts with one or two addresses; deal kinds cycle through the four categories."""
    today = dt.datetime.now(dt.UTC).date()
    now = dt.datetime.now(dt.UTC)
    deal_ids = []
    async with ctx.engine.begin() as conn:
        rows = [
            {
                "id": i + 1,
                "kind": "contact",
                "first_name": "C",
                "last_name": str(i),
                "title": "",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n_contacts)
        ]
        await conn.execute(insert(contacts), rows)
        emails = []
        for i in range(n_contacts):
            for k in range(1 + i % 2):
                address = f"c{i}.{k}@company{i % 97}.example"
                emails.append(
                    {"email": address, "folded": address, "contact_id": i + 1, "position": k}
                )
        await conn.execute(insert(contact_emails), emails)
        for i in range(n_contacts):
            stage, closing = [
                ("Proposal", today),
                ("Proposal", None),
                ("Closed Won", today - dt.timedelta(days=200)),
                ("Closed Lost", today),
            ][i % 4]
            deal = await deals.create_deal(
                conn, name=f"D{i}", stage=stage, closing_date=closing, primary_contact_id=i + 1
            )
            deal_ids.append(deal.id)
    return deal_ids


def seed_mail(emu: RunningEmulator, n_contacts: int, per_contact: int) -> None:
    rng = random.Random(7)
    box = emu.state.mailbox(REP)
    now_ms = int(time.time() * 1000)
    for i in range(n_contacts):
        for j in range(per_contact):
            address = f"c{i}.{j % (1 + i % 2)}@company{i % 97}.example"
            days = rng.uniform(0.5, 28) if j else rng.uniform(35, 60)
            raw = (
                f"From: C {i} <{address}>\r\nTo: {REP}\r\nSubject: s{i}-{j}\r\n"
                f"Message-ID: <b{i}.{j}@bench.example>\r\n\r\nbody\r\n"
            ).encode()
            labels_ = ["INBOX"] if rng.random() < 0.7 else []
            box.insert_raw(raw, labels_, now_ms - int(days * 86_400_000))


def emulator_usage(emu: RunningEmulator) -> tuple[int, int]:
    entries = emu.control.get("/_emulator/log", params={"user": REP}).json()["entries"]
    calls = [e for e in entries if e.get("method_id")]
    return len(calls), sum(int(e.get("quota_cost") or 0) for e in calls)


async def measure(
    ctx: AppContext, emu: RunningEmulator, mailbox_id: int, name: str, max_runs: int = 1
) -> dict[str, Any]:
    """One pass: label runs until none leaves search hits unchecked (a run checks at most
    `MAX_CHECKS_PER_RUN` hits and keeps its cursor for the rest), at most `max_runs` of them;
    calls, units and changes are summed over the runs."""
    emu.control.delete("/_emulator/log").raise_for_status()
    before = ctx.gmail.stats.snapshot().get(str(mailbox_id))
    start = time.perf_counter()
    runs, modified, modify_calls = 0, 0, 0
    while True:
        report: LabelRunReport = await run_labels(ctx, mailbox_id)
        runs += 1
        assert report.status == "done", (f"run {runs} of {name!r}", report)
        modified += report.modified
        modify_calls += report.modify_calls
        print(
            f"{name}, run {runs}: {report.kind} {report.reason!r}, {report.modified} changed, "
            f"{report.left} left, "
            f"{time.perf_counter() - start:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        if not report.left or runs >= max_runs:
            break
    wall = time.perf_counter() - start
    used = ctx.gmail.stats.snapshot().get(str(mailbox_id)).minus(before)
    log_calls, log_units = emulator_usage(emu)
    return {
        "pass": name,
        "kind": report.kind,
        "runs": runs,
        "left": report.left,
        "wall_s": round(wall, 2),
        "calls": used.calls,
        "round_trips": used.round_trips,
        "units": used.units,
        "emulator_calls": log_calls,
        "emulator_units": log_units,
        "modified": modified,
        "modify_calls": modify_calls,
        "methods": dict(used.methods),
    }


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="gpanel-labels-bench-"))
    db_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    upgrade(db_url)
    config = EmulatorConfig(auto_consent=True)
    with run_emulator(config) as emu:
        # run_emulator keeps 50 history records, as tests want; the bench runs the emulator's
        # default retention, or pass 5 would find its cursor expired and make a full pass.
        emu.control.put(
            "/_emulator/history", json={"retention": EmulatorConfig.history_retention}
        ).raise_for_status()
        emu.add_user(REP, "Bench Rep")
        t0 = time.perf_counter()
        seed_mail(emu, args.contacts, args.per_contact)
        seeded_mail = time.perf_counter() - t0
        settings, _ = stack_settings(db_url, emu.url)
        async with open_context(settings) as ctx:
            async with ctx.engine.begin() as conn:
                row = await people.create_user(conn, email=REP, name="Bench Rep", role="rep")
            user = CurrentUser(row.id, row.email, row.name, row.role, row.team_id)
            box = await connect_through_emulator(ctx.engine, settings, emu.url, user)
            await sharing.set_feature(ctx.engine, "role", "rep", Feature.LABELS, True)
            await job_state.set_magnet_enabled(ctx.engine, box.id, True)
            deal_ids = await seed_crm(ctx, args.contacts)
            await labels_state.set_inbox_mode(ctx.engine, box.id, InboxMode(args.inbox_mode))
            await labels.enable(ctx, user)
            emu.control.put(
                "/_emulator/latency", json={"latency_ms": args.latency_ms}
            ).raise_for_status()
            results = [await measure(ctx, emu, box.id, "first pass", args.max_runs)]
            results.append(await measure(ctx, emu, box.id, "no change"))
            mailbox = emu.state.mailbox(REP)
            new = [
                mailbox.insert_raw(
                    f"From: <c{n}.0@company{n % 97}.example>\r\nTo: {REP}\r\n"
                    f"Subject: new {n}\r\n\r\nx\r\n".encode(),
                    ["INBOX", "UNREAD"],
                ).id
                for n in range(20)
            ]
            results.append(await measure(ctx, emu, box.id, "20 new messages"))
            async with ctx.engine.begin() as conn:
                for deal_id in deal_ids[1:40:4]:  # ten open deals won
                    await deals.update_deal(conn, deal_id, {"stage": "Closed Won"})
            results.append(await measure(ctx, emu, box.id, "10 deals changed"))
            for message_id in new:
                mailbox.modify(message_id, add=[], remove=["UNREAD"])
            results.append(await measure(ctx, emu, box.id, "20 new messages read"))
    total = args.contacts * args.per_contact
    print(
        f"\n{total} messages from {args.contacts} contacts, latency {args.latency_ms} ms, "
        f"inbox mode {args.inbox_mode}, mail generated in {seeded_mail:.1f} s\n"
    )
    cols = [
        "pass",
        "kind",
        "runs",
        "left",
        "wall_s",
        "calls",
        "round_trips",
        "units",
        "emulator_calls",
        "emulator_units",
        "modified",
        "modify_calls",
    ]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in results:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    for r in results:
        print(f"{r['pass']}: {r['methods']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--per-contact", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument(
        "--inbox-mode", choices=[m.value for m in InboxMode], default=InboxMode.AT_ONCE.value
    )
    parser.add_argument(
        "--max-runs",
        type=int,
        default=200,
        help="label runs the first pass may take (each checks at most 100 search hits)",
    )
    asyncio.run(main(parser.parse_args()))
