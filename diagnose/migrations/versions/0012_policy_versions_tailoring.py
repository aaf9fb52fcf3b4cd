"""policy versions loaded as data (with their source texts) and per-sub-domain tailoring of assessments

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0012"
down_revision: str | None = "0011"  # re-chained on merge
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = diagnose.models.base.UTCDateTime(timezone=True)
_Str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "policyversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", _Str(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", _Str(length=16), nullable=False),
        sa.Column("region_code", _Str(length=6), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("source_sha256", _Str(length=64), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("bureau_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", _UTC, nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", _UTC, nullable=True),
        sa.Column("superseded_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(["imported_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["published_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["bureau_id"], ["bureau.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("policy_id", "version", name="uq_policyversion_policy_version"),
    )
    op.create_index("ix_policyversion_policy_id", "policyversion", ["policy_id"])
    op.create_index("ix_policyversion_status", "policyversion", ["status"])
    op.create_index("ix_policyversion_region_code", "policyversion", ["region_code"])
    op.create_table(
        "subdomaintailoring",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("subdomain", _Str(length=16), nullable=False),
        sa.Column("reason", _Str(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assessment_id", "subdomain", name="uq_tailoring_assessment_subdomain"),
    )
    op.create_index("ix_subdomaintailoring_assessment_id", "subdomaintailoring", ["assessment_id"])


def downgrade() -> None:
    op.drop_index("ix_subdomaintailoring_assessment_id", table_name="subdomaintailoring")
    op.drop_table("subdomaintailoring")
    for name in ("region_code", "status", "policy_id"):
        op.drop_index(f"ix_policyversion_{name}", table_name="policyversion")
    op.drop_table("policyversion")
