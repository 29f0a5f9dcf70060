"""Logging for gpanel's processes (`gpanel serve|demo|worker|doctor` and the ASGI factory).

gpanel's own log lines carry ids and error types, never mail content, CRM addresses or search
text. Libraries are less careful: httpx logs every request URL at INFO (a Gmail search's `q`
holds the CRM's addresses: `from:(lena.fischer@... OR ...)`), the ASGI server's access log
holds query strings (`/search?q=...`, `/api/contacts?email=...`), SQL logging holds
parameters. So at INFO and above those loggers are held at WARNING and the access log keeps
only the path. At DEBUG httpx's request lines and full access-log paths show (that is what
DEBUG is for; SQL echo stays off), and gpanel says once, at start, that the log now carries
addresses and queries.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("gpanel.logs")

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
# Loggers whose lines name a request URL; below DEBUG their query strings are cut off.
ACCESS_LOGGERS = ("uvicorn.access",)
DEBUG_WARNING = (
    "DEBUG logging is on: log lines now carry CRM addresses, Gmail search queries and request "
    "URLs with their parameters. Keep such logs private and turn DEBUG off when done."
)


class DropQueryStrings(logging.Filter):
    """Cuts the query string off the request path of an access-log line (uvicorn passes it as
    the third argument: client, method, path, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


_DROP_QUERIES = DropQueryStrings()


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # basicConfig leaves an already configured root alone (a server or test runner may have
    # set handlers); the level must apply all the same.
    logging.getLogger().setLevel(level.upper())
    debug = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        # At DEBUG they stay at INFO or above as before (httpx's request lines show; SQL
        # echo and wire dumps do not); otherwise WARNING.
        floor = logging.INFO if debug else logging.WARNING
        logger.setLevel(max(logger.getEffectiveLevel(), floor) if debug else floor)
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if debug:
            logger.removeFilter(_DROP_QUERIES)
        else:
            logger.addFilter(_DROP_QUERIES)  # a no-op when already there
    if debug:
        log.warning(DEBUG_WARNING)
