"""The privacy canary's scan: unique markers sent through a feature must be found nowhere gpanel
keeps things (no message content at rest).

- `capture_logs`: every log record at DEBUG, aiosqlite's SQL trace held at INFO.
- `database_rows`: every row of every table, one repr a line (run it while the stack is up).
- `assert_nowhere`: no marker in those rows, in the captured logs or in any file below the
  given directories; answers the log text for the test's own checks that logging happened.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from gpanel.store.engine import sync_url


def capture_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # aiosqlite's DEBUG trace prints every SQL statement with its bound parameters, for every
    # query of the app (an address looked up in the CRM included): a wire trace production
    # must never enable, like a packet capture. It is held at INFO here as it should be in
    # gpanel's logging set-up; everything else, gpanel's own loggers first, stays at DEBUG.
    caplog.set_level(logging.INFO, logger="aiosqlite")


def database_rows(db_url: str) -> str:
    engine = create_engine(sync_url(db_url))
    dump: list[str] = []
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                dump += [repr(tuple(r)) for r in rows]
    finally:
        engine.dispose()
    return "\n".join(dump)


def assert_nowhere(
    markers: dict[str, str],
    blob: str,
    caplog: pytest.LogCaptureFixture,
    roots: tuple[Path, ...],
) -> str:
    """Fail naming the marker and where it was found; answer the captured log text."""
    files = [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for what, value in markers.items():
        assert value not in blob, f"{what} found in the database"
        assert value not in logged, f"{what} found in the logs"
        for file in files:
            assert value.encode() not in file.read_bytes(), f"{what} found in {file}"
    return logged
