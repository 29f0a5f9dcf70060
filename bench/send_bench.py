"""Send latency against the emulator at 100 ms per Gmail request: from the API call to the
message in the recipient's emulator mailbox.

Starts the Google emulator on a free loopback port, seeds the demo CRM on SQLite, connects
Carla's mailbox (the demo's verified alias with a signature included) through the real OAuth
flow, and measures `services.sending.send.send` (what `POST /api/mail/send` runs) for:

1. a new message to a colleague (Ben, a seeded mailbox), with an Idempotency-Key;
2. the same request repeated (the key's first answer; nothing sent);
3. a template rendered for a contact, from the alias;
4. reply all in a thread of Carla's (the thread read once, then the send);
5. send later (a Gmail draft and a row), then the `send_due` job sending it.

For each: wall time until the message is in Ben's mailbox (or the call returned, when nothing
is delivered), Gmail calls, sequential round trips and quota units from gpanel's counters.
Run from the repository root:

    .venv/bin/python bench/send_bench.py [--latency-ms 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from gpanel.crm.seed import seed_demo_crm
from gpanel.demo.cast import REPS
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.state import SendAsAlias
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext, open_context
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.sending import later, send, templates
from gpanel.store.migrate import upgrade
from gpanel.store.tables import contacts, users
from tests.support.emulator import run_emulator
from tests.support.stack import stack_settings

CARLA = "carla@brightwave.example"
BEN = "ben@brightwave.example"
MARIA = "maria.schneider@acme-logistics.example"


async def measure(
    ctx: AppContext,
    key: str,
    label: str,
    work: Callable[[], Awaitable[object]],
    arrived: Callable[[], bool],
    runs: int,
) -> dict[str, Any]:
    walls: list[float] = []
    diff = None
    for _ in range(runs):
        before = ctx.gmail.stats.snapshot()
        t0 = time.perf_counter()
        await work()
        # The emulator delivers before it answers, so the message is there when the call ends.
        assert arrived(), label
        walls.append(time.perf_counter() - t0)
        diff = ctx.gmail.stats.snapshot().get(key).minus(before.get(key))
    assert diff is not None
    return {
        "scenario": label,
        "median_s": statistics.median(walls),
        "max_s": max(walls),
        "calls": diff.calls,
        "round_trips": diff.round_trips,
        "units": diff.units,
        "methods": dict(diff.methods),
    }


async def run(args: argparse.Namespace, db_url: str) -> None:
    with run_emulator(EmulatorConfig(auto_consent=True)) as emu:
        for rep in REPS:
            box = emu.state.add_user(rep.email, rep.name)
            for alias in rep.aliases:
                box.aliases[alias.email.lower()] = SendAsAlias(
                    alias.email, alias.name, alias.signature, alias.verified
                )
        ben_box = emu.state.mailbox(BEN)
        carla_box = emu.state.mailbox(CARLA)
        original = EmailMessage()
        original["From"], original["To"], original["Cc"] = MARIA, CARLA, BEN
        original["Subject"], original["Message-ID"] = "Fleet renewal", make_msgid("bench")
        original.set_content("Our proposal.")
        thread = carla_box.insert_raw(bytes(original), ["INBOX"])
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
                row = (await conn.execute(select(users).where(users.c.email == CARLA))).one()
            carla = CurrentUser(row.id, row.email, row.name, row.role, row.team_id)
            mailbox = await connect_through_emulator(ctx.engine, settings, emu.url, carla)
            key = str(mailbox.id)
            template = await templates.create_template(
                ctx.engine,
                carla,
                {"name": "Intro", "subject": "Hello {{contact.first_name}}", "text": "Hi."},
            )
            emu.control.put(
                "/_emulator/latency", json={"latency_ms": args.latency_ms}
            ).raise_for_status()
            count = [0]

            def delivered() -> Callable[[], bool]:
                want = len(ben_box.messages) + 1
                return lambda: len(ben_box.messages) >= want

            def returned() -> bool:
                return True

            async def fresh() -> None:
                count[0] += 1
                body = {"to": [BEN], "subject": f"Note {count[0]}", "text": "x"}
                await send.send(ctx, carla, body, f"bench-{count[0]}")

            results = []
            arrival = delivered()

            async def plain() -> None:
                nonlocal arrival
                arrival = delivered()
                await fresh()

            results.append(
                await measure(
                    ctx, key, "new message, Idempotency-Key", plain, lambda: arrival(), args.runs
                )
            )
            body = {"to": [BEN], "subject": "Repeat", "text": "x"}
            await send.send(ctx, carla, body, "bench-repeat")
            results.append(
                await measure(
                    ctx,
                    key,
                    "same key repeated (nothing sent)",
                    lambda: send.send(ctx, carla, body, "bench-repeat"),
                    returned,
                    args.runs,
                )
            )

            async def templated() -> None:
                nonlocal arrival
                arrival = delivered()
                await send.send(
                    ctx,
                    carla,
                    {
                        "from": "sales@brightwave.example",
                        "to": [BEN],
                        "template_id": template.id,
                        "record": {"type": "contact", "id": maria},
                    },
                    None,
                )

            results.append(
                await measure(
                    ctx,
                    key,
                    "template for a contact, from the alias",
                    templated,
                    lambda: arrival(),
                    args.runs,
                )
            )

            async def reply_all() -> None:
                nonlocal arrival
                arrival = delivered()
                reply = {
                    "mailbox_id": mailbox.id,
                    "thread_id": thread.thread_id,
                    "message_id": thread.id,
                    "mode": "reply_all",
                }
                await send.send(ctx, carla, {"text": "Thanks", "reply_to": reply}, None)

            results.append(
                await measure(
                    ctx, key, "reply all in a thread", reply_all, lambda: arrival(), args.runs
                )
            )

            async def send_later() -> None:
                nonlocal arrival
                arrival = delivered()
                now = dt.datetime.now(dt.UTC).isoformat()
                body = {"to": [BEN], "subject": "Later", "text": "x", "send_at": now}
                await send.send(ctx, carla, body, None)
                await later.send_due(ctx)

            results.append(
                await measure(
                    ctx,
                    key,
                    "send later: draft, then the job sends it",
                    send_later,
                    lambda: arrival(),
                    args.runs,
                )
            )
    print(f"\nlatency {args.latency_ms} ms per Gmail request, {args.runs} runs each\n")
    print(
        "| scenario | median | max | Gmail calls | sequential round trips | quota units | methods |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        methods = ", ".join(f"{k.split('.', 2)[-1]} {v}" for k, v in sorted(r["methods"].items()))
        print(
            f"| {r['scenario']} | {r['median_s']:.2f} s | {r['max_s']:.2f} s | {r['calls']} | "
            f"{r['round_trips']} | {r['units']} | {methods} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gpanel-send-bench-"))
    db_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    upgrade(db_url)
    asyncio.run(run(args, db_url))


if __name__ == "__main__":
    main()
