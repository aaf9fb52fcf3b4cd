"""payloadprofilechoice: how each source of an enterprise's telemetry is read (a payload profile)

Revision ID: 0030
Revises: 0026
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0030"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payloadprofilechoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("profile", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=True),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("updated_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "source", name="uq_payloadprofilechoice_enterprise_source"),
    )
    op.create_index("ix_payloadprofilechoice_enterprise_id", "payloadprofilechoice", ["enterprise_id"])


def downgrade() -> None:
    op.drop_index("ix_payloadprofilechoice_enterprise_id", table_name="payloadprofilechoice")
    op.drop_table("payloadprofilechoice")
