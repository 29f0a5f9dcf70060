"""Parked mailboxes: what a default disconnect keeps so reconnecting restores it.

One row per user who disconnected without "forget everything": the mailbox id (reserved, so
thread links stay valid when the same Google account reconnects), the Google account's stable
id (`sub`), and ids only (private thread ids, unlinked thread ids with their record, the
message ids labels took out of the inbox, the MailMagnet and labels switches). No mail content.
Deleting the user deletes the row.

Revision ID: 0006_parked_mailboxes
Revises: 0005_gmail_quota
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_parked_mailboxes"
down_revision: str | None = "0005_gmail_quota"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parked_mailboxes",
        sa.Column("mailbox_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("google_sub", sa.String(64), nullable=False),
        sa.Column("kept", sa.JSON, nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="CASCADE",
            name="fk_parked_mailboxes_user_id_users",
        ),
        sa.PrimaryKeyConstraint("mailbox_id", name="pk_parked_mailboxes"),
        sa.UniqueConstraint("user_id", name="uq_parked_mailboxes_user_id"),
    )


def downgrade() -> None:
    op.drop_table("parked_mailboxes")
