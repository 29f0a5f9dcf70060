"""Label settings: when labelled mail leaves the inbox (reserved; filled in by the labels work).

Revision ID: 0011_label_inbox_mode
Revises: 0010_private_labels
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0011_label_inbox_mode"
down_revision: str | None = "0010_private_labels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
