"""gpanel's database schema, as SQLAlchemy Core tables on one `MetaData`.

The same definitions run on SQLite (the embedded default) and PostgreSQL. This module is the
schema's description for queries; the Alembic revisions in `migrations/versions/` are what
create and change it, and a test checks that the two agree. Later capabilities (accounts,
mailboxes, sessions, unlinks, MailMagnet hits, label state) add their tables here and in a new
revision of their own.

Email addresses are stored twice on purpose: `email` is the address trimmed and lower-cased
(unique: one address belongs to one contact, so a sender maps to exactly one person), and
`folded` is the same address with Gmail's dots and `+tag` removed. Lookups compare on `email`,
or on `folded` when the org turns Gmail folding on, so changing that setting needs no rewrite.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Deterministic constraint names, so migrations can refer to them on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# RFC 5321 caps a path at 256 octets; 320 is the usual generous bound for local@domain.
EMAIL_LEN = 320
NAME_LEN = 200
EXTERNAL_ID_LEN = 200

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

# --- Accounts (revision 0002_accounts) -----------------------------------------------------------
# Sessions are stored by the SHA-256 of their id, so a copy of the database cannot be replayed
# as live cookies. Mailboxes hold the refresh token only encrypted (see services/vault.py).

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

mailboxes = Table(
    "mailboxes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    ),
    Column("email", String(EMAIL_LEN), nullable=False, unique=True),
    Column("google_sub", String(64), nullable=False),
    Column("refresh_token_enc", Text, nullable=False),
    Column("scopes", Text, nullable=False),  # space separated, as Google returns them
    Column("status", String(24), nullable=False),  # connected | needs_reconnect
    Column("last_error", String(500)),  # plain words with the fix; never mail content
    Column("last_error_at", DateTime(timezone=True)),
    Column("history_id", String(32)),  # the last change gpanel saw
    Column("connected_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('connected', 'needs_reconnect')", name="status"),
)

# Admin rules. `subject_type` is 'role' (subject: admin|manager|rep) or 'user' (subject: id).
feature_rules = Table(
    "feature_rules",
    metadata,
    Column("subject_type", String(8), primary_key=True),
    Column("subject", String(32), primary_key=True),
    Column("feature", String(32), primary_key=True),
    Column("allowed", Boolean, nullable=False),
)

sharing_rules = Table(
    "sharing_rules",
    metadata,
    Column("subject_type", String(8), primary_key=True),
    Column("subject", String(32), primary_key=True),
    Column("field", String(16), primary_key=True),  # audience | detail
    Column("mode", String(16), nullable=False),  # choice | forced
    Column("value", String(32)),
    Column("locked", Boolean, nullable=False),
)

sharing_settings = Table(
    "sharing_settings",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("audience", String(16), nullable=False),
    Column("detail", String(16), nullable=False),
    Column("selected_users", JSON, nullable=False),  # list of user ids
    Column("selected_teams", JSON, nullable=False),  # list of team ids
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

private_threads = Table(
    "private_threads",
    metadata,
    Column("mailbox_id", Integer, ForeignKey("mailboxes.id", ondelete="CASCADE"), primary_key=True),
    Column("thread_id", String(32), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# --- Record panel and background jobs (revision 0003_mail_state) ---------------------------------
# Only ids, one sender address and times: the privacy invariant (docs/behaviour.md, "Privacy"). No
# subject, snippet, body or recipient list has a column anywhere in this schema.

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

# --- Parked mailboxes (revision 0006_parked_mailboxes) -----------------------------------------
# What a default disconnect keeps for the same Google account to find again: the reserved mailbox
# id (thread links stay valid), the account's stable id `sub`, and ids only in `kept` (private
# thread ids, unlinks, labels-undo message ids, the MailMagnet/labels switches). No mail content.

parked_mailboxes = Table(
    "parked_mailboxes",
    metadata,
    Column("mailbox_id", Integer, primary_key=True, autoincrement=False),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    ),
    Column("google_sub", String(64), nullable=False),
    Column("kept", JSON, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False),
)

# --- API tokens (revision 0004_api_tokens) -------------------------------------------------------
# For systems that push CRM data to the JSON API. Only a SHA-256 of the token is stored; the
# token is shown once, when it is made.

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("name", String(NAME_LEN), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(12), nullable=False),  # shown in lists to tell tokens apart
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
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
