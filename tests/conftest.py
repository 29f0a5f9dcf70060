"""Fixtures shared by every test area.

- `emulator_server`: one Google emulator per test session (per xdist worker), served over real
  HTTP on 127.0.0.1 by `tests.support.emulator.run_emulator`.
- `emulator`: that server with its state reset (no users, mailboxes, tokens, faults) before the
  test; yields the `RunningEmulator` (`.url`, `.state`, `.control`, `add_user`, `token`,
  `insert`). Tests needing a differently configured emulator call `run_emulator(config)` directly.
- `db_url`, `empty_db_url`, `engine`, `pg_database`: databases on SQLite and PostgreSQL
  (`tests.support.db`); a test asking for `db_url` runs once per engine.
- `stack`: gpanel and a fresh emulator over real HTTP on each engine (`tests.support.stack`).

Tests marked `corpus("mime")` / `browser` skip when the corpus or Chromium is missing, or fail
with GPANEL_TEST_REQUIRE_CORPORA=1 / GPANEL_TEST_REQUIRE_BROWSER=1 (`tests.support.needs`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import needs
from tests.support.db import db_url, empty_db_url, engine, pg_database
from tests.support.emulator import RunningEmulator, run_emulator
from tests.support.stack import stack

__all__ = ["db_url", "empty_db_url", "engine", "pg_database", "stack"]


def pytest_configure(config: pytest.Config) -> None:
    for line in needs.MARKERS:
        config.addinivalue_line("markers", line)


# tryfirst: before `skipif` marks are evaluated, so a required corpus or browser fails the test
# even where a module also carries its own skip condition.
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    needs.check(item)


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[RunningEmulator]:
    with run_emulator() as running:
        yield running


@pytest.fixture
def emulator(emulator_server: RunningEmulator) -> Iterator[RunningEmulator]:
    emulator_server.reset()
    yield emulator_server
