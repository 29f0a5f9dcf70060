"""Who looked at my mail: `thread_views`, one row per colleague's opening of a thread.

Ids and a time only (mailbox, Gmail thread id, the viewer's user id, when): no subject, no
address. Deleting the mailbox or the viewer deletes the rows; the hourly purge removes rows
older than MailMagnet's retention (`GPANEL_MAGNET_RETENTION_DAYS`).

Revision ID: 0007_thread_views
Revises: 0006_parked_mailboxes
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_thread_views"
down_revision: str | None = "0006_parked_mailboxes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "thread_views",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("thread_id", sa.String(32), nullable=False),
        sa.Column("viewer_id", sa.Integer, nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            ondelete="CASCADE",
            name="fk_thread_views_mailbox_id_mailboxes",
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["users.id"], ondelete="CASCADE", name="fk_thread_views_viewer_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_thread_views"),
    )
    op.create_index("ix_thread_views_viewed_at", "thread_views", ["viewed_at"])
    op.create_index("ix_thread_views_mailbox", "thread_views", ["mailbox_id", "viewed_at"])


def downgrade() -> None:
    op.drop_index("ix_thread_views_mailbox", table_name="thread_views")
    op.drop_index("ix_thread_views_viewed_at", table_name="thread_views")
    op.drop_table("thread_views")
