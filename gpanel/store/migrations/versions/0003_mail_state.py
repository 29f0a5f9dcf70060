"""Record panel and background jobs: unlinks, block lists, MailMagnet hits, per-mailbox job
state, and the ids of mail the label run took out of the inbox (for undo).

Revision ID: 0003_mail_state
Revises: 0002_accounts
Create Date: 2026-11-23

Ids, one sender address and times only: no column can hold message content.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_mail_state"
down_revision: str | None = "0002_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _mailbox_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["mailbox_id"], ["mailboxes.id"], ondelete="CASCADE",
                                   name=f"fk_{table}_mailbox_id_mailboxes")


def upgrade() -> None:
    op.create_table(
        "unlinks",
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("thread_id", sa.String(32), nullable=False),
        sa.Column("record_type", sa.String(16), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("created_at", TS, nullable=False),
        _mailbox_fk("unlinks"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL",
                                name="fk_unlinks_user_id_users"),
        sa.PrimaryKeyConstraint("mailbox_id", "thread_id", "record_type", "record_id",
                                name="pk_unlinks"),
    )
    op.create_table(
        "blocked_addresses",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("pattern", sa.String(320), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_blocked_addresses_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_blocked_addresses"),
        sa.UniqueConstraint("user_id", "pattern", name="uq_blocked_addresses_user_pattern"),
    )
    op.create_index("ix_blocked_addresses_user_id", "blocked_addresses", ["user_id"])
    op.create_table(
        "magnet_hits",
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("message_id", sa.String(32), nullable=False),
        sa.Column("thread_id", sa.String(32), nullable=False),
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("opened_at", TS),
        _mailbox_fk("magnet_hits"),
        sa.PrimaryKeyConstraint("mailbox_id", "message_id", name="pk_magnet_hits"),
    )
    op.create_index("ix_magnet_hits_received_at", "magnet_hits", ["received_at"])
    op.create_index("ix_magnet_hits_thread", "magnet_hits", ["mailbox_id", "thread_id"])
    op.create_table(
        "mailbox_jobs",
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("magnet_enabled", sa.Boolean, nullable=False),
        sa.Column("magnet_history_id", sa.String(32)),
        sa.Column("magnet_checked_at", TS),
        sa.Column("watch_expires_at", TS),
        sa.Column("labels_enabled", sa.Boolean, nullable=False),
        sa.Column("labels_since", TS),
        sa.Column("labels_history_id", sa.String(32)),
        sa.Column("labels_run_at", TS),
        sa.Column("label_ids", sa.JSON, nullable=False),
        sa.Column("last_error", sa.String(500)),
        sa.Column("last_error_at", TS),
        _mailbox_fk("mailbox_jobs"),
        sa.PrimaryKeyConstraint("mailbox_id", name="pk_mailbox_jobs"),
    )
    op.create_table(
        "label_archived",
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("message_id", sa.String(32), nullable=False),
        sa.Column("archived_at", TS, nullable=False),
        _mailbox_fk("label_archived"),
        sa.PrimaryKeyConstraint("mailbox_id", "message_id", name="pk_label_archived"),
    )


def downgrade() -> None:
    op.drop_table("label_archived")
    op.drop_table("mailbox_jobs")
    op.drop_index("ix_magnet_hits_thread", table_name="magnet_hits")
    op.drop_index("ix_magnet_hits_received_at", table_name="magnet_hits")
    op.drop_table("magnet_hits")
    op.drop_index("ix_blocked_addresses_user_id", table_name="blocked_addresses")
    op.drop_table("blocked_addresses")
    op.drop_table("unlinks")
