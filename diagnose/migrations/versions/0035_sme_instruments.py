"""one visit, two instruments: the order's choice of CMMM and/or the SME digital-level index, its SME answers
and ratings, and the enterprise's pilot flag (issue #26 points 4, 5)

- `diagnosisorder.instruments`: cmmm | sme | both (existing orders: cmmm).
- `smepilot`: the enterprises in the SME digital-transformation pilot (财建〔2023〕117号), a table of its own.
- `smeanswer`: one row per item or scenario of an order's SME questionnaire, with the measured proposal, the
  decision on it (accepted | overridden | manual) and the reason for an override.
- `smeresult`: an order's SME rating (level, total, the pure result's dict and the answers scored).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("diagnosisorder") as batch:
        batch.add_column(
            sa.Column(
                "instruments",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="cmmm",
            )
        )
    op.create_table(
        "smepilot",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("enterprise_id"),
    )
    op.create_table(
        "smeanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["diagnosisorder.id"]),
        sa.ForeignKeyConstraint(["updated_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "key", name="uq_smeanswer_key"),
    )
    op.create_index("ix_smeanswer_order_id", "smeanswer", ["order_id"], unique=False)
    op.create_table(
        "smeresult",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("total", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("index_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["diagnosisorder.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_smeresult_order_id", "smeresult", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_smeresult_order_id", table_name="smeresult")
    op.drop_table("smeresult")
    op.drop_index("ix_smeanswer_order_id", table_name="smeanswer")
    op.drop_table("smeanswer")
    op.drop_table("smepilot")
    with op.batch_alter_table("diagnosisorder") as batch:
        batch.drop_column("instruments")
