"""collectorassignment: which enterprises each collector is assigned and holds (handover without restarts)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collectorassignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collector_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("assigned", sa.Boolean(), nullable=False),
        sa.Column("assigned_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("held_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("seen_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collector_id", "uscc", name="uq_collectorassignment_collector_uscc"),
    )
    op.create_index("ix_collectorassignment_collector_id", "collectorassignment", ["collector_id"])
    op.create_index("ix_collectorassignment_uscc", "collectorassignment", ["uscc"])


def downgrade() -> None:
    op.drop_index("ix_collectorassignment_uscc", table_name="collectorassignment")
    op.drop_index("ix_collectorassignment_collector_id", table_name="collectorassignment")
    op.drop_table("collectorassignment")
