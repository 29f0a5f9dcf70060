"""The tables of sending (revisions 0009_sending and 0013_follow_ups): idempotency keys, sends
that wait as Gmail drafts, follow-up reminders, and mail templates.

`send_keys` and `scheduled_sends` hold ids and times only: a hash of the caller's key, the
mailbox, the Message-ID gpanel set (a random id it made, so it can look for the sent mail after
a dropped connection) and Gmail's ids. Nothing of the message (subject, body, recipients) has a
column (docs/behaviour.md, "Privacy"). `mail_templates` is gpanel's own content, written by
users in gpanel, so its subject and bodies are stored. `follow_ups` keeps the thread id, the
id of the message sent (so "a reply after it" is exact), the mailbox, the user and the due date.
A scheduled send's `remind_days` is the reminder asked for a message that has not gone yet, and
`seen_at` says the owner has seen the bell's notice of a send that did not go.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from gpanel.store.tables.base import NAME_LEN, metadata

send_keys = Table(
    "send_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("mailbox_id", Integer, ForeignKey("mailboxes.id", ondelete="CASCADE"), nullable=False),
    Column("key_hash", String(64), nullable=False),  # sha256 hex of the Idempotency-Key
    Column("state", String(16), nullable=False),  # sending | sent | scheduled | unknown
    Column("rfc_message_id", String(200), nullable=False),  # the Message-ID gpanel set
    Column("gmail_message_id", String(32)),
    Column("gmail_thread_id", String(32)),
    Column("draft_id", String(64)),
    Column("send_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    UniqueConstraint("user_id", "key_hash"),
)

scheduled_sends = Table(
    "scheduled_sends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mailbox_id", Integer, ForeignKey("mailboxes.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("draft_id", String(64), nullable=False),
    Column("send_at", DateTime(timezone=True), nullable=False),
    # waiting | sent | cancelled | gone (the draft was deleted) | failed
    Column("state", String(16), nullable=False),
    Column("gmail_message_id", String(32)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("remind_days", Integer),  # 0013: a follow-up reminder to set once it is sent
    Column("seen_at", DateTime(timezone=True)),  # 0013: the owner saw the bell's notice
)
Index("ix_scheduled_sends_due", scheduled_sends.c.state, scheduled_sends.c.send_at)

mail_templates = Table(
    "mail_templates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(NAME_LEN), nullable=False),
    Column("folder", String(NAME_LEN), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),  # draft | published
    Column("shared", Boolean, nullable=False, server_default="0"),
    # Shared with one team (None with `shared`: every team).
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL")),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

follow_ups = Table(
    "follow_ups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mailbox_id", Integer, ForeignKey("mailboxes.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("thread_id", String(32), nullable=False),
    Column("sent_message_id", String(32), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    # waiting | checking | notified (bell, unseen) | seen | replied | cancelled | failed
    Column("state", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_follow_ups_due", follow_ups.c.state, follow_ups.c.due_at)
