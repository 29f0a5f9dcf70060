"""A `gpanel worker` for tests, run as a subprocess: `python -m tests.jobs.worker_proc ...`.

It is the production worker (`gpanel.jobs.worker.work`) with two test seams: an observer
(given to `open_context`) that appends each run's start and end (job, mailbox, pid, wall time)
to a JSON-lines file, so tests can check across processes that runs of one mailbox never
overlap; and an optional fault at the database boundary (`tests.support.faults`) that SIGKILLs
this process in the middle of MailMagnet's storage transaction (hits inserted, cursor not
moved, nothing committed). `--once MAILBOX` runs one MailMagnet run
without the queue (the SQLite path) and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import time
from pathlib import Path

from gpanel.jobs.worker import work
from gpanel.services.context import open_context
from gpanel.services.magnet import run as magnet
from tests.support.faults import crash_while_storing_hits
from tests.support.stack import stack_settings


class FileObserver:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _write(self, event: str, job: str, mailbox_id: int, ok: bool | None = None) -> None:
        line = json.dumps(
            {
                "event": event,
                "job": job,
                "mailbox": mailbox_id,
                "ok": ok,
                "pid": os.getpid(),
                "t": time.time(),
            }
        )
        with self.path.open("a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def started(self, job: str, mailbox_id: int) -> None:
        self._write("start", job, mailbox_id)

    def finished(self, job: str, mailbox_id: int, ok: bool) -> None:
        self._write("end", job, mailbox_id, ok)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--poll", default="1")
    parser.add_argument("--token-key", required=True, help="the parent test's Fernet key")
    parser.add_argument(
        "--kill-at-store",
        action="store_true",
        help="SIGKILL this process in the first storage transaction with hits",
    )
    parser.add_argument("--once", type=int, default=0, help="run MailMagnet once for this id")
    parser.add_argument("--stalled", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    queue = "embedded" if args.once else "procrastinate"
    settings, _ = stack_settings(
        args.db,
        args.emulator,
        queue=queue,
        magnet_poll_seconds=args.poll,
        log_level="WARNING",
        token_keys=args.token_key,
    )

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    async def go() -> None:
        async with contextlib.AsyncExitStack() as stack:
            ctx = await stack.enter_async_context(
                open_context(settings, observer=FileObserver(Path(args.log)))
            )
            if args.kill_at_store:
                stack.enter_context(crash_while_storing_hits(ctx.engine, die))
            if args.once:
                await magnet.run_magnet(ctx, args.once)
                return
            await work(
                ctx,
                concurrency=args.concurrency,
                name=f"test-{os.getpid()}",
                heartbeat_seconds=0.5,
                stalled_seconds=args.stalled,
            )

    asyncio.run(go())


if __name__ == "__main__":
    main()
