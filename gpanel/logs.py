"""Logging for gpanel's processes (`gpanel serve|demo|worker|doctor` and the ASGI factory).

gpanel's own log lines carry ids and error types, never mail content. Some libraries log query
parameters or request lines at DEBUG, which can carry addresses from the CRM; they are held at
INFO or above whatever level gpanel itself runs at, so DEBUG stays safe to turn on.
"""

from __future__ import annotations

import logging
import sys

QUIET_LOGGERS = (
    "aiosqlite",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "httpcore",
    "httpx",
    "hpack",
    "psycopg",
    "urllib3",
    "oauthlib",
    "requests_oauthlib",
    "google_auth_oauthlib",
)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # basicConfig leaves an already configured root alone (a server or test runner may have
    # set handlers); the level must apply all the same.
    logging.getLogger().setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
