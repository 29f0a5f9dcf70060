"""Accounts: sessions, connected mailboxes, admin feature and sharing rules, sharing settings,
private threads.

Revision ID: 0002_accounts
Revises: 0001_crm
Create Date: 2026-11-23

Columns are spelled out rather than imported from store/tables/, so this revision stays a frozen
record of the schema it created.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_accounts"
down_revision: str | None = "0001_crm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_sessions"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("google_sub", sa.String(64), nullable=False),
        sa.Column("refresh_token_enc", sa.Text, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("last_error", sa.String(500)),
        sa.Column("last_error_at", TS),
        sa.Column("history_id", sa.String(32)),
        sa.Column("connected_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("status IN ('connected', 'needs_reconnect')",
                           name="ck_mailboxes_status"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_mailboxes_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_mailboxes"),
        sa.UniqueConstraint("user_id", name="uq_mailboxes_user_id"),
        sa.UniqueConstraint("email", name="uq_mailboxes_email"),
    )
    op.create_table(
        "feature_rules",
        sa.Column("subject_type", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("feature", sa.String(32), nullable=False),
        sa.Column("allowed", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("subject_type", "subject", "feature", name="pk_feature_rules"),
    )
    op.create_table(
        "sharing_rules",
        sa.Column("subject_type", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("value", sa.String(32)),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("subject_type", "subject", "field", name="pk_sharing_rules"),
    )
    op.create_table(
        "sharing_settings",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(16), nullable=False),
        sa.Column("selected_users", sa.JSON, nullable=False),
        sa.Column("selected_teams", sa.JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_sharing_settings_user_id_users"),
        sa.PrimaryKeyConstraint("user_id", name="pk_sharing_settings"),
    )
    op.create_table(
        "private_threads",
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("thread_id", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["mailbox_id"], ["mailboxes.id"], ondelete="CASCADE",
                                name="fk_private_threads_mailbox_id_mailboxes"),
        sa.PrimaryKeyConstraint("mailbox_id", "thread_id", name="pk_private_threads"),
    )


def downgrade() -> None:
    for name in ("private_threads", "sharing_settings", "sharing_rules", "feature_rules",
                 "mailboxes"):
        op.drop_table(name)
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
