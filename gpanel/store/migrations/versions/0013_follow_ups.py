"""Follow-up reminders (reserved; filled in by the sending work).

Revision ID: 0013_follow_ups
Revises: 0012_team_mailboxes
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0013_follow_ups"
down_revision: str | None = "0012_team_mailboxes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
