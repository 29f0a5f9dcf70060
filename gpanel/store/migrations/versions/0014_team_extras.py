"""Team mailboxes' extras: label rules by recipient (`team_label_rules`), the background pass's
cursor (`team_extras_runs`) and the addresses already turned into leads, as hashes
(`team_lead_seen`).

Addresses the admin typed, label names, ids and times only; nothing of the mail. Every row
cascades from its team mailbox, so disconnecting forgets it.

Revision ID: 0014_team_extras
Revises: 0013_follow_ups
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_team_extras"
down_revision: str | None = "0013_follow_ups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _box_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["team_mailbox_id"],
        ["team_mailboxes.id"],
        ondelete="CASCADE",
        name=f"fk_{table}_team_mailbox_id_team_mailboxes",
    )


def upgrade() -> None:
    op.create_table(
        "team_label_rules",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("team_mailbox_id", sa.Integer, nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("label_name", sa.String(225), nullable=False),
        sa.Column("label_id", sa.String(64)),
        sa.Column("backfilled", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("created_by", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _box_fk("team_label_rules"),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            ondelete="SET NULL",
            name="fk_team_label_rules_created_by_users",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_team_label_rules"),
        sa.UniqueConstraint(
            "team_mailbox_id",
            "address",
            "label_name",
            name="uq_team_label_rules_team_mailbox_id",
        ),
    )
    op.create_table(
        "team_extras_runs",
        sa.Column("team_mailbox_id", sa.Integer, nullable=False),
        sa.Column("history_id", sa.String(32)),
        sa.Column("run_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.String(500)),
        sa.Column("last_error_at", sa.DateTime(timezone=True)),
        _box_fk("team_extras_runs"),
        sa.PrimaryKeyConstraint("team_mailbox_id", name="pk_team_extras_runs"),
    )
    op.create_table(
        "team_lead_seen",
        sa.Column("address_sha256", sa.String(64), nullable=False),
        sa.Column("team_mailbox_id", sa.Integer, nullable=False),
        sa.Column("contact_id", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _box_fk("team_lead_seen"),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            ondelete="SET NULL",
            name="fk_team_lead_seen_contact_id_contacts",
        ),
        sa.PrimaryKeyConstraint("address_sha256", name="pk_team_lead_seen"),
    )
    op.create_index("ix_team_lead_seen_team_mailbox_id", "team_lead_seen", ["team_mailbox_id"])


def downgrade() -> None:
    op.drop_index("ix_team_lead_seen_team_mailbox_id", table_name="team_lead_seen")
    op.drop_table("team_lead_seen")
    op.drop_table("team_extras_runs")
    op.drop_table("team_label_rules")
