"""gateway accounts: one enterprise-scoped broker login for a gateway or Sparkplug edge node (issue #21)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import diagnose.models.base

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gatewayaccount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("edge_node", sa.String(length=64), nullable=True),
        sa.Column("client_suffixes", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("revoked_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "name", name="uq_gatewayaccount_enterprise_name"),
    )
    op.create_index("ix_gatewayaccount_enterprise_id", "gatewayaccount", ["enterprise_id"])


def downgrade() -> None:
    op.drop_index("ix_gatewayaccount_enterprise_id", table_name="gatewayaccount")
    op.drop_table("gatewayaccount")
