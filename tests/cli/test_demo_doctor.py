"""`gpanel demo` and `gpanel doctor --demo` as a user runs them, as real processes on free ports.

- `gpanel doctor --demo` gives a true report of the running demo: gpanel answers, the database
  is at head, each connected demo mailbox passes through the demo's emulator; when Google (the
  emulator) revokes a rep's access, that rep's line says so and the exit code is 1; when the
  demo is stopped, it says gpanel does not answer.
- The demo restarts on its own data after CSV imports moved a demo address (it crashed with a
  Conflict traceback before) and the doctor is green again.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from gpanel.demo_server import DemoPlan
from tests.support.servers import free_port

GPANEL = [sys.executable, "-m", "gpanel.cli"]
TOM = "tom.baker@acme-logistics.example"


def DIR(data_dir: Path) -> list[str]:
    return ["--data-dir", str(data_dir)]


def EMU(port: int) -> list[str]:
    return ["--emulator-port", str(port)]


def _env() -> dict[str, str]:
    # The demo must not pick up a developer's .env or GPANEL_* settings.
    return {k: v for k, v in os.environ.items() if not k.startswith("GPANEL_")}


@contextmanager
def running_demo(port: int, emulator_port: int, data_dir: Path) -> Iterator[subprocess.Popen[str]]:
    log = (data_dir.parent / f"demo-{time.monotonic_ns()}.log").open("w")
    proc = subprocess.Popen(
        [
            *GPANEL,
            "demo",
            "--port",
            str(port),
            "--emulator-port",
            str(emulator_port),
            *DIR(data_dir),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
        cwd=data_dir.parent,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, Path(log.name).read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError("the demo did not start: " + Path(log.name).read_text()[-3000:])
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def doctor(port: int, emulator_port: int, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GPANEL, "doctor", "--demo", "--port", str(port), *EMU(emulator_port), *DIR(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        cwd=data_dir.parent,
    )


def _import(data_dir: Path, name: str, row: list[str]) -> None:
    buf = io.StringIO()
    csv.writer(buf).writerows([["External ID", "First name", "Last name", "Email"], row])
    path = data_dir.parent / name
    path.write_text(buf.getvalue())
    url = DemoPlan("127.0.0.1", 1, 1, data_dir).settings.resolved_database_url
    done = subprocess.run(
        [*GPANEL, "import", "contacts", str(path), "--database-url", url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(), "GPANEL_MODE": "demo"},  # the demo's placeholder secrets are fine here
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_doctor_reports_the_running_demo_truly_and_the_demo_restarts_after_an_import(
    tmp_path: Path,
) -> None:
    """A green report for the running demo, a red line for a revoked rep, a red line when the
    demo is down, and a restart on imported data that comes up green again."""
    port, emulator_port, data_dir = free_port(), free_port(), tmp_path / "demo"
    with running_demo(port, emulator_port, data_dir):
        report = doctor(port, emulator_port, data_dir)
        assert report.returncode == 0, report.stdout + report.stderr
        assert f"✓ gpanel answers at http://127.0.0.1:{port}." in report.stdout
        assert "✓ Database at revision" in report.stdout
        assert "✓ alice@brightwave.example (Alice Moreau)" in report.stdout
        assert f"Gmail API at http://127.0.0.1:{emulator_port}" in report.stdout
        assert "not answering" not in report.stdout

        revoked = httpx.post(
            f"http://127.0.0.1:{emulator_port}/_emulator/oauth/revoke-user",
            json={"email": "ben@brightwave.example"},
        )
        assert revoked.status_code == 200 and revoked.json()["revoked"] >= 1
        after = doctor(port, emulator_port, data_dir)
        assert after.returncode == 1
        assert "✗ ben@brightwave.example (Ben Okafor)" in after.stdout
        assert "✓ alice@brightwave.example (Alice Moreau)" in after.stdout

    down = doctor(port, emulator_port, data_dir)
    assert down.returncode == 1
    assert f"✗ gpanel does not answer at http://127.0.0.1:{port}" in down.stdout

    _import(data_dir, "tom.csv", ["demo:tom", "Tom", "Baker", "tom@baker-consulting.example"])
    _import(data_dir, "maria.csv", ["demo:maria", "Maria", "Schneider", TOM])
    with running_demo(port, emulator_port, data_dir):
        again = doctor(port, emulator_port, data_dir)
    assert "✓ gpanel answers" in again.stdout and "✓ alice@brightwave.example" in again.stdout, (
        again.stdout
    )


def test_doctor_demo_without_a_demo_says_what_to_do(tmp_path: Path) -> None:
    """No demo database where asked: one plain sentence, exit code 1, no traceback."""
    result = doctor(free_port(), free_port(), tmp_path / "nothing")
    assert result.returncode == 1
    assert "No demo database in" in result.stderr and "start `gpanel demo` first" in result.stderr
    assert "Traceback" not in result.stderr
