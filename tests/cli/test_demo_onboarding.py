"""`gpanel demo` starts with one rep (Emma) not connected, so onboarding can be tried: four
mailboxes pass the doctor and Emma has none; Emma signs in, is offered Connect Gmail, connects,
and after a restart of the demo her mailbox is still connected (restarts connect again exactly
the mailboxes that were connected, never the ones people left unconnected)."""

from __future__ import annotations

from pathlib import Path

import httpx

from gpanel.demo.cast import REPS
from tests.cli.test_demo_doctor import doctor, running_demo
from tests.support.servers import free_port

EMMA = "emma@brightwave.example"


def _signed_in(port: int, emulator_port: int, email: str) -> httpx.Client:
    google = f"http://127.0.0.1:{emulator_port}/_emulator/oauth/next-consent"
    httpx.post(google, json={"email": email}).raise_for_status()
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=30)
    assert client.get("/auth/google").url.path == "/"
    return client


def test_the_demo_leaves_one_rep_to_connect_and_keeps_her_connection(tmp_path: Path) -> None:
    """Emma is the one rep not connected at the first start; once she connects, a restart keeps
    her connected."""
    assert [r.email for r in REPS if not r.connected_at_start] == [EMMA]
    port, emulator_port, data_dir = free_port(), free_port(), tmp_path / "demo"
    with running_demo(port, emulator_port, data_dir):
        report = doctor(port, emulator_port, data_dir)
        assert report.returncode == 0, report.stdout
        assert report.stdout.count("✓ Access token") == len(REPS) - 1
        assert EMMA not in report.stdout
        emma = _signed_in(port, emulator_port, EMMA)
        home = emma.get("/").text
        assert "Connect your Gmail" in home and 'href="/mailbox"' in home
        httpx.post(
            f"http://127.0.0.1:{emulator_port}/_emulator/oauth/next-consent", json={"email": EMMA}
        ).raise_for_status()
        connected = emma.get("/mailbox/connect")
        assert connected.url.path == "/mailbox" and "Your Gmail is connected" in connected.text
    with running_demo(port, emulator_port, data_dir):
        again = doctor(port, emulator_port, data_dir)
    assert again.returncode == 0, again.stdout
    assert again.stdout.count("✓ Access token") == len(REPS)
    assert f"✓ {EMMA}" in again.stdout
