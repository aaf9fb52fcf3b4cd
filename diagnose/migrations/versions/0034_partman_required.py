"""PostgreSQL: telemetry's day partitions handed to pg_partman where migration 0016 left them to the fallback

Migration 0016 let a server without pg_partman keep telemetry's partitions under diagnose's own fallback
manager, which is removed (issue #25): such a database is handed to pg_partman now, the same way 0016 does it
(partitions moved beside their parent under the same names, rows kept). Without the extension the upgrade
stops and names the Debian package to install (postgresql-<version>-partman). A database pg_partman already
manages, and SQLite, are unchanged. The downgrade changes nothing: 0016's downgrade undoes the hand-over.

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from diagnose.services.telemetry import partman
from diagnose.services.telemetry.partition_catalog import is_partitioned

revision: str = "0034"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not is_partitioned(bind):
        return
    partman.adopt(bind)  # partman.Missing, naming the package, when the server lacks it


def downgrade() -> None:
    pass
