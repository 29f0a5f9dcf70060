"""The shared Gmail quota budget: units charged per mailbox per second, for every process.

Used when background jobs run in several `gpanel worker` processes (GPANEL_QUEUE=procrastinate):
web processes and workers draw on one budget per mailbox (services/shared_budget.py). Rows
older than a minute are deleted as charges are made. Holds a mailbox id, a second and a count.

Revision ID: 0005_gmail_quota
Revises: 0004_api_tokens
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_gmail_quota"
down_revision: str | None = "0004_api_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gmail_quota",
        sa.Column("mailbox", sa.String(32), nullable=False),
        sa.Column("second", sa.BigInteger, nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("mailbox", "second", name="pk_gmail_quota"),
    )


def downgrade() -> None:
    op.drop_table("gmail_quota")
