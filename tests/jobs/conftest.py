"""Fixtures for the job tests: a PostgreSQL database (the task queue needs one) and worker
subprocesses that are always stopped, even when a test fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpanel.store.migrate import upgrade
from tests.support.db import drop_pg_schema, fresh_pg_schema
from tests.support.stack import TOKEN_KEY

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """A fresh PostgreSQL schema migrated to head (procrastinate installs itself in it)."""
    schema, url = fresh_pg_schema(pg_database)
    upgrade(url)
    try:
        yield url
    finally:
        drop_pg_schema(pg_database, schema)


class Workers:
    def __init__(self, db_url: str, emulator_url: str, log: Path) -> None:
        self.db_url = db_url
        self.emulator_url = emulator_url
        self.log = log
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        cmd = [
            sys.executable,
            "-m",
            "tests.jobs.worker_proc",
            "--db",
            self.db_url,
            "--emulator",
            self.emulator_url,
            "--log",
            str(self.log),
            # One argument with "=": a Fernet key is base64url and may begin with "-", which
            # argparse would read as an option (1 run in 64 failed that way).
            f"--token-key={TOKEN_KEY}",
            *extra,
        ]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ))
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Workers]]:
    made: list[Workers] = []
    yield made
    for w in made:
        w.stop_all()
