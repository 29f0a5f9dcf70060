"""Team mailboxes: `users.team_account`, `team_mailboxes`, `team_mailbox_teams`,
`team_mailbox_dispatchers`, `team_threads`, `team_thread_events` and `team_notifications`
(gpanel/store/tables/team.py describes them).

Ids, statuses and times only; nothing of the mail. Deleting the mailbox deletes every row.

Revision ID: 0012_team_mailboxes
Revises: 0011_label_inbox_mode
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_team_mailboxes"
down_revision: str | None = "0011_label_inbox_mode"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def _box_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["team_mailbox_id"],
        ["team_mailboxes.id"],
        ondelete="CASCADE",
        name=f"fk_{table}_team_mailbox_id_team_mailboxes",
    )


def _user_fk(table: str, column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], ondelete=ondelete, name=f"fk_{table}_{column}_users"
    )


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("team_account", sa.Boolean, nullable=False, server_default="0")
    )
    op.create_table(
        "team_mailboxes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("mailbox_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("send_as", sa.String(320)),
        sa.Column("members_may_take", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("mark_read_on_assign", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("archive_on_close", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("lead_capture", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("banner_statuses", sa.JSON, nullable=False),
        sa.Column("response_minutes", sa.Integer, nullable=False, server_default="240"),
        sa.Column("work_days", sa.String(7), nullable=False, server_default="01234"),
        sa.Column("work_start_hour", sa.Integer, nullable=False, server_default="9"),
        sa.Column("work_end_hour", sa.Integer, nullable=False, server_default="17"),
        sa.Column("created_by", sa.Integer),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_team_mailboxes"),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            ondelete="CASCADE",
            name="fk_team_mailboxes_mailbox_id_mailboxes",
        ),
        _user_fk("team_mailboxes", "created_by", "SET NULL"),
        sa.UniqueConstraint("mailbox_id", name="uq_team_mailboxes_mailbox_id"),
    )
    op.create_table(
        "team_mailbox_teams",
        sa.Column("team_mailbox_id", sa.Integer, nullable=False),
        sa.Column("team_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("team_mailbox_id", "team_id", name="pk_team_mailbox_teams"),
        _box_fk("team_mailbox_teams"),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            ondelete="CASCADE",
            name="fk_team_mailbox_teams_team_id_teams",
        ),
    )
    op.create_table(
        "team_mailbox_dispatchers",
        sa.Column("team_mailbox_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("team_mailbox_id", "user_id", name="pk_team_mailbox_dispatchers"),
        _box_fk("team_mailbox_dispatchers"),
        _user_fk("team_mailbox_dispatchers", "user_id", "CASCADE"),
    )
    op.create_table(
        "team_threads",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("team_mailbox_id", sa.Integer, nullable=False),
        sa.Column("thread_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="unassigned"),
        sa.Column("assignee_id", sa.Integer),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_seen_at", _TZ, nullable=False),
        sa.Column("assigned_at", _TZ),
        sa.Column("first_response_at", _TZ),
        sa.Column("closed_at", _TZ),
        sa.Column("opened_at", _TZ),
        sa.Column("overdue_notified_at", _TZ),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_team_threads"),
        _box_fk("team_threads"),
        _user_fk("team_threads", "assignee_id", "SET NULL"),
        sa.UniqueConstraint("team_mailbox_id", "thread_id", name="uq_team_threads_team_mailbox_id"),
        sa.CheckConstraint(
            "status IN ('unassigned', 'assigned', 'in_progress', 'to_handle', 'closed')",
            name="ck_team_threads_status",
        ),
    )
    op.create_index("ix_team_threads_assignee_id", "team_threads", ["assignee_id"])
    op.create_index("ix_team_threads_box_status", "team_threads", ["team_mailbox_id", "status"])
    op.create_table(
        "team_thread_events",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("team_mailbox_id", sa.Integer, nullable=False),
        sa.Column("team_thread_id", sa.Integer, nullable=False),
        sa.Column("actor_id", sa.Integer),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("assignee_id", sa.Integer),
        sa.Column("status", sa.String(16)),
        sa.Column("at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_team_thread_events"),
        _box_fk("team_thread_events"),
        sa.ForeignKeyConstraint(
            ["team_thread_id"],
            ["team_threads.id"],
            ondelete="CASCADE",
            name="fk_team_thread_events_team_thread_id_team_threads",
        ),
        _user_fk("team_thread_events", "actor_id", "SET NULL"),
        _user_fk("team_thread_events", "assignee_id", "SET NULL"),
    )
    op.create_index(
        "ix_team_thread_events_team_thread_id", "team_thread_events", ["team_thread_id"]
    )
    op.create_index("ix_team_thread_events_box_at", "team_thread_events", ["team_mailbox_id", "at"])
    op.create_table(
        "team_notifications",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("team_mailbox_id", sa.Integer, nullable=False),
        sa.Column("team_thread_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.Integer),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("read_at", _TZ),
        sa.PrimaryKeyConstraint("id", name="pk_team_notifications"),
        _user_fk("team_notifications", "user_id", "CASCADE"),
        _user_fk("team_notifications", "actor_id", "SET NULL"),
        _box_fk("team_notifications"),
        sa.ForeignKeyConstraint(
            ["team_thread_id"],
            ["team_threads.id"],
            ondelete="CASCADE",
            name="fk_team_notifications_team_thread_id_team_threads",
        ),
    )
    op.create_index("ix_team_notifications_user", "team_notifications", ["user_id", "read_at"])


def downgrade() -> None:
    op.drop_table("team_notifications")
    op.drop_table("team_thread_events")
    op.drop_table("team_threads")
    op.drop_table("team_mailbox_dispatchers")
    op.drop_table("team_mailbox_teams")
    op.drop_table("team_mailboxes")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("team_account")
