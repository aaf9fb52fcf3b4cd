"""Telemetry's day partitions as PostgreSQL's catalog shows them, and the SQL the migrations and pg_partman's
calls (partman.py) share.

Each partition holds one UTC day of `ts` and is named telemetry_pYYYY_MM_DD, which is pg_partman's daily naming.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

PARENT = "telemetry"
NATIVE_SCHEMA = "telemetry_partitions"  # migration 0014's children, before pg_partman moves them
DEFAULT_NAME = "telemetry_default"  # pg_partman's default partition
_NAME = re.compile(r"^telemetry_p(\d{4})_(\d{2})_(\d{2})$")


@dataclass(frozen=True, slots=True)
class Child:
    """One partition of telemetry: its day, or None for the default partition."""

    schema: str
    name: str
    day: date | None

    @property
    def qualified(self) -> str:
        """ "schema"."name", quoted for SQL."""
        return f'"{self.schema}"."{self.name}"'


def partition_name(day: date) -> str:
    """telemetry_pYYYY_MM_DD."""
    return f"{PARENT}_p{day:%Y_%m_%d}"


def is_partition_name(name: str) -> bool:
    """True for a day partition's or the default partition's name (schema comparisons leave them out)."""
    return name == DEFAULT_NAME or _NAME.match(name) is not None


def day_start(day: date) -> datetime:
    """Midnight UTC opening the day."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def create_sql(day: date, schema: str = NATIVE_SCHEMA) -> str:
    """DDL for one day's partition (idempotent)."""
    start = day_start(day)
    end = start + timedelta(days=1)
    return (
        f'CREATE TABLE IF NOT EXISTS "{schema}"."{partition_name(day)}" PARTITION OF {PARENT} '
        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    )


def is_partitioned(connection: Connection) -> bool:
    """True on PostgreSQL when telemetry is a partitioned table (migration 0014)."""
    if connection.dialect.name != "postgresql":
        return False
    found = connection.execute(
        text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:t)"), {"t": PARENT}
    ).first()
    return found is not None


def parent_schema(connection: Connection) -> str:
    """The schema telemetry is in (public, unless the database's search path says otherwise)."""
    return str(
        connection.execute(
            text("SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = to_regclass(:t)"),
            {"t": PARENT},
        ).scalar_one()
    )


def children(connection: Connection) -> list[Child]:
    """Every partition of telemetry, in any schema: day partitions by day, then the default one if any."""
    rows = connection.execute(
        text(
            "SELECT c.relnamespace::regnamespace::text, c.relname, pg_get_expr(c.relpartbound, c.oid) "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:t)"
        ),
        {"t": PARENT},
    ).all()
    days: list[Child] = []
    default: list[Child] = []
    for schema, name, bound in rows:
        match = _NAME.match(name)
        if bound == "DEFAULT":
            default.append(Child(schema, name, None))
        elif match:
            days.append(Child(schema, name, date(int(match[1]), int(match[2]), int(match[3]))))
    return sorted(days, key=lambda child: child.day or date.min) + default


def lock_and_check_rolled_up(connection: Connection, child: Child) -> bool:
    """Share-lock a partition (no row can arrive until this transaction ends), then say whether every row in
    it is rolled up.

    "Rolled up" is the row-by-row rule of `delete_rolled_up_raw`: the row's device-hour was computed after
    the row arrived.
    """
    connection.execute(text(f"LOCK TABLE {child.qualified} IN SHARE MODE"))
    unrolled = connection.execute(
        text(
            f"SELECT 1 FROM {child.qualified} t WHERE NOT EXISTS (SELECT 1 FROM devicehour h "
            "WHERE h.device_id = t.device_id AND h.hour_start <= t.ts AND h.hour_end > t.ts "
            "AND h.computed_at >= t.received_at) LIMIT 1"
        )
    ).first()
    return unrolled is None


@contextmanager
def utc_and_lock_timeout(connection: Connection, lock_timeout: str) -> Iterator[None]:
    """Within the connection's transaction: session time zone UTC (days are UTC days) and a bound on lock waits.

    A DDL statement queued for a lock makes every later reader of telemetry queue behind it, so it must give
    up soon rather than wait for a long transaction; the settings are restored afterwards.
    """
    before = connection.execute(
        text("SELECT current_setting('TimeZone'), current_setting('lock_timeout')")
    ).one()
    connection.execute(
        text("SELECT set_config('TimeZone', 'UTC', true), set_config('lock_timeout', :w, true)"),
        {"w": lock_timeout},
    )
    yield  # on an error the transaction is rolled back, and the local settings with it
    connection.execute(
        text("SELECT set_config('TimeZone', :z, true), set_config('lock_timeout', :w, true)"),
        {"z": before[0], "w": before[1]},
    )
