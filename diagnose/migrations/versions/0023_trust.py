"""records an insider cannot rewrite unseen, logins locked per account and address

- `auditchainboundary`: the legacy boundary of the audit chain, recorded once here (append-only): rows up to
  the last one written before this migration keep the plain SHA-256 chain of 0008 (or no hash, before it);
  every later row must carry its MAC (HMAC-SHA256 with a key kept outside the database), which the database
  enforces from the boundary on (a CHECK on PostgreSQL, a trigger on SQLite, where a CHECK needs a rebuild).
- `loginthrottle`: failed logins per typed username *and* client address, replacing the per-account
  `user.failed_logins` / `user.locked_until` (five failures from anywhere locked any account, admin included).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RAISE = "BEGIN SELECT RAISE(ABORT, '{message}'); END"
SQLITE_TRIGGERS = [
    "CREATE TRIGGER auditchainboundary_no_update BEFORE UPDATE ON auditchainboundary "
    + _RAISE.format(message="auditchainboundary is append-only"),
    "CREATE TRIGGER auditchainboundary_no_delete BEFORE DELETE ON auditchainboundary "
    + _RAISE.format(message="auditchainboundary is append-only"),
    "CREATE TRIGGER auditlog_hash_required BEFORE INSERT ON auditlog WHEN NEW.row_hash IS NULL "
    + _RAISE.format(message="auditlog rows must carry their hash"),
]
SQLITE_DROP = ["auditchainboundary_no_update", "auditchainboundary_no_delete", "auditlog_hash_required"]
PG_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION auditchainboundary_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'auditchainboundary is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER auditchainboundary_no_change BEFORE UPDATE OR DELETE ON auditchainboundary "
    "FOR EACH ROW EXECUTE FUNCTION auditchainboundary_append_only()",
    "CREATE TRIGGER auditchainboundary_no_truncate BEFORE TRUNCATE ON auditchainboundary "
    "FOR EACH STATEMENT EXECUTE FUNCTION auditchainboundary_append_only()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS auditchainboundary_no_truncate ON auditchainboundary",
    "DROP TRIGGER IF EXISTS auditchainboundary_no_change ON auditchainboundary",
    "DROP FUNCTION IF EXISTS auditchainboundary_append_only()",
    "ALTER TABLE auditlog DROP CONSTRAINT IF EXISTS ck_auditlog_hash_after_boundary",
]


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    boundary = op.create_table(
        "auditchainboundary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("legacy_last_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    legacy_last_id = int(bind.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM auditlog")).scalar_one())
    op.bulk_insert(boundary, [{"legacy_last_id": legacy_last_id, "recorded_at": datetime.now(UTC)}])
    if sqlite:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        for statement in PG_TRIGGERS:
            op.execute(statement)
        op.execute(
            "ALTER TABLE auditlog ADD CONSTRAINT ck_auditlog_hash_after_boundary "
            f"CHECK (row_hash IS NOT NULL OR id <= {legacy_last_id})"
        )

    op.create_table(
        "loginthrottle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", diagnose.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", diagnose.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username", "source", name="uq_loginthrottle_username_source"),
    )
    op.create_index("ix_loginthrottle_updated_at", "loginthrottle", ["updated_at"])
    # SQLite drops a plain column in place (3.35+); a batch rebuild of "user" would trip its foreign keys.
    for column in ("locked_until", "failed_logins"):
        if sqlite:
            op.execute(f'ALTER TABLE "user" DROP COLUMN {column}')
        else:
            op.drop_column("user", column)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("locked_until", diagnose.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.drop_index("ix_loginthrottle_updated_at", table_name="loginthrottle")
    op.drop_table("loginthrottle")
    for statement in [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_DROP] if sqlite else PG_DROP:
        op.execute(statement)
    op.drop_table("auditchainboundary")
