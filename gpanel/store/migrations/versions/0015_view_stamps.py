"""The change stamp: `change_base` and `change_log`, and triggers on every table the record
panel is built from, so a view computed under one stamp is known to be stale once any of them
changes (gpanel/store/stamps.py).

The list of tables is written out here, as it stands at this revision; a later revision that
makes the panel read another table adds its trigger there (tests/store/test_stamps.py checks
that every table a view reads has one). MailMagnet's hits are not stamped: they change with
every customer message and every opening, and a kept view reads its "New" badges afresh.
Only statement counts are kept.

Revision ID: 0015_view_stamps
Revises: 0014_team_extras
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_view_stamps"
down_revision: str | None = "0014_team_extras"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
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
)
# The mailbox row also holds the sync cursor and token state, written on every sync; only
# these columns decide what a view shows (whose mailbox it is, whether it is connected).
MAILBOX_COLUMNS = ("id", "user_id", "email", "status")


def _sqlite(table: str) -> list[str]:
    bump = "UPDATE change_base SET n = n + 1 WHERE id = 1;"
    update = f"UPDATE OF {', '.join(MAILBOX_COLUMNS)}" if table == "mailboxes" else "UPDATE"
    return [
        f"CREATE TRIGGER stamp_{table}_{name} AFTER {event} ON {table} BEGIN {bump} END"
        for name, event in (("insert", "INSERT"), ("update", update), ("delete", "DELETE"))
    ]


def _postgres(table: str) -> list[str]:
    update = f"UPDATE OF {', '.join(MAILBOX_COLUMNS)}" if table == "mailboxes" else "UPDATE"
    return [
        f"CREATE TRIGGER stamp_{table} AFTER INSERT OR {update} OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION gpanel_stamp()"
    ]


def upgrade() -> None:
    op.create_table(
        "change_base",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_base"),
    )
    op.create_table(
        "change_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_log"),
    )
    op.execute("INSERT INTO change_base (id, n) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        # An insert into the log per statement: writers never wait on one another for it,
        # and the row counts only once its transaction commits.
        op.execute(
            "CREATE FUNCTION gpanel_stamp() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO change_log DEFAULT VALUES; RETURN NULL; END $$"
        )
        for table in TABLES:
            for sql in _postgres(table):
                op.execute(sql)
    else:
        for table in TABLES:
            for sql in _sqlite(table):
                op.execute(sql)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS stamp_{table} ON {table}")
        else:
            for name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS stamp_{table}_{name}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS gpanel_stamp()")
    op.drop_table("change_log")
    op.drop_table("change_base")
