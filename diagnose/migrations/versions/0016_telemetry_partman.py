"""PostgreSQL: telemetry's day partitions handed to pg_partman where the extension is available; SQLite unchanged

Where the server has pg_partman (pg_available_extensions) and this role may create it, the extension is
created in schema partman and telemetry registered with partman.create_parent (native, daily, a week
premade); the existing partitions move into telemetry's schema under the same names, and every row stays
where it is. Otherwise the partitions stay managed by diagnose itself, and the log says so.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from diagnose.services.telemetry import partman
from diagnose.services.telemetry.partition_catalog import is_partitioned

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not is_partitioned(bind):
        return
    partman.adopt(bind)  # logs why when it cannot


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not is_partitioned(bind):
        return
    partman.release(bind)
