"""roll-ups keep their sampling slots: the interval an hour was cut at and how many of its slots heard a message

`devicehour.slot_us` and `devicehour.slots_heard` let a sampling device's coverage be read from roll-ups exactly
as from raw samples (scoring.indicators.coverage.sampled_coverage); older rows keep NULL and are read raw while
their samples are kept.

Revision ID: 0028
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("devicehour") as batch:
        batch.add_column(sa.Column("slot_us", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("slots_heard", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devicehour") as batch:
        batch.drop_column("slots_heard")
        batch.drop_column("slot_us")
