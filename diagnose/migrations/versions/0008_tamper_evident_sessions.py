"""tamper-evident records and sessions that end: audit hash chain, no replacing or back-dated inserts,
user session version and lockout

Revision ID: 0008
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import diagnose.models.base

revision: str = "0008"
down_revision: str | None = "0012"  # re-chained on merge: after 0012, before 0014
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RAISE = "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
# SQLite's INSERT OR REPLACE deletes the old row without firing DELETE triggers (recursive_triggers
# is off), so an insert that would replace anything is refused before conflict resolution runs.
SQLITE_TRIGGERS = [
    "CREATE TRIGGER auditlog_no_replace BEFORE INSERT ON auditlog "
    "WHEN EXISTS (SELECT 1 FROM auditlog WHERE id = NEW.id) " + _RAISE.format(table="auditlog"),
    "CREATE TRIGGER auditlog_no_backdate BEFORE INSERT ON auditlog "
    "WHEN NEW.at < (SELECT max(at) FROM auditlog) " + _RAISE.format(table="auditlog"),
    "CREATE TRIGGER issuedreport_no_replace BEFORE INSERT ON issuedreport "
    "WHEN EXISTS (SELECT 1 FROM issuedreport WHERE id = NEW.id OR pdf_sha256 = NEW.pdf_sha256 "
    "OR (report_number = NEW.report_number AND version = NEW.version)) "
    + _RAISE.format(table="issuedreport"),
]
SQLITE_DROP = ["auditlog_no_replace", "auditlog_no_backdate", "issuedreport_no_replace"]
# PostgreSQL: ON CONFLICT DO UPDATE fires the UPDATE triggers of 0001/0004; add back-dating and TRUNCATE.
PG_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION auditlog_no_backdate() RETURNS trigger AS $$ BEGIN "
    "IF NEW.at < (SELECT max(at) FROM auditlog) THEN RAISE EXCEPTION 'auditlog is append-only'; END IF; "
    "RETURN NEW; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER auditlog_no_backdate BEFORE INSERT ON auditlog "
    "FOR EACH ROW EXECUTE FUNCTION auditlog_no_backdate()",
    "CREATE TRIGGER auditlog_no_truncate BEFORE TRUNCATE ON auditlog "
    "FOR EACH STATEMENT EXECUTE FUNCTION auditlog_append_only()",
    "CREATE TRIGGER issuedreport_no_truncate BEFORE TRUNCATE ON issuedreport "
    "FOR EACH STATEMENT EXECUTE FUNCTION issuedreport_append_only()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS auditlog_no_backdate ON auditlog",
    "DROP TRIGGER IF EXISTS auditlog_no_truncate ON auditlog",
    "DROP TRIGGER IF EXISTS issuedreport_no_truncate ON issuedreport",
    "DROP FUNCTION IF EXISTS auditlog_no_backdate()",
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # Adding a column is not an UPDATE: existing rows keep row_hash NULL (before the chain started).
    op.add_column(
        "auditlog", sa.Column("row_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
    )
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("locked_until", diagnose.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    for statement in SQLITE_TRIGGERS if sqlite else PG_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_DROP] if sqlite else PG_DROP:
        op.execute(statement)
    with op.batch_alter_table("user") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
        batch.drop_column("session_version")
    op.drop_column("auditlog", "row_hash")
