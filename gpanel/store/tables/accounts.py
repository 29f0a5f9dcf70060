"""The tables of accounts: sessions, connected mailboxes, the admin's feature and sharing rules,
each person's sharing, private threads, parked mailboxes and API tokens."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from gpanel.store.tables.base import EMAIL_LEN, NAME_LEN, metadata

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

# --- Private labels (revision 0010_private_labels) ---------------------------------------------
# Gmail labels whose threads the mailbox's owner never shows to anyone else ("Personal"): the
# label's id and the name it had when chosen (names only, so the page can list them), no mail.
private_labels = Table(
    "private_labels",
    metadata,
    Column("mailbox_id", Integer, ForeignKey("mailboxes.id", ondelete="CASCADE"), primary_key=True),
    Column("label_id", String(64), primary_key=True),
    Column("label_name", String(NAME_LEN), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
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
    # Space-separated scopes (revision 0008_api_token_scopes; services/accounts/api_tokens.py).
    Column("scopes", String(200), nullable=False, server_default="crm:read crm:write"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)
