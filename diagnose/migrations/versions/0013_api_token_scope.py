"""user.api_token_scope and user.api_token_expires_at: API tokens carry a scope (read | write) and expire

Revision ID: 0013
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

from diagnose.models.base import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("api_token_scope", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
        )
        batch.add_column(sa.Column("api_token_expires_at", UTCDateTime(timezone=True), nullable=True))
    # Tokens issued before scopes existed keep working as they did (write scope) and expire like a new one.
    user = sa.table(
        "user",
        sa.column("api_token_hash", sa.String),
        sa.column("api_token_scope", sa.String),
        sa.column("api_token_expires_at", UTCDateTime(timezone=True)),
    )
    op.execute(
        user.update()
        .where(user.c.api_token_hash.is_not(None))
        .values(api_token_scope="write", api_token_expires_at=datetime.now(UTC) + timedelta(days=90))
    )


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("api_token_expires_at")
        batch.drop_column("api_token_scope")
