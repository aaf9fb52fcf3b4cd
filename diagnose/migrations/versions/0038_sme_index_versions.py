"""corrected versions of the SME digital-level index as data (issue #26 point 1): `smeindexversion`, one row per
uploaded version (its `version` unique, the JSON content and the SHA-256 of the uploaded file, draft or
published, who uploaded and published it and when, and a note naming the document it corrects from). The
newest published version is in force; without one the packaged index is.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "smeindexversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("bureau_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["uploaded_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["published_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["bureau_id"], ["bureau.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    op.create_index("ix_smeindexversion_status", "smeindexversion", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_smeindexversion_status", table_name="smeindexversion")
    op.drop_table("smeindexversion")
