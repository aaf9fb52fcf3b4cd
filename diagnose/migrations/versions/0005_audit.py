"""audit: anomaly flags, monthly summaries, enterprise outcomes

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = diagnose.models.base.UTCDateTime(timezone=True)
_Str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "anomalyflag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("bureau_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", _Str(length=32), nullable=False),
        sa.Column("strength", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("rules_version", _Str(length=64), nullable=False),
        sa.Column("detected_at", _UTC, nullable=False),
        sa.Column("decision", _Str(length=16), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["diagnosisorder.id"]),
        sa.ForeignKeyConstraint(["bureau_id"], ["bureau.id"]),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"]),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "kind", name="uq_anomalyflag_order_kind"),
    )
    with op.batch_alter_table("anomalyflag", schema=None) as batch_op:
        for column in ("order_id", "bureau_id", "provider_id", "kind", "decision"):
            batch_op.create_index(batch_op.f(f"ix_anomalyflag_{column}"), [column], unique=False)

    op.create_table(
        "auditsummary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bureau_id", sa.Integer(), nullable=False),
        sa.Column("month", _Str(length=7), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("generated_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["bureau_id"], ["bureau.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bureau_id", "month", name="uq_auditsummary_bureau_month"),
    )
    with op.batch_alter_table("auditsummary", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auditsummary_bureau_id"), ["bureau_id"], unique=False)

    op.create_table(
        "enterpriseoutcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", _Str(length=16), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("source", _Str(length=255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("enterpriseoutcome", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterpriseoutcome_enterprise_id"), ["enterprise_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("enterpriseoutcome")
    op.drop_table("auditsummary")
    op.drop_table("anomalyflag")
