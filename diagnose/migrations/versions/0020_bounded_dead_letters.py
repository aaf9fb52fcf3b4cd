"""bounded dead letters: the payload's size and SHA-256 beside its (possibly cut) bytes, an index for retention,
and per-device hourly counts of dead letters kept and of those only counted beyond the caps

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deadletter") as batch:
        batch.add_column(sa.Column("payload_size", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("payload_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    op.create_index("ix_deadletter_received_at", "deadletter", ["received_at"])
    op.create_table(
        "deadlettercount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("device", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("window_start", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.Integer(), nullable=False),
        sa.Column("kept_bytes", sa.BigInteger(), nullable=False),
        sa.Column("received_bytes", sa.BigInteger(), nullable=False),
        sa.Column("last_reason", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("last_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "device", "window_start", name="uq_deadlettercount_scope_device_window"),
    )
    op.create_index("ix_deadlettercount_window_start", "deadlettercount", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_deadlettercount_window_start", table_name="deadlettercount")
    op.drop_table("deadlettercount")
    op.drop_index("ix_deadletter_received_at", table_name="deadletter")
    with op.batch_alter_table("deadletter") as batch:
        batch.drop_column("payload_sha256")
        batch.drop_column("payload_size")
