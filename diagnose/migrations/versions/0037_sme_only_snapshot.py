"""an order may rate the SME digital level alone: its rating keeps the measured week it was proposed from
(issue #26 point 4)

- `evidencesnapshot.result_id` is NULL for a snapshot kept by an SME rating (an SME-only order has no CMMM
  result); CMMM results keep theirs as before.
- `smeresult.snapshot_id`: the snapshot the SME rating's proposals read, kept when the order rates the SME
  digital level alone (an order rating both shares its CMMM result's snapshot: one set of figures per visit).

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidencesnapshot") as batch:
        batch.alter_column("result_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("smeresult") as batch:
        batch.add_column(sa.Column("snapshot_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_smeresult_snapshot_id_evidencesnapshot", "evidencesnapshot", ["snapshot_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("smeresult") as batch:
        batch.drop_constraint("fk_smeresult_snapshot_id_evidencesnapshot", type_="foreignkey")
        batch.drop_column("snapshot_id")
    op.execute("DELETE FROM evidencesnapshot WHERE result_id IS NULL")
    with op.batch_alter_table("evidencesnapshot") as batch:
        batch.alter_column("result_id", existing_type=sa.Integer(), nullable=False)
