"""The CRM's tables: people (users, teams), companies and their domains, contacts and their
addresses, stages, deals and their contacts, and the CSV import runs (revision 0001).

Email addresses are stored twice on purpose: `email` is the address trimmed and lower-cased
(unique: one address belongs to one contact, so a sender maps to exactly one person), and
`folded` is the same address with Gmail's dots and `+tag` removed. Lookups compare on `email`,
or on `folded` when the org turns Gmail folding on, so changing that setting needs no rewrite.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
)

from gpanel.store.tables.base import EMAIL_LEN, EXTERNAL_ID_LEN, NAME_LEN, metadata

ROLES = ("admin", "manager", "rep")
CONTACT_KINDS = ("contact", "lead")

# The stages a new database starts with (the first revision inserts them). Closed Won and
# Closed Lost close a deal; the rest are open, in pipeline order.
DEFAULT_STAGES: tuple[tuple[str, int, bool, bool], ...] = (
    ("Qualification", 10, False, False),
    ("Needs Analysis", 20, False, False),
    ("Proposal", 30, False, False),
    ("Negotiation", 40, False, False),
    ("Closed Won", 90, True, True),
    ("Closed Lost", 100, True, False),
)


def _timestamps() -> list[Column[object]]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    ]


teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(NAME_LEN), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(EMAIL_LEN), nullable=False, unique=True),  # lower-cased
    Column("name", String(NAME_LEN), nullable=False),
    Column("role", String(16), nullable=False),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL"), index=True),
    Column("active", Boolean, nullable=False),
    # A team mailbox's owner (revision 0012_team_mailboxes): never signs in, never a person.
    Column("team_account", Boolean, nullable=False, server_default="0"),
    *_timestamps(),
    CheckConstraint("role IN ('admin', 'manager', 'rep')", name="role"),
)

companies = Table(
    "companies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(EXTERNAL_ID_LEN), unique=True),
    Column("name", String(NAME_LEN), nullable=False, index=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), index=True),
    *_timestamps(),
)

company_domains = Table(
    "company_domains",
    metadata,
    # A domain belongs to one company, so mail from it maps to one place.
    Column("domain", String(255), primary_key=True),
    Column(
        "company_id",
        Integer,
        ForeignKey("companies.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(EXTERNAL_ID_LEN), unique=True),
    Column("kind", String(16), nullable=False),
    Column("first_name", String(NAME_LEN), nullable=False),
    Column("last_name", String(NAME_LEN), nullable=False),
    Column("title", String(NAME_LEN), nullable=False),
    Column("company_id", Integer, ForeignKey("companies.id", ondelete="SET NULL"), index=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), index=True),
    *_timestamps(),
    CheckConstraint("kind IN ('contact', 'lead')", name="kind"),
)
Index("ix_contacts_last_first", contacts.c.last_name, contacts.c.first_name)

contact_emails = Table(
    "contact_emails",
    metadata,
    Column("email", String(EMAIL_LEN), primary_key=True),
    Column("folded", String(EMAIL_LEN), nullable=False, index=True),
    Column(
        "contact_id",
        Integer,
        ForeignKey("contacts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("position", Integer, nullable=False),  # 0 is the primary address
)

stages = Table(
    "stages",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("is_closed", Boolean, nullable=False),
    Column("is_won", Boolean, nullable=False),
    CheckConstraint("is_closed OR NOT is_won", name="won_is_closed"),
)

deals = Table(
    "deals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(EXTERNAL_ID_LEN), unique=True),
    Column("name", String(NAME_LEN), nullable=False, index=True),
    Column("amount", Numeric(16, 2)),
    Column(
        "stage",
        String(100),
        ForeignKey("stages.name", ondelete="RESTRICT", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("closing_date", Date, index=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), index=True),
    Column("company_id", Integer, ForeignKey("companies.id", ondelete="SET NULL"), index=True),
    Column(
        "primary_contact_id",
        Integer,
        ForeignKey("contacts.id", ondelete="SET NULL"),
        index=True,
    ),
    *_timestamps(),
)

deal_contacts = Table(
    "deal_contacts",
    metadata,
    Column("deal_id", Integer, ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "contact_id",
        Integer,
        ForeignKey("contacts.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("role", String(NAME_LEN), nullable=False),
)

import_runs = Table(
    "import_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("rows_ok", Integer, nullable=False),
    Column("rows_failed", Integer, nullable=False),
    Column("dry_run", Boolean, nullable=False),
)
