"""The change stamp (revision 0015_view_stamps): one number that moves on every committed write
to a table the record panel is built from, so a view built under stamp N is still right while
the stamp reads N (`gpanel.store.stamps`).

`change_base` holds the count folded so far (one row, id 1). On PostgreSQL each writing
statement also appends a row to `change_log`, which never blocks another writer (no shared row
is locked), and the stamp is base plus the log's committed rows; on SQLite, where writers take
the whole database in turn anyway, triggers add to the base row directly and the log stays
empty. Counts only: nothing of a row is copied.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, Table

from gpanel.store.tables.base import metadata

change_base = Table(
    "change_base",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("n", BigInteger, nullable=False),
)

change_log = Table(
    "change_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
)
