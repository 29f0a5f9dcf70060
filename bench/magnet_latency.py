"""MailMagnet latency: from a message arriving in the emulator to the bell of an open page.

Runs the emulator (with injected latency) and gpanel over real HTTP on SQLite, signs alice in,
connects her mailbox, turns MailMagnet on through the web page, opens the bell's server-sent
event stream like a browser tab, then repeatedly inserts a message from a CRM contact and times
how long until the stream reports it. Arrivals are spread at random over the poll interval, so
the polling numbers show the whole distribution. Two modes:

- `poll`: no Pub/Sub; the embedded scheduler polls history every `--poll` seconds.
- `push`: a Pub/Sub topic is set, the emulator pushes to /push/gmail, the poll interval is an
  hour (so every hit in this mode came through push).

    .venv/bin/python bench/magnet_latency.py --mode poll --poll 5 --trials 20 --latency-ms 100
    .venv/bin/python bench/magnet_latency.py --mode push --trials 20 --latency-ms 100
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from gpanel.emulator.config import EmulatorConfig
from gpanel.store.migrate import upgrade
from gpanel.store.tables import mailbox_jobs
from tests.jobs.support import ALICE, CONTACT, mail_from, seed_stack_people, wait_for
from tests.support.servers import free_port
from tests.support.stack import csrf, run_stack


def reader(
    client: httpx.Client, out: queue.Queue[tuple[float, int]], stop: threading.Event
) -> None:
    while not stop.is_set():
        try:
            with client.stream(
                "GET", "/notifications/stream", timeout=httpx.Timeout(None)
            ) as response:
                event = ""
                for line in response.iter_lines():
                    if stop.is_set():
                        return
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "bell":
                        out.put((time.monotonic(), int(json.loads(line[5:])["unread"])))
        except httpx.HTTPError:
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["poll", "push"], default="poll")
    parser.add_argument("--poll", type=int, default=5)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gpanel-bench-"))
    db_url = f"sqlite+aiosqlite:///{tmp / 'gpanel.db'}"
    upgrade(db_url)
    port = free_port()
    overrides = {"port": str(port), "base_url": f"http://127.0.0.1:{port}"}
    config = EmulatorConfig(latency_ms=args.latency_ms, auto_consent=True)
    if args.mode == "push":
        config.push_endpoint = f"http://127.0.0.1:{port}/push/gmail"
        overrides.update(pubsub_topic="projects/bench/topics/gmail", magnet_poll_seconds="3600")
    else:
        overrides["magnet_poll_seconds"] = str(args.poll)
    with run_stack(db_url, config, **overrides) as stack:
        # Control calls (inserting mail) must not pay the injected latency; only the API does.
        seed_stack_people(db_url)
        client = stack.sign_in(ALICE)
        stack.connect(client, ALICE)
        client.post("/notifications/switch", data={"csrf_token": csrf(client), "enabled": "on"})
        wait_for(lambda: any(r.magnet_history_id for r in stack.rows(mailbox_jobs)), 60)
        if args.mode == "push":
            wait_for(lambda: any(r.watch_expires_at for r in stack.rows(mailbox_jobs)), 60)
        events: queue.Queue[tuple[float, int]] = queue.Queue()
        stop = threading.Event()
        thread = threading.Thread(target=reader, args=(client, events, stop), daemon=True)
        thread.start()
        unread = events.get(timeout=30)[1]
        latencies = []
        for n in range(args.trials):
            time.sleep(random.uniform(0, args.poll if args.mode == "poll" else 1.5))
            sent = time.monotonic()
            stack.emulator.insert(ALICE, mail_from(CONTACT))
            while True:
                at, count = events.get(timeout=max(120, 3 * args.poll))
                if count > unread:
                    unread = count
                    break
            latencies.append(at - sent)
            print(f"trial {n + 1:>3}: {at - sent:6.2f} s", flush=True)
        stop.set()
    latencies.sort()
    q = statistics.quantiles(latencies, n=10)
    print(
        f"\nmode={args.mode} poll={args.poll if args.mode == 'poll' else 3600}s "
        f"latency={args.latency_ms:.0f}ms trials={args.trials}"
    )
    print("| min | median | p90 | max | mean |")
    print("|---|---|---|---|---|")
    print(
        f"| {latencies[0]:.2f} s | {statistics.median(latencies):.2f} s | {q[8]:.2f} s | "
        f"{latencies[-1]:.2f} s | {statistics.mean(latencies):.2f} s |"
    )


if __name__ == "__main__":
    main()
