"""Sending: idempotency keys, sends waiting as Gmail drafts, mail templates.

`send_keys` and `scheduled_sends` keep ids and times only (never a subject, body or recipient);
`mail_templates` is gpanel's own content, written by users.

Revision ID: 0009_sending
Revises: 0008_api_token_scopes
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_sending"
down_revision: str | None = "0008_api_token_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], ondelete=ondelete, name=f"fk_{table}_{column}_{target}"
    )


def upgrade() -> None:
    op.create_table(
        "send_keys",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("rfc_message_id", sa.String(200), nullable=False),
        sa.Column("gmail_message_id", sa.String(32)),
        sa.Column("gmail_thread_id", sa.String(32)),
        sa.Column("draft_id", sa.String(64)),
        sa.Column("send_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("send_keys", "user_id", "users", "CASCADE"),
        _fk("send_keys", "mailbox_id", "mailboxes", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_send_keys"),
        sa.UniqueConstraint("user_id", "key_hash", name="uq_send_keys_user_id"),
    )
    op.create_index("ix_send_keys_created_at", "send_keys", ["created_at"])
    op.create_table(
        "scheduled_sends",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("draft_id", sa.String(64), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("gmail_message_id", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("scheduled_sends", "mailbox_id", "mailboxes", "CASCADE"),
        _fk("scheduled_sends", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_sends"),
    )
    op.create_index("ix_scheduled_sends_due", "scheduled_sends", ["state", "send_at"])
    op.create_table(
        "mail_templates",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("folder", sa.String(200), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("shared", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("team_id", sa.Integer),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("mail_templates", "owner_id", "users", "CASCADE"),
        _fk("mail_templates", "team_id", "teams", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_mail_templates"),
    )


def downgrade() -> None:
    op.drop_table("mail_templates")
    op.drop_index("ix_scheduled_sends_due", table_name="scheduled_sends")
    op.drop_table("scheduled_sends")
    op.drop_index("ix_send_keys_created_at", table_name="send_keys")
    op.drop_table("send_keys")
