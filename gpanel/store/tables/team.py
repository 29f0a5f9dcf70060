"""The tables of team mailboxes (revision 0012_team_mailboxes): a shared Gmail account an admin
connects for one or more teams, its dispatchers, and per Gmail thread its assignment and status.

A team mailbox is an ordinary `mailboxes` row (same OAuth grant, token vault, quota budget and
jobs) whose owner is a *team account*: a `users` row with `team_account` true. A team account
never signs in, holds no API token and is never offered as a person (people pickers, assignees,
sharing choices filter on the flag). Its mail shows on records under its own `sharing_settings`
row, which connecting sets to "selected teams: the mailbox's teams".

Ids, statuses and times only: the Gmail thread id, who holds it, which status, when each change
happened. Nothing of the mail (no subject, sender, snippet or body; docs/behaviour.md,
"Privacy"). Deleting the mailbox (disconnect) cascades through every table here, so
disconnecting forgets all of the team data.

- `team_mailboxes`: one per connected team mailbox, 1:1 with its `mailboxes` row; the options
  (take unassigned, mark read when assigned, archive on close, leads from mail, the statuses the
  banner shows, the response time in working minutes and the working week).
- `team_mailbox_teams`, `team_mailbox_dispatchers`: which teams it is given to, who dispatches.
- `team_threads`: one per Gmail thread gpanel has seen in the mailbox's inbox: status
  (unassigned | assigned | in_progress | to_handle | closed; overdue is computed), assignee,
  `version` for compare-and-set, and the times (first seen, assigned, first response from the
  mailbox after assignment, closed, opened by the assignee for the "New" badge).
- `team_thread_events`: append-only history (who did what, to whom, which status, when), from
  which response and resolution times are computed.
- `team_notifications`: the bell's team entries for one person (assigned, reassigned, overdue,
  new mail, returned when a member left), ids and times only, until read.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from gpanel.store.tables.base import EMAIL_LEN, NAME_LEN, metadata

TEAM_STATUSES = ("unassigned", "assigned", "in_progress", "to_handle", "closed")
# seen: first listed | assigned | unassigned (released, or the assignee left the team) |
# status | replied (a reply sent from the team mailbox) | opened (the assignee opened it)
TEAM_EVENT_KINDS = ("seen", "assigned", "unassigned", "status", "replied", "opened")

team_mailboxes = Table(
    "team_mailboxes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "mailbox_id",
        Integer,
        ForeignKey("mailboxes.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("name", String(NAME_LEN), nullable=False),
    Column("send_as", String(EMAIL_LEN)),  # a verified send-as alias; None: the address itself
    Column("members_may_take", Boolean, nullable=False, server_default="0"),
    Column("mark_read_on_assign", Boolean, nullable=False, server_default="0"),
    Column("archive_on_close", Boolean, nullable=False, server_default="0"),
    Column("lead_capture", Boolean, nullable=False, server_default="0"),
    Column("banner_statuses", JSON, nullable=False),  # list of status names (overdue allowed)
    Column("response_minutes", Integer, nullable=False, server_default="240"),  # working minutes
    Column("work_days", String(7), nullable=False, server_default="01234"),  # Mon=0 .. Sun=6
    Column("work_start_hour", Integer, nullable=False, server_default="9"),
    Column("work_end_hour", Integer, nullable=False, server_default="17"),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

team_mailbox_teams = Table(
    "team_mailbox_teams",
    metadata,
    Column(
        "team_mailbox_id",
        Integer,
        ForeignKey("team_mailboxes.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)

team_mailbox_dispatchers = Table(
    "team_mailbox_dispatchers",
    metadata,
    Column(
        "team_mailbox_id",
        Integer,
        ForeignKey("team_mailboxes.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

team_threads = Table(
    "team_threads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "team_mailbox_id",
        Integer,
        ForeignKey("team_mailboxes.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("thread_id", String(32), nullable=False),  # Gmail's thread id
    Column("status", String(16), nullable=False, server_default="unassigned"),
    Column("assignee_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), index=True),
    Column("version", Integer, nullable=False, server_default="0"),  # compare-and-set
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("assigned_at", DateTime(timezone=True)),
    Column("first_response_at", DateTime(timezone=True)),  # first reply after assignment
    Column("closed_at", DateTime(timezone=True)),
    Column("opened_at", DateTime(timezone=True)),  # by the assignee, since assigned ("New")
    Column("overdue_notified_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("team_mailbox_id", "thread_id"),
    CheckConstraint(
        "status IN ('unassigned', 'assigned', 'in_progress', 'to_handle', 'closed')",
        name="status",
    ),
)
Index("ix_team_threads_box_status", team_threads.c.team_mailbox_id, team_threads.c.status)

team_thread_events = Table(
    "team_thread_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "team_mailbox_id",
        Integer,
        ForeignKey("team_mailboxes.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "team_thread_id",
        Integer,
        ForeignKey("team_threads.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("actor_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("kind", String(16), nullable=False),
    Column("assignee_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("status", String(16)),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_team_thread_events_box_at", team_thread_events.c.team_mailbox_id, team_thread_events.c.at)

# assigned | reassigned (taken away from you) | overdue | new_mail | returned (a member left)
TEAM_NOTIFICATION_KINDS = ("assigned", "reassigned", "overdue", "new_mail", "returned")

team_notifications = Table(
    "team_notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column(
        "team_mailbox_id",
        Integer,
        ForeignKey("team_mailboxes.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "team_thread_id",
        Integer,
        ForeignKey("team_threads.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(16), nullable=False),
    Column("actor_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True)),
)
Index("ix_team_notifications_user", team_notifications.c.user_id, team_notifications.c.read_at)
