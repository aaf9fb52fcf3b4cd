"""PostgreSQL: telemetry partitioned by day of ts (native declarative partitioning); SQLite unchanged

A partitioned table's unique constraints must contain the partition key, so the idempotency key
becomes (device_id, seq, ts) on both backends: a redelivered message is byte-identical, so it carries
the same ts and still conflicts. Existing rows are copied into day partitions.

Revision ID: 0014
Revises: 0012 (written on 0006; re-chained after 0013 and 0007 from main)
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from alembic import op
from sqlalchemy import text

revision: str = "0014"
down_revision: str | None = "0008"  # re-chained on merge: partitions come last
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _partition_sql(day: date) -> str:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return (
        f'CREATE TABLE IF NOT EXISTS telemetry_partitions."telemetry_p{day:%Y_%m_%d}" PARTITION OF telemetry '
        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{(start + timedelta(days=1)).isoformat()}')"
    )


def _swap_unique(columns: list[str]) -> None:
    with op.batch_alter_table("telemetry") as batch:
        batch.drop_constraint("uq_telemetry_device_seq", type_="unique")
        batch.create_unique_constraint("uq_telemetry_device_seq", columns)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        _swap_unique(["device_id", "seq", "ts"])
        return
    for sql in (
        "ALTER TABLE telemetry RENAME TO telemetry_plain",
        "ALTER TABLE telemetry_plain RENAME CONSTRAINT telemetry_pkey TO telemetry_plain_pkey",
        "ALTER TABLE telemetry_plain RENAME CONSTRAINT uq_telemetry_device_seq TO uq_telemetry_plain",
        "ALTER INDEX ix_telemetry_device_ts RENAME TO ix_telemetry_plain_device_ts",
        "ALTER SEQUENCE telemetry_id_seq OWNED BY NONE",
        "CREATE TABLE telemetry (LIKE telemetry_plain INCLUDING DEFAULTS) PARTITION BY RANGE (ts)",
        # Day partitions live in their own schema, apart from the models' tables.
        "CREATE SCHEMA IF NOT EXISTS telemetry_partitions",
        "ALTER TABLE telemetry ADD CONSTRAINT telemetry_pkey PRIMARY KEY (id, ts)",
        "ALTER TABLE telemetry ADD CONSTRAINT uq_telemetry_device_seq UNIQUE (device_id, seq, ts)",
        "ALTER TABLE telemetry ADD CONSTRAINT telemetry_device_id_fkey FOREIGN KEY (device_id) REFERENCES device (id)",
        "CREATE INDEX ix_telemetry_device_ts ON telemetry (device_id, ts)",
    ):
        bind.execute(text(sql))
    lo, hi = bind.execute(text("SELECT min(ts), max(ts) FROM telemetry_plain")).one()
    today = datetime.now(UTC).date()
    first = min(lo.astimezone(UTC).date(), today - timedelta(days=1)) if lo else today - timedelta(days=1)
    last = max(hi.astimezone(UTC).date(), today + timedelta(days=7)) if hi else today + timedelta(days=7)
    day = first
    while day <= last:
        bind.execute(text(_partition_sql(day)))
        day += timedelta(days=1)
    bind.execute(text("INSERT INTO telemetry SELECT * FROM telemetry_plain"))
    bind.execute(text("DROP TABLE telemetry_plain"))
    bind.execute(text("ALTER SEQUENCE telemetry_id_seq OWNED BY telemetry.id"))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        _swap_unique(["device_id", "seq"])
        return
    for sql in (
        "ALTER TABLE telemetry RENAME TO telemetry_parts",
        "ALTER TABLE telemetry_parts RENAME CONSTRAINT telemetry_pkey TO telemetry_parts_pkey",
        "ALTER TABLE telemetry_parts RENAME CONSTRAINT uq_telemetry_device_seq TO uq_telemetry_parts",
        "ALTER INDEX ix_telemetry_device_ts RENAME TO ix_telemetry_parts_device_ts",
        "ALTER SEQUENCE telemetry_id_seq OWNED BY NONE",
        "CREATE TABLE telemetry (LIKE telemetry_parts INCLUDING DEFAULTS)",
        "ALTER TABLE telemetry ADD CONSTRAINT telemetry_pkey PRIMARY KEY (id)",
        "ALTER TABLE telemetry ADD CONSTRAINT uq_telemetry_device_seq UNIQUE (device_id, seq)",
        "ALTER TABLE telemetry ADD CONSTRAINT telemetry_device_id_fkey FOREIGN KEY (device_id) REFERENCES device (id)",
        "CREATE INDEX ix_telemetry_device_ts ON telemetry (device_id, ts)",
        # (device, seq) is stricter than (device, seq, ts): keep the first row of each pair.
        "INSERT INTO telemetry SELECT * FROM telemetry_parts ORDER BY id ON CONFLICT (device_id, seq) DO NOTHING",
        "DROP TABLE telemetry_parts",
        "DROP SCHEMA IF EXISTS telemetry_partitions",
        "ALTER SEQUENCE telemetry_id_seq OWNED BY telemetry.id",
    ):
        bind.execute(text(sql))
