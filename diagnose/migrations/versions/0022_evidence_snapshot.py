"""one evidence snapshot per scoring result; the ledger's serial numbers

`evidencesnapshot` keeps the measured evidence a result used (canonical JSON, SHA-256, window, function and
rules versions, data versions); `equipment.serial` lets a ledger import match a line by the maker's serial;
`devicehour.unknown_planned_us` keeps a roll-up's planned time of unknown state apart from downtime.

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from diagnose.models.base import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidencesnapshot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("result_id", sa.Integer(), sa.ForeignKey("result.id"), nullable=False, unique=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("diagnosisorder.id"), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), sa.ForeignKey("enterprise.id"), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("rules_version", sa.String(length=32), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("window_end", UTCDateTime(), nullable=False),
        sa.Column("data_versions", sa.JSON(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_evidencesnapshot_order_id", "evidencesnapshot", ["order_id"])
    with op.batch_alter_table("equipment") as batch:
        batch.add_column(sa.Column("serial", sa.String(length=64), nullable=True))
    with op.batch_alter_table("devicehour") as batch:
        batch.add_column(sa.Column("unknown_planned_us", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devicehour") as batch:
        batch.drop_column("unknown_planned_us")
    with op.batch_alter_table("equipment") as batch:
        batch.drop_column("serial")
    op.drop_index("ix_evidencesnapshot_order_id", table_name="evidencesnapshot")
    op.drop_table("evidencesnapshot")
