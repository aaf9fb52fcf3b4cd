"""cached figures keyed by table versions the database moves itself (issue #25 point 3): `tableversion`, one
change counter per table, added to by triggers on every insert, update and delete (SQLite: per row; PostgreSQL:
per statement, TRUNCATE too), in the writing transaction; `figurecache` goes (figures live in dogpile.cache).

Tables written per MQTT message or per login attempt get no triggers: no cached figure may read them
(`data_version.UNTRACKED`). A later migration that adds a table, or rebuilds one with SQLite's batch mode
(which drops its triggers), calls `track()` below again; tests/diagnose/test_table_versions.py fails otherwise.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from diagnose.models.base import UTCDateTime

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRACKED = (
    "anomalyflag", "answer", "assessment", "attachment", "auditchainboundary", "auditlog", "auditsummary",
    "bureau", "bureauprovider", "calendarrule", "contradictiondecision", "diagnosisorder", "downtimereasonentry",
    "enterprise", "enterpriseoutcome", "equipment", "evidencesnapshot", "gatewayaccount", "issuedreport",
    "notification", "orderstaff", "payloadprofilechoice", "policyversion", "pool_entry", "procurementbatch",
    "provider", "region", "reportjob", "result", "shiftcalendarentry", "smeanswer", "smeindexversion", "smepilot",
    "smeresult", "statemodelrecord", "subdomaintailoring", "user",
)  # fmt: skip
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION bump_table_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tableversion SET version = version + 1 WHERE name = TG_TABLE_NAME;
    RETURN NULL;
END $$"""


def track(table: str) -> None:
    """Give `table` a version row (if missing) and the triggers that move it."""
    bind = op.get_bind()
    bind.execute(
        sa.text("INSERT INTO tableversion (name, version) SELECT CAST(:t AS VARCHAR(64)), 0 WHERE NOT EXISTS "
                "(SELECT 1 FROM tableversion WHERE name = CAST(:t AS VARCHAR(64)))"),
        {"t": table},
    )  # fmt: skip
    untrack(table, keep_row=True)
    if bind.dialect.name == "postgresql":
        op.execute(
            f'CREATE TRIGGER tableversion_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_table_version()"
        )
        return
    for event in ("insert", "update", "delete"):
        op.execute(
            f'CREATE TRIGGER "tableversion_{table}_{event}" AFTER {event.upper()} ON "{table}" BEGIN '
            f"UPDATE tableversion SET version = version + 1 WHERE name = '{table}'; END"
        )


def untrack(table: str, *, keep_row: bool = False) -> None:
    """Drop the triggers of `table` (and its version row unless `keep_row`)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'DROP TRIGGER IF EXISTS tableversion_bump ON "{table}"')
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f'DROP TRIGGER IF EXISTS "tableversion_{table}_{event}"')
    if not keep_row:
        op.get_bind().execute(sa.text("DELETE FROM tableversion WHERE name = :t"), {"t": table})


def upgrade() -> None:
    op.drop_index("ix_figurecache_scope_created", table_name="figurecache")
    op.drop_index("ix_figurecache_name", table_name="figurecache")
    op.drop_table("figurecache")
    op.create_table(
        "tableversion",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
    for table in TRACKED:
        track(table)


def downgrade() -> None:
    for table in TRACKED:
        untrack(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION bump_table_version()")
    op.drop_table("tableversion")
    op.create_table(
        "figurecache",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=True),
    )
    op.create_index("ix_figurecache_name", "figurecache", ["name"])
    op.create_index("ix_figurecache_scope_created", "figurecache", ["scope", "created_at"])
