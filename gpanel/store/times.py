"""Times read back from the database, made timezone-aware.

SQLite hands back naive datetimes for `DateTime(timezone=True)` columns; gpanel writes every
time in UTC, so a naive value read back is UTC. PostgreSQL's values pass through unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import overload


@overload
def aware(value: dt.datetime) -> dt.datetime: ...
@overload
def aware(value: None) -> None: ...
@overload
def aware(value: dt.datetime | None) -> dt.datetime | None: ...
def aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)
