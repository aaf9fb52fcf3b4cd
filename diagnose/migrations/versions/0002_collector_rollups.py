"""collector roll-ups: hourly device aggregates, shift calendar, downtime reason codes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devicehour",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("hour_start", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hour_end", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("run_us", sa.BigInteger(), nullable=False),
        sa.Column("idle_us", sa.BigInteger(), nullable=False),
        sa.Column("down_us", sa.BigInteger(), nullable=False),
        sa.Column("planned_stop_us", sa.BigInteger(), nullable=False),
        sa.Column("off_us", sa.BigInteger(), nullable=False),
        sa.Column("unknown_us", sa.BigInteger(), nullable=False),
        sa.Column("planned_us", sa.BigInteger(), nullable=False),
        sa.Column("count_total", sa.BigInteger(), nullable=False),
        sa.Column("count_good", sa.BigInteger(), nullable=False),
        sa.Column("energy_kwh", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("downtime_by_reason_us", sa.JSON(), nullable=True),
        sa.Column("computed_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "hour_start", name="uq_devicehour_device_hour"),
    )
    with op.batch_alter_table("devicehour", schema=None) as batch_op:
        batch_op.create_index("ix_devicehour_hour_start", ["hour_start"], unique=False)

    op.create_table(
        "shiftcalendarentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("start", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shiftcalendarentry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shiftcalendarentry_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "downtimereasonentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("start", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("downtimereasonentry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_downtimereasonentry_device_id"), ["device_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("downtimereasonentry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_downtimereasonentry_device_id"))
    op.drop_table("downtimereasonentry")
    with op.batch_alter_table("shiftcalendarentry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shiftcalendarentry_enterprise_id"))
    op.drop_table("shiftcalendarentry")
    with op.batch_alter_table("devicehour", schema=None) as batch_op:
        batch_op.drop_index("ix_devicehour_hour_start")
    op.drop_table("devicehour")
