"""Team mailboxes (reserved; filled in by the team mailbox work).

Revision ID: 0012_team_mailboxes
Revises: 0011_label_inbox_mode
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0012_team_mailboxes"
down_revision: str | None = "0011_label_inbox_mode"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
