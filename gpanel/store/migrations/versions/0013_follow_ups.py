"""Follow-up reminders: "remind me if no reply in N days".

`follow_ups` keeps ids and times only: the mailbox, the user, the thread and the message sent
(Gmail ids), the due date and a state. `scheduled_sends` gains `remind_days` (the reminder to
set once a send later goes) and `seen_at` (the owner saw the bell's notice of a send that did
not go). Nothing of a message is stored.

Revision ID: 0013_follow_ups
Revises: 0012_team_mailboxes
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_follow_ups"
down_revision: str | None = "0012_team_mailboxes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], ondelete="CASCADE", name=f"fk_follow_ups_{column}_{target}"
    )


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("thread_id", sa.String(32), nullable=False),
        sa.Column("sent_message_id", sa.String(32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("mailbox_id", "mailboxes"),
        _fk("user_id", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_follow_ups"),
    )
    op.create_index("ix_follow_ups_due", "follow_ups", ["state", "due_at"])
    with op.batch_alter_table("scheduled_sends") as batch:
        batch.add_column(sa.Column("remind_days", sa.Integer))
        batch.add_column(sa.Column("seen_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("scheduled_sends") as batch:
        batch.drop_column("seen_at")
        batch.drop_column("remind_days")
    op.drop_index("ix_follow_ups_due", table_name="follow_ups")
    op.drop_table("follow_ups")
