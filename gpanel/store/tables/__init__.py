"""gpanel's database schema, as SQLAlchemy Core tables on one `MetaData`, by concept: `crm`
(people, companies, contacts, deals, imports), `accounts` (sessions, mailboxes, rules, tokens),
`mail_state` (unlinks, blocks, MailMagnet, jobs, label state, quota), `sending` (send keys,
sends waiting as drafts, templates), `team` (team mailboxes and their threads' assignments),
`team_extras` (their label rules by recipient and lead capture), `stamps` (the change
stamp views are validated by); `base` holds the metadata.

The same definitions run on SQLite (the embedded default) and PostgreSQL. They describe the
schema for queries; the Alembic revisions in `migrations/versions/` are what create and change
it, and a test checks that the two agree. A new capability adds its tables to the module of its
concept and a revision of its own. Everyone imports the tables from here.
"""

from gpanel.store.tables.accounts import (
    api_tokens,
    feature_rules,
    mailboxes,
    parked_mailboxes,
    private_labels,
    private_threads,
    sessions,
    sharing_rules,
    sharing_settings,
)
from gpanel.store.tables.base import (
    EMAIL_LEN,
    EXTERNAL_ID_LEN,
    NAME_LEN,
    NAMING_CONVENTION,
    metadata,
)
from gpanel.store.tables.crm import (
    CONTACT_KINDS,
    DEFAULT_STAGES,
    ROLES,
    companies,
    company_domains,
    contact_emails,
    contacts,
    deal_contacts,
    deals,
    import_runs,
    stages,
    teams,
    users,
)
from gpanel.store.tables.mail_state import (
    blocked_addresses,
    gmail_quota,
    label_archived,
    magnet_hits,
    mailbox_jobs,
    thread_views,
    unlinks,
)
from gpanel.store.tables.sending import follow_ups, mail_templates, scheduled_sends, send_keys
from gpanel.store.tables.stamps import change_base, change_log
from gpanel.store.tables.team import (
    TEAM_EVENT_KINDS,
    TEAM_NOTIFICATION_KINDS,
    TEAM_STATUSES,
    team_mailbox_dispatchers,
    team_mailbox_teams,
    team_mailboxes,
    team_notifications,
    team_thread_events,
    team_threads,
)
from gpanel.store.tables.team_extras import (
    team_extras_runs,
    team_label_rules,
    team_lead_seen,
)

__all__ = [
    "CONTACT_KINDS",
    "DEFAULT_STAGES",
    "EMAIL_LEN",
    "EXTERNAL_ID_LEN",
    "NAME_LEN",
    "NAMING_CONVENTION",
    "ROLES",
    "TEAM_EVENT_KINDS",
    "TEAM_NOTIFICATION_KINDS",
    "TEAM_STATUSES",
    "api_tokens",
    "blocked_addresses",
    "change_base",
    "change_log",
    "companies",
    "company_domains",
    "contact_emails",
    "contacts",
    "deal_contacts",
    "deals",
    "feature_rules",
    "follow_ups",
    "gmail_quota",
    "import_runs",
    "label_archived",
    "magnet_hits",
    "mail_templates",
    "mailbox_jobs",
    "mailboxes",
    "metadata",
    "parked_mailboxes",
    "private_labels",
    "private_threads",
    "scheduled_sends",
    "send_keys",
    "sessions",
    "sharing_rules",
    "sharing_settings",
    "stages",
    "team_extras_runs",
    "team_label_rules",
    "team_lead_seen",
    "team_mailbox_dispatchers",
    "team_mailbox_teams",
    "team_mailboxes",
    "team_notifications",
    "team_thread_events",
    "team_threads",
    "teams",
    "thread_views",
    "unlinks",
    "users",
]
