"""`gpanel demo` with Gmail push: time from new mail in the emulator to the bell of an open page.

Starts the real `gpanel demo` (a subprocess, fresh data directory), signs Carla in through the
emulator's OAuth (consent answered on its control API), turns MailMagnet on through the web
page, opens the bell's server-sent-event stream like a browser tab, then `--trials` times
delivers a message from Tom Baker (a demo contact) into Carla's emulator mailbox and times until
the stream reports the new unread count. The demo's emulator pushes a signed Pub/Sub push to
/push/gmail, which gpanel verifies on its production path (audience and service account);
the poll interval stays the default 60 s, so numbers under a second can only come from push.

    .venv/bin/python bench/demo_push_latency.py --trials 20
"""

from __future__ import annotations

import argparse
import base64
import json
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from tests.cli.test_demo_doctor import running_demo
from tests.support.servers import free_port

CARLA = "carla@brightwave.example"
TOM = "tom.baker@acme-logistics.example"


def _reader(client: httpx.Client, out: queue.Queue[int], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with client.stream("GET", "/notifications/stream", timeout=None) as response:
                event = ""
                for line in response.iter_lines():
                    if stop.is_set():
                        return
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "bell":
                        out.put(int(json.loads(line[5:])["unread"]))
        except httpx.HTTPError:
            time.sleep(0.2)


def _raw(n: int) -> str:
    mail = (
        f"From: Tom Baker <{TOM}>\r\nTo: Carla Reyes <{CARLA}>\r\nSubject: Push trial {n}\r\n"
        f"Message-ID: <push-{n}-{time.time_ns()}@acme-logistics.example>\r\n\r\nHello {n}\r\n"
    )
    return base64.urlsafe_b64encode(mail.encode()).decode()


def measure(trials: int, data_dir: Path) -> list[float]:
    """Seconds from each delivery to the bell's new count, on a freshly started demo."""
    port, emulator_port = free_port(), free_port()
    google = httpx.Client(base_url=f"http://127.0.0.1:{emulator_port}", timeout=30)
    with running_demo(port, emulator_port, data_dir):
        google.post("/_emulator/oauth/next-consent", json={"email": CARLA}).raise_for_status()
        carla = httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=30)
        assert carla.get("/auth/google").url.path == "/"
        page = carla.get("/notifications").text
        token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        on = carla.post("/notifications/switch", data={"csrf_token": token, "enabled": "on"})
        assert "MailMagnet is on" in on.text, on.text[:500]
        time.sleep(1.0)  # the first run takes its starting point; switching on sets up the watch
        counts: queue.Queue[int] = queue.Queue()
        stop = threading.Event()
        thread = threading.Thread(target=_reader, args=(carla, counts, stop), daemon=True)
        thread.start()
        unread = counts.get(timeout=10)
        took: list[float] = []
        for n in range(trials):
            time.sleep(1.2)  # Gmail (and the emulator) push at most once a second per mailbox
            start = time.monotonic()
            google.post(
                f"/_emulator/users/{CARLA}/messages", json={"raw": _raw(n)}
            ).raise_for_status()
            while True:
                seen = counts.get(timeout=30)
                if seen > unread:
                    took.append(time.monotonic() - start)
                    unread = seen
                    break
        stop.set()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        took = measure(args.trials, Path(tmp) / "demo")
    took.sort()
    p90 = took[min(len(took) - 1, int(len(took) * 0.9))]
    print(
        f"trials={len(took)} min={took[0]:.2f}s median={statistics.median(took):.2f}s "
        f"p90={p90:.2f}s max={took[-1]:.2f}s mean={statistics.mean(took):.2f}s"
    )


if __name__ == "__main__":
    main()
