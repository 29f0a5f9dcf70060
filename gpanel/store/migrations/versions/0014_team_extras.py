"""Team mailboxes: label rules by recipient and figures (reserved; filled in by the team figures work).

Revision ID: 0014_team_extras
Revises: 0013_follow_ups
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0014_team_extras"
down_revision: str | None = "0013_follow_ups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
