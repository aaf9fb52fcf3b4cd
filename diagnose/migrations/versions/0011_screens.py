"""Screens (issue #14): device.birth_kind beside the kind the provider entered; the bureau's pool per year

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from diagnose.models.base import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0009"  # re-chained on merge
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("birth_kind", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_table(
        "pool_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("bureau_id", sa.Integer(), sa.ForeignKey("bureau.id"), nullable=False),
        sa.Column("provider_id", sa.Integer(), sa.ForeignKey("provider.id"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("bureau_id", "provider_id", "year"),
    )
    op.create_index("ix_pool_entry_bureau_id", "pool_entry", ["bureau_id"])


def downgrade() -> None:
    op.drop_index("ix_pool_entry_bureau_id", table_name="pool_entry")
    op.drop_table("pool_entry")
    with op.batch_alter_table("device") as batch:
        batch.drop_column("birth_kind")
