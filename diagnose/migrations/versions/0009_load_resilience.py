"""Holding up under load: report jobs off the request path, held Sparkplug readings, job watermarks

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deadletter") as batch:
        batch.add_column(sa.Column("held", sa.JSON(), nullable=True))
    op.create_table(
        "reportjob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
        sa.Column("issued_report_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["diagnosisorder.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["issued_report_id"], ["issuedreport.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reportjob_order_id", "reportjob", ["order_id"])
    op.create_index("ix_reportjob_status", "reportjob", ["status"])
    op.create_table(
        "jobwatermark",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("jobwatermark")
    op.drop_index("ix_reportjob_status", table_name="reportjob")
    op.drop_index("ix_reportjob_order_id", table_name="reportjob")
    op.drop_table("reportjob")
    with op.batch_alter_table("deadletter") as batch:
        batch.drop_column("held")
