"""measured evidence: devicehour.performance_count, device heartbeat/rate/bottleneck/retirement, presence history, equipment ledger,
production calendar, stored state models

Revision ID: 0007
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0007"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = diagnose.models.base.UTCDateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("heartbeat_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("sample_interval_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("bottleneck", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("retired_at", _TS, nullable=True))
    with op.batch_alter_table("devicehour") as batch:
        batch.add_column(sa.Column("performance_count", sa.BigInteger(), nullable=True))
    op.create_table(
        "devicepresence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("source", _text(16), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_devicepresence_device_ts", "devicepresence", ["device_id", "ts"])
    op.create_table(
        "equipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("code", _text(64), nullable=False),
        sa.Column("name", _text(128), nullable=False),
        sa.Column("kind", _text(64), nullable=False),
        sa.Column("production", sa.Boolean(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "code", name="uq_equipment_enterprise_code"),
    )
    op.create_index("ix_equipment_enterprise_id", "equipment", ["enterprise_id"])
    op.create_table(
        "calendarrule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("start", _text(5), nullable=True),
        sa.Column("end", _text(5), nullable=True),
        sa.Column("label", _text(64), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_calendarrule_enterprise_id", "calendarrule", ["enterprise_id"])
    op.create_table(
        "statemodelrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("train_start", _TS, nullable=False),
        sa.Column("train_end", _TS, nullable=False),
        sa.Column("version", _text(32), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_statemodelrecord_device", "statemodelrecord", ["device_id"])


def downgrade() -> None:
    op.drop_index("ix_statemodelrecord_device", table_name="statemodelrecord")
    op.drop_table("statemodelrecord")
    op.drop_index("ix_calendarrule_enterprise_id", table_name="calendarrule")
    op.drop_table("calendarrule")
    op.drop_index("ix_equipment_enterprise_id", table_name="equipment")
    op.drop_table("equipment")
    op.drop_index("ix_devicepresence_device_ts", table_name="devicepresence")
    op.drop_table("devicepresence")
    with op.batch_alter_table("devicehour") as batch:
        batch.drop_column("performance_count")
    with op.batch_alter_table("device") as batch:
        batch.drop_column("retired_at")
        batch.drop_column("bottleneck")
        batch.drop_column("sample_interval_s")
        batch.drop_column("heartbeat_s")
