"""people, not logins: users' 姓名, 职务 and phone; an order's 项目负责人 and 诊断人员

- `user.full_name`, `user.title`, `user.phone` replace `user.display_name`, which held what the admin typed as a
  "display name": often the organisation's name ("太仓市工业和信息化局"), which is not a person. It is kept as the
  user's 姓名 only when it is neither the organisation's name nor the login; otherwise the name is left empty
  (pages then show the login until someone records the name) rather than sign a report with a company's name.
- `orderstaff`: the users of the order's provider named on it, one `lead` (a partial unique index) and any
  number of `member`s.

Revision ID: 0026
Revises: 0028
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0026"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERSON_COLUMNS = (("full_name", 64), ("title", 64), ("phone", 32))
# The old display name is a person's name unless it repeats the organisation's name or the login.
KEEP_NAME = """
UPDATE "user" SET full_name = display_name
WHERE TRIM(display_name) <> ''
  AND display_name <> username
  AND display_name <> COALESCE((SELECT b.name FROM bureau b WHERE b.id = "user".bureau_id), '')
  AND display_name <> COALESCE((SELECT p.name FROM provider p WHERE p.id = "user".provider_id), '')
  AND display_name <> COALESCE((SELECT e.name FROM enterprise e WHERE e.id = "user".enterprise_id), '')
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # The server default '' stays: rows written by older code (or raw SQL) get an empty name, not a failure.
    for name, length in PERSON_COLUMNS:
        op.add_column(
            "user",
            sa.Column(
                name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False, server_default=""
            ),
        )
    op.execute(KEEP_NAME)
    # SQLite drops a plain column in place (3.35+); a batch rebuild of "user" would trip its foreign keys.
    if sqlite:
        op.execute('ALTER TABLE "user" DROP COLUMN display_name')
    else:
        op.drop_column("user", "display_name")

    op.create_table(
        "orderstaff",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("named_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["diagnosisorder.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("order_id", "user_id"),
    )
    op.create_index("ix_orderstaff_user_id", "orderstaff", ["user_id"])
    op.create_index(
        "uq_orderstaff_one_lead",
        "orderstaff",
        ["order_id"],
        unique=True,
        sqlite_where=sa.text("role = 'lead'"),
        postgresql_where=sa.text("role = 'lead'"),
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("uq_orderstaff_one_lead", table_name="orderstaff")
    op.drop_index("ix_orderstaff_user_id", table_name="orderstaff")
    op.drop_table("orderstaff")
    op.add_column(
        "user",
        sa.Column(
            "display_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""
        ),
    )
    op.execute(
        """UPDATE "user" SET display_name = CASE WHEN full_name <> '' THEN full_name ELSE username END"""
    )
    for name, _length in PERSON_COLUMNS:
        if sqlite:
            op.execute(f'ALTER TABLE "user" DROP COLUMN {name}')
        else:
            op.drop_column("user", name)
