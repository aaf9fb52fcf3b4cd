"""Holding up under load: report jobs, held Sparkplug readings, job watermarks, order-list indexes

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0009"
down_revision: str | None = "0007"  # re-chained on merge
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Order lists: scoped (bureau region, provider, enterprise), filtered by status, sorted by last change.
ORDER_INDEXES = [
    ("ix_diagnosisorder_updated_at", ["updated_at"]),
    ("ix_diagnosisorder_status_updated", ["status", "updated_at"]),
    ("ix_diagnosisorder_provider_updated", ["provider_id", "updated_at"]),
    ("ix_diagnosisorder_provider_status", ["provider_id", "status"]),
    ("ix_diagnosisorder_enterprise_status", ["enterprise_id", "status"]),
]


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
    for name, columns in ORDER_INDEXES:
        op.create_index(name, "diagnosisorder", columns)
    op.create_table(
        "jobwatermark",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    for name, _columns in ORDER_INDEXES:
        op.drop_index(name, table_name="diagnosisorder")
    op.drop_table("jobwatermark")
    op.drop_index("ix_reportjob_status", table_name="reportjob")
    op.drop_index("ix_reportjob_order_id", table_name="reportjob")
    op.drop_table("reportjob")
    with op.batch_alter_table("deadletter") as batch:
        batch.drop_column("held")
