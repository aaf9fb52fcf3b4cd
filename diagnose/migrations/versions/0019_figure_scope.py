"""a cached figure's scope, so a page can show the newest figures of a scope while the next are built

`figurecache.scope` is the SHA-256 of a figure's key without its data version; the index finds a scope's
newest entry (`versioned_cache.stale_allowed`).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("figurecache") as batch:
        batch.add_column(sa.Column("scope", sa.String(length=64), nullable=True))
    op.create_index("ix_figurecache_scope_created", "figurecache", ["scope", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_figurecache_scope_created", table_name="figurecache")
    with op.batch_alter_table("figurecache") as batch:
        batch.drop_column("scope")
