"""contradiction decisions before submission; the public address a report job was requested from

- `contradictiondecision`: the consultant's decision on each 自评与实测不一致 item (rating changed, or kept with a
  written reason), append-only; submission waits for one on every contradiction of the newest result.
- `reportjob.public_url`: the address the web UI was served at when the report was queued, the base of the QR
  code and short link when `DIAGNOSE_PUBLIC_URL` is unset.

Revision ID: 0032
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0032"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contradictiondecision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("claimed", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("proposed", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("new_rating", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("measured", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["diagnosisorder.id"]),
        sa.ForeignKeyConstraint(["result_id"], ["result.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contradictiondecision_order_id", "contradictiondecision", ["order_id"], unique=False)
    with op.batch_alter_table("reportjob") as batch:
        batch.add_column(sa.Column("public_url", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reportjob") as batch:
        batch.drop_column("public_url")
    op.drop_index("ix_contradictiondecision_order_id", table_name="contradictiondecision")
    op.drop_table("contradictiondecision")
