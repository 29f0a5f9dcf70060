"""Private labels: `private_labels`, the Gmail labels whose threads a mailbox's owner never
shows to anyone else (for example "Personal").

The label's Gmail id and the name it had when chosen; no message, thread or address. Deleting
the mailbox deletes the rows.

Revision ID: 0010_private_labels
Revises: 0009_sending
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_private_labels"
down_revision: str | None = "0009_sending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "private_labels",
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("label_id", sa.String(64), nullable=False),
        sa.Column("label_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            ondelete="CASCADE",
            name="fk_private_labels_mailbox_id_mailboxes",
        ),
        sa.PrimaryKeyConstraint("mailbox_id", "label_id", name="pk_private_labels"),
    )


def downgrade() -> None:
    op.drop_table("private_labels")
