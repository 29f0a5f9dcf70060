"""Label settings: when labelled mail leaves the inbox, per mailbox.

`mailbox_jobs.labels_inbox_mode` is one of `at_once` (a message leaves the inbox when it gets a
category label: Zoho's behaviour, and what every mailbox did before this revision, so existing
rows get it), `once_read` (it leaves when it is read) or `never` (labels only). A setting, no
mail data.

Revision ID: 0011_label_inbox_mode
Revises: 0010_private_labels
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_label_inbox_mode"
down_revision: str | None = "0010_private_labels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox_jobs") as batch:
        batch.add_column(
            sa.Column("labels_inbox_mode", sa.String(16), nullable=False, server_default="at_once")
        )


def downgrade() -> None:
    with op.batch_alter_table("mailbox_jobs") as batch:
        batch.drop_column("labels_inbox_mode")
