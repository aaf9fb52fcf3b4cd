"""the equipment ledger says which production equipment is digitally controlled (issue #26 point 3)

- `equipment.digital`: 数字控制 (NC/PLC-controlled, with a digital interface), yes / no / NULL (not stated).
  The SME index's item 设备数字化率 is proposed from it once every production line states it; existing lines
  are NULL (not stated), so nothing is proposed from them until the provider says.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("equipment") as batch:
        batch.add_column(sa.Column("digital", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("equipment") as batch:
        batch.drop_column("digital")
