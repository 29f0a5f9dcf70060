"""API token scopes: what each personal API token may do.

`api_tokens.scopes` holds the token's scopes, space separated (`crm:read crm:write mail:read
mail:act mail:send`). Tokens made before scopes existed were made for pushing CRM data (the
only use the token page offered), so they get `crm:read crm:write`: they keep working for
that and lose the reach into mail they never needed.

Revision ID: 0008_api_token_scopes
Revises: 0007_thread_views
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_api_token_scopes"
down_revision: str | None = "0007_thread_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("scopes", sa.String(200), nullable=False, server_default="crm:read crm:write")
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scopes")
