"""The tables of gpanel's state about mail: unlinks, block rules, MailMagnet hits, who opened
which thread, the background jobs' cursors, what the label runs archived, the shared quota.

Only ids, one sender address and times: no subject, snippet, body or recipient list has a
column anywhere here (docs/behaviour.md, "Privacy").
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from gpanel.store.tables.base import EMAIL_LEN, metadata

# --- Record panel and background jobs (revision 0003_mail_state) ---------------------------------

unlinks = Table(
    "unlinks",
    metadata,
    Column("mailbox_id", Integer, ForeignKey("mailboxes.id", ondelete="CASCADE"), primary_key=True),
    Column("thread_id", String(32), primary_key=True),
    Column("record_type", String(16), primary_key=True),  # contact | company | deal
    Column("record_id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

blocked_addresses = Table(
    "blocked_addresses",
    metadata,
    Column("id", Integer, primary_key=True),
    # NULL: an org-wide rule (set by an admin); otherwise one user's own rule.
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True),
    Column("pattern", String(EMAIL_LEN), nullable=False),  # an address, or @domain
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "pattern", name="uq_blocked_addresses_user_pattern"),
)

magnet_hits = Table(
    "magnet_hits",
    metadata,
    Column("mailbox_id", Integer, ForeignKey("mailboxes.id", ondelete="CASCADE"), primary_key=True),
    Column("message_id", String(32), primary_key=True),
    Column("thread_id", String(32), nullable=False),
    Column("sender", String(EMAIL_LEN), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
    Column("opened_at", DateTime(timezone=True)),
)
Index("ix_magnet_hits_thread", magnet_hits.c.mailbox_id, magnet_hits.c.thread_id)

# Who opened which thread of a mailbox, and when: ids and the time only (never a subject or an
# address), so the owner can see which colleagues looked. Purged like MailMagnet's hits.
thread_views = Table(
    "thread_views",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mailbox_id", Integer, ForeignKey("mailboxes.id", ondelete="CASCADE"), nullable=False),
    Column("thread_id", String(32), nullable=False),
    Column("viewer_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("viewed_at", DateTime(timezone=True), nullable=False, index=True),
)
Index("ix_thread_views_mailbox", thread_views.c.mailbox_id, thread_views.c.viewed_at)

mailbox_jobs = Table(
    "mailbox_jobs",
    metadata,
    Column("mailbox_id", Integer, ForeignKey("mailboxes.id", ondelete="CASCADE"), primary_key=True),
    Column("magnet_enabled", Boolean, nullable=False),
    Column("magnet_history_id", String(32)),  # the cursor: moves only after rows commit
    Column("magnet_checked_at", DateTime(timezone=True)),
    Column("watch_expires_at", DateTime(timezone=True)),
    Column("labels_enabled", Boolean, nullable=False),
    Column("labels_since", DateTime(timezone=True)),  # start of the backfill window
    Column("labels_history_id", String(32)),
    Column("labels_run_at", DateTime(timezone=True)),
    Column("label_ids", JSON, nullable=False),  # category -> Gmail label id
    # When labelled mail leaves the inbox: at_once | once_read | never (revision 0011).
    Column("labels_inbox_mode", String(16), nullable=False, server_default="at_once"),
    Column("last_error", String(500)),
    Column("last_error_at", DateTime(timezone=True)),
)

label_archived = Table(
    "label_archived",
    metadata,
    Column("mailbox_id", Integer, ForeignKey("mailboxes.id", ondelete="CASCADE"), primary_key=True),
    Column("message_id", String(32), primary_key=True),
    Column("archived_at", DateTime(timezone=True), nullable=False),
)

# --- Shared Gmail quota budget (revision 0005_gmail_quota) ------------------------------------
# Units charged per mailbox per second, so every web process and worker draws on one budget
# (services/shared_budget.py). Only a mailbox id, an epoch second and a count.

gmail_quota = Table(
    "gmail_quota",
    metadata,
    Column("mailbox", String(32), primary_key=True),
    Column("second", BigInteger, primary_key=True),
    Column("units", Integer, nullable=False),
)
