"""shared figure cache; a batch's fees summed from an index

`figurecache` holds figures computed once per data version (league tables, dashboards) for every web
worker and the jobs process; `ix_diagnosisorder_batch_status_fee` makes a batch's committed and billed
fees an index range instead of a scan of every order.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from diagnose.models.base import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "figurecache",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_figurecache_name", "figurecache", ["name"])
    op.create_index("ix_diagnosisorder_batch_status_fee", "diagnosisorder", ["batch_id", "status", "fee_fen"])


def downgrade() -> None:
    op.drop_index("ix_diagnosisorder_batch_status_fee", table_name="diagnosisorder")
    op.drop_index("ix_figurecache_name", table_name="figurecache")
    op.drop_table("figurecache")
