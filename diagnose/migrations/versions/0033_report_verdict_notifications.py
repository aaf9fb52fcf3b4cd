"""the enterprise's verdict on the report (确认 / 异议 with a reason), in-app notifications, users' e-mail

- `diagnosisorder.report_verdict` (accepted | disputed), `report_verdict_reason`, `report_verdict_at`.
- `user.email`: where notifications are e-mailed when SMTP is configured ('' for none).
- `notification`: one row per person told of an order event, read in the app and e-mailed when SMTP is set.

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0033"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user",
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False, server_default=""),
    )
    op.add_column(
        "diagnosisorder",
        sa.Column("report_verdict", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    )
    op.add_column("diagnosisorder", sa.Column("report_verdict_reason", sa.Text(), nullable=True))
    op.add_column(
        "diagnosisorder",
        sa.Column("report_verdict_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("email_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["diagnosisorder.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notification_user_read", "notification", ["user_id", "read_at"])
    op.create_index("ix_notification_order_id", "notification", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_notification_order_id", table_name="notification")
    op.drop_index("ix_notification_user_read", table_name="notification")
    op.drop_table("notification")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute('ALTER TABLE "user" DROP COLUMN email')
    else:
        op.drop_column("user", "email")
    for name in ("report_verdict_at", "report_verdict_reason", "report_verdict"):
        # SQLite drops a plain column in place (3.35+); a batch rebuild would trip the foreign keys into it.
        if sqlite:
            op.execute(f"ALTER TABLE diagnosisorder DROP COLUMN {name}")
        else:
            op.drop_column("diagnosisorder", name)
