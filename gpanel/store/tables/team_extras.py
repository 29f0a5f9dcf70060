"""The team mailboxes' extras (revision 0014_team_extras): label rules by recipient, the state
of the background pass that applies them and captures leads, the addresses already turned
into leads. (A thread's arrival time for the figures is `team_threads.first_seen_at`, which the
team inbox takes from Gmail's own message times.)

Ids, addresses the admin typed, label names and times only; nothing of the mail. Every row
hangs off a `team_mailboxes` (or `team_threads`) row by a cascading key, so disconnecting the
mailbox forgets all of it.

- `team_label_rules`: "mail sent to <address> (To or Cc) gets Gmail label <name>", per team
  mailbox; the label's Gmail id once found or created; `backfilled` once the mail already in
  the mailbox has been searched for it.
- `team_extras_runs`: per team mailbox, the history cursor of the background pass, when it last
  ran and its last trouble in plain words.
- `team_lead_seen`: the SHA-256 of each sender address the pass has turned into a lead (or
  found already known when it looked), so an address becomes a lead once, even after the lead
  is deleted; the hash, not the address, is kept.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from gpanel.store.tables.base import EMAIL_LEN, metadata

LABEL_NAME_LEN = 225  # Gmail's own bound on a label name

team_label_rules = Table(
    "team_label_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "team_mailbox_id",
        Integer,
        ForeignKey("team_mailboxes.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("address", String(EMAIL_LEN), nullable=False),
    Column("label_name", String(LABEL_NAME_LEN), nullable=False),
    Column("label_id", String(64)),
    Column("backfilled", Boolean, nullable=False, server_default="0"),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("team_mailbox_id", "address", "label_name"),
)

team_extras_runs = Table(
    "team_extras_runs",
    metadata,
    Column(
        "team_mailbox_id",
        Integer,
        ForeignKey("team_mailboxes.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("history_id", String(32)),
    Column("run_at", DateTime(timezone=True)),
    Column("last_error", String(500)),
    Column("last_error_at", DateTime(timezone=True)),
)

team_lead_seen = Table(
    "team_lead_seen",
    metadata,
    Column("address_sha256", String(64), primary_key=True),
    Column(
        "team_mailbox_id",
        Integer,
        ForeignKey("team_mailboxes.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="SET NULL")),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
