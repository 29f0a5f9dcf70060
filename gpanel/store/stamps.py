"""The change stamp: a number that moves whenever a write to a table views are built from
commits, read in one query.

A record panel view is a function of Gmail's state (validated by each mailbox's historyId) and
of gpanel's own rows: who may see which mailbox, the record's addresses, block rules, unlinks,
private threads, CRM names (`VIEW_TABLES`). Triggers (revision
0015_view_stamps) count every write to those tables, so a view built after reading stamp N is
known to be stale as soon as the stamp reads anything else, whichever process wrote.

Why this is safe to cache on: the stamp is read *before* the view's own queries. A write that
commits after that read moves the stamp, so what was built is not served again; a write that
committed before it is in what was built. On PostgreSQL each writing statement appends a row
to `change_log` (no shared row is locked, so writers never wait on each other or deadlock for
it, and the row counts only once its transaction commits) and the stamp is `change_base.n` plus
the log's committed rows, read in one statement, one snapshot; `compact()` folds the log into
the base in one statement, which leaves the sum unchanged. On SQLite, whose writers take the
database in turn anyway, the triggers add to `change_base` directly.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.store.tables import change_base, change_log

# What the record panel reads (tests/services/panel/test_kept_views.py records the tables a
# view's queries touch and checks they are all here or read afresh by every view, and
# tests/store/test_stamps.py that each has its trigger in the database). Not `magnet_hits`:
# written with every customer message and every opening, it would move the stamp all day;
# every view, kept or not, reads its "New" badges again (services/panel/view_cache.py).
VIEW_TABLES = frozenset(
    {
        "blocked_addresses",
        "companies",
        "company_domains",
        "contact_emails",
        "contacts",
        "deal_contacts",
        "deals",
        "feature_rules",
        "mailboxes",
        "private_labels",
        "private_threads",
        "sharing_rules",
        "sharing_settings",
        "teams",
        "unlinks",
        "users",
    }
)
# Columns of `mailboxes` a view depends on; the sync cursor and token columns, written on every
# sync, do not move the stamp.
MAILBOX_COLUMNS = ("id", "user_id", "email", "status")

COMPACT_AT = 5_000  # log rows beyond which a reader folds the log into the base

_READ = select(
    change_base.c.n, select(func.count()).select_from(change_log).scalar_subquery()
).where(change_base.c.id == 1)


async def read(conn: AsyncConnection) -> tuple[int, int]:
    """(the current stamp, the log's length), from one statement and so one snapshot. A
    caller that finds the log longer than `COMPACT_AT` calls `compact()` in a transaction."""
    row = (await conn.execute(_READ)).first()
    if row is None:
        raise RuntimeError("change_base has no row: the database is not at revision 0015")
    base, logged = int(row[0]), int(row[1])
    return base + logged, logged


async def compact(conn: AsyncConnection) -> int:
    """Fold the committed log rows into the base in one statement (the stamp reads the same
    before and after, in every snapshot); returns how many rows were folded. PostgreSQL only:
    SQLite's log is always empty."""
    if conn.dialect.name != "postgresql":
        return 0
    folded = await conn.scalar(
        text(
            "WITH gone AS (DELETE FROM change_log RETURNING 1), "
            "counted AS (SELECT count(*) AS k FROM gone) "
            "UPDATE change_base SET n = n + (SELECT k FROM counted) WHERE id = 1 "
            "RETURNING (SELECT k FROM counted)"
        )
    )
    return int(folded or 0)
