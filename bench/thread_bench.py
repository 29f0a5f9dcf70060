"""Opening a thread against the emulator at 100 ms latency per Gmail request.

Starts the Google emulator on a free loopback port, seeds the demo CRM on SQLite, connects
Carla's mailbox through the real OAuth flow and gives it a thread of three messages with a
contact (Maria: HTML, a cid image, a PDF), then measures, through what every thread path runs
(`threads.authorize_thread`, then `thread_view.build_page` for the page):

1. cold open (nothing cached): must be 1 sequential round trip;
2. warm open (nothing changed in Gmail): only the history-id check (getProfile, 1 unit);
3. open after an unrelated change in the mailbox: the check, then the thread again;
4. an action (star) then the open that follows it: the action's own call, then warm;
5. an attachment download from the cached thread: the check and attachments.get;
6. cold open of a thread whose body is 10 MB (Gmail sends it apart): one more round trip;
7. the naive baseline: messages.list for the thread's messages, then messages.get each.

For each: wall time, Gmail calls, sequential round trips and quota units from gpanel's
counters, and the calls and units the emulator logged. Run from the repository root:

    .venv/bin/python bench/thread_bench.py [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from gpanel.crm.models import RecordType
from gpanel.crm.seed import seed_demo_crm
from gpanel.demo.cast import REPS
from gpanel.emulator.config import EmulatorConfig
from gpanel.gmail import StatsSnapshot
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.context import AppContext, open_context
from gpanel.services.ops.demo_setup import connect_through_emulator
from gpanel.services.threads.actions import Action, apply_action
from gpanel.services.threads.gate import VIEW_RETRY, authorize_thread
from gpanel.services.threads.view import Links, build_page
from gpanel.store.migrate import upgrade
from gpanel.store.tables import contacts, users
from tests.support.emulator import RunningEmulator, run_emulator
from tests.support.stack import stack_settings

MARIA = "maria.schneider@acme-logistics.example"
CARLA = "carla@brightwave.example"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f1b1d60000000049454e44ae426082"
)
LINKS = Links(
    "http://127.0.0.1:8000",
    ("/img", "/records/"),
    lambda m, p, i: f"http://127.0.0.1:8000/records/a/{m}/{p}",
    lambda m, u: u,
)


def message(subject: str, body: str, refs: str = "", big: bool = False) -> tuple[bytes, str]:
    msg = EmailMessage()
    msg["From"] = f"Maria Schneider <{MARIA}>"
    msg["To"] = CARLA
    msg["Subject"] = subject
    msg["Message-ID"] = mid = make_msgid("bench")
    if refs:
        msg["In-Reply-To"] = msg["References"] = refs
    msg.set_content(body)
    if not big:
        msg.add_alternative(f"<p>{body}</p><img src='cid:logo@bench'>", subtype="html")
        msg.get_payload()[1].add_related(PNG, "image", "png", cid="<logo@bench>")  # type: ignore[index]
        msg.add_attachment(
            b"%PDF-1.4\n" + b"0" * 50_000,
            maintype="application",
            subtype="pdf",
            filename="proposal.pdf",
        )
    return bytes(msg), mid


def emulator_usage(emu: RunningEmulator) -> dict[str, Any]:
    entries = [e for e in emu.control.get("/_emulator/log").json()["entries"] if e["method_id"]]
    return {
        "emulator_calls": len(entries),
        "emulator_units": sum(e["quota_cost"] or 0 for e in entries),
    }


def usage(ctx: AppContext, before: StatsSnapshot, key: str) -> dict[str, Any]:
    diff = ctx.gmail.stats.snapshot().get(key).minus(before.get(key))
    return {
        "calls": diff.calls,
        "round_trips": diff.round_trips,
        "units": diff.units,
        "methods": dict(Counter(dict(diff.methods))),
    }


async def measure(
    ctx: AppContext,
    emu: RunningEmulator,
    key: str,
    label: str,
    work: Callable[[], Awaitable[object]],
) -> dict[str, Any]:
    emu.control.delete("/_emulator/log").raise_for_status()
    before = ctx.gmail.stats.snapshot()
    t0 = time.perf_counter()
    await work()
    wall = time.perf_counter() - t0
    return {
        "scenario": label,
        "wall_s": round(wall, 3),
        **usage(ctx, before, key),
        **emulator_usage(emu),
    }


async def run(args: argparse.Namespace, db_url: str) -> None:
    with run_emulator(EmulatorConfig(auto_consent=True)) as emu:
        for rep in REPS:
            emu.add_user(rep.email, rep.name)
        box = emu.state.mailbox(CARLA)
        first, mid = message("Fleet renewal", "Here is our proposal.")
        thread_id = box.insert_raw(first, ["INBOX", "UNREAD"]).thread_id
        for n in range(2):
            raw, mid = message("Re: Fleet renewal", f"Follow-up {n}.", refs=mid)
            box.insert_raw(raw, ["INBOX", "UNREAD"])
        big_raw, _ = message("Log export", "x" * 10 * 1024 * 1024, big=True)
        big_thread = box.insert_raw(big_raw, ["INBOX"]).thread_id
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
            emu.control.put(
                "/_emulator/latency", json={"latency_ms": args.latency_ms}
            ).raise_for_status()

            async def open_thread(tid: str = thread_id) -> object:
                grant = await authorize_thread(
                    ctx, carla, RecordType.CONTACT, maria, mailbox.id, tid
                )
                return await build_page(ctx.engine, grant, LINKS)

            async def star() -> object:
                grant = await authorize_thread(
                    ctx, carla, RecordType.CONTACT, maria, mailbox.id, thread_id
                )
                return await apply_action(ctx, grant, Action.STAR)

            async def attachment() -> object:
                grant = await authorize_thread(
                    ctx, carla, RecordType.CONTACT, maria, mailbox.id, thread_id
                )
                holder, part = next(
                    (m, a) for m in grant.thread.messages for a in m.attachments if a.attachment_id
                )
                gmail = ctx.gmail.mailbox(key, retry=VIEW_RETRY)
                return await gmail.get_attachment(holder.id, str(part.attachment_id))

            async def naive() -> object:
                gmail = ctx.gmail.mailbox(key, retry=VIEW_RETRY)
                listed = await gmail.list_messages(f"from:{MARIA} subject:fleet")
                for m in listed.get("messages", []):
                    await gmail.get_message(m["id"], format="full")
                return listed

            results = [await measure(ctx, emu, key, "cold open, 3 messages", open_thread)]
            results.append(await measure(ctx, emu, key, "warm open, nothing changed", open_thread))
            box.insert_raw(message("Unrelated", "other mail")[0], ["INBOX"])
            results.append(
                await measure(ctx, emu, key, "open after a change in the mailbox", open_thread)
            )
            results.append(await measure(ctx, emu, key, "action: star (check + modify)", star))
            results.append(await measure(ctx, emu, key, "open right after the action", open_thread))
            results.append(await measure(ctx, emu, key, "attachment download (50 KB)", attachment))
            ctx.content_cache.clear()
            results.append(
                await measure(
                    ctx, emu, key, "cold open, 10 MB body", lambda: open_thread(big_thread)
                )
            )
            results.append(
                await measure(ctx, emu, key, "naive: messages.list, then get each", naive)
            )
    print(f"\nlatency {args.latency_ms} ms per Gmail request\n")
    print(
        "| scenario | wall time | Gmail calls | sequential round trips | quota units | "
        "emulator calls / units | methods |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        methods = ", ".join(f"{k.split('.', 2)[-1]} {v}" for k, v in sorted(r["methods"].items()))
        print(
            f"| {r['scenario']} | {r['wall_s']:.2f} s | {r['calls']} | {r['round_trips']} | "
            f"{r['units']} | {r['emulator_calls']} / {r['emulator_units']} | {methods} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--latency-ms", type=float, default=100)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gpanel-thread-bench-"))
    db_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    upgrade(db_url)
    asyncio.run(run(args, db_url))


if __name__ == "__main__":
    main()
