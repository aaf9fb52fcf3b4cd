"""reports: issued report versions, append-only

Revision ID: 0004
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0004"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An issued report is evidence of what the government paid for: like the audit log, never changed.
SQLITE_TRIGGERS = [
    "CREATE TRIGGER issuedreport_no_update BEFORE UPDATE ON issuedreport "
    "BEGIN SELECT RAISE(ABORT, 'issuedreport is append-only'); END",
    "CREATE TRIGGER issuedreport_no_delete BEFORE DELETE ON issuedreport "
    "BEGIN SELECT RAISE(ABORT, 'issuedreport is append-only'); END",
]
PG_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION issuedreport_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'issuedreport is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER issuedreport_no_change BEFORE UPDATE OR DELETE ON issuedreport "
    "FOR EACH ROW EXECUTE FUNCTION issuedreport_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "issuedreport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("report_number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("content_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pdf_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("issued_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["issued_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["diagnosisorder.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pdf_sha256"),
        sa.UniqueConstraint("report_number", "version", name="uq_issuedreport_number_version"),
    )
    with op.batch_alter_table("issuedreport", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issuedreport_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issuedreport_report_number"), ["report_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_issuedreport_content_sha256"), ["content_sha256"], unique=False)
    for statement in SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else PG_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS issuedreport_no_update")
        op.execute("DROP TRIGGER IF EXISTS issuedreport_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS issuedreport_no_change ON issuedreport")
        op.execute("DROP FUNCTION IF EXISTS issuedreport_append_only()")
    with op.batch_alter_table("issuedreport", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuedreport_content_sha256"))
        batch_op.drop_index(batch_op.f("ix_issuedreport_report_number"))
        batch_op.drop_index(batch_op.f("ix_issuedreport_order_id"))
    op.drop_table("issuedreport")
