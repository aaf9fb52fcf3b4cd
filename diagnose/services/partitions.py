"""Telemetry partitions on PostgreSQL: one native range partition per UTC day of `ts`.

Created ahead by the jobs process (`ensure_ahead`) and on first sight by the collector for any other day
(`ensure_days`: replays and store-and-forward history), dropped whole past the retention once every row
in them is rolled up (`drop_expired`). SQLite keeps one plain table: every function here is a no-op there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session as OrmSession

log = logging.getLogger(__name__)

PARENT = "telemetry"
SCHEMA = "telemetry_partitions"  # apart from the models' tables, so schema comparisons see only the parent
DAYS_AHEAD = 7
LOCK_WAIT = "2s"
_NAME = re.compile(r"^telemetry_p(\d{4})_(\d{2})_(\d{2})$")
_known: dict[str, set[date]] = {}  # engine url → days known to have a partition (per process)


def partition_name(day: date) -> str:
    """telemetry_pYYYY_MM_DD."""
    return f"{PARENT}_p{day:%Y_%m_%d}"


def create_sql(day: date) -> str:
    """DDL for one day's partition (idempotent)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    return (
        f'CREATE TABLE IF NOT EXISTS {SCHEMA}."{partition_name(day)}" PARTITION OF {PARENT} '
        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    )


def is_partitioned(connection: Connection) -> bool:
    """True on PostgreSQL when telemetry is a partitioned table (migration 0014)."""
    if connection.dialect.name != "postgresql":
        return False
    found = connection.execute(
        text(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = :t"
        ),
        {"t": PARENT},
    ).first()
    return found is not None


def existing_days(connection: Connection) -> set[date]:
    """Days that have a partition."""
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t"
        ),
        {"t": PARENT},
    ).scalars()
    days = set()
    for name in rows:
        match = _NAME.match(name)
        if match:
            days.add(date(int(match[1]), int(match[2]), int(match[3])))
    return days


def ensure_days(bind: Engine | Connection, days: Iterable[date], *, in_caller: bool = False) -> int:
    """Create the missing partitions for these days; returns how many.

    Each is made in its own short transaction when it can be: CREATE TABLE … PARTITION OF locks the
    parent, which must not be held for a whole batch. If `bind` is a connection whose transaction
    already holds a lock on telemetry (its own inserts), waiting for that lock elsewhere would wait for
    ever, so after `LOCK_WAIT` the partition is made in `bind`'s own transaction instead.
    Two collectors racing on the same day are both fine.
    """
    engine = bind.engine
    if engine.dialect.name != "postgresql":
        return 0
    key = str(engine.url)
    wanted = set(days)
    known = _known.setdefault(key, set())
    if wanted <= known:
        return 0
    created = 0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if not is_partitioned(connection):
            known.update(wanted)
            return 0
        known.update(existing_days(connection))
        connection.execute(text(f"SET lock_timeout = '{LOCK_WAIT}'"))
        in_bind = (
            in_caller  # once the caller's transaction holds the lock, make the rest there without waiting
        )
        for day in sorted(wanted - known):
            try:
                if in_bind:
                    raise OperationalError(create_sql(day), {}, Exception("caller holds the lock"))
                connection.execute(text(create_sql(day)))
            except OperationalError:  # lock not granted in time: our caller may be holding it
                if not isinstance(bind, Connection):
                    raise
                bind.execute(text(create_sql(day)))
                in_bind = True
                created += 1  # not marked known: it exists only if that transaction commits
                continue
            except DBAPIError as exc:  # another process created it a moment ago
                if day not in existing_days(connection):
                    raise
                log.debug("partition %s already made: %s", partition_name(day), exc.orig)
                known.add(day)
                continue
            created += 1
            known.add(day)
            log.info("created telemetry partition %s", partition_name(day))
    return created


def ensure_ahead(engine: Engine, *, now: datetime, days_ahead: int = DAYS_AHEAD) -> int:
    """Job: yesterday's, today's and the next `days_ahead` days' partitions exist; returns how many were made."""
    today = now.astimezone(UTC).date()
    _known.pop(str(engine.url), None)  # someone may have dropped some: look again
    return ensure_days(engine, (today + timedelta(days=n) for n in range(-1, days_ahead + 1)))


def drop_expired(engine: Engine, *, now: datetime, retention_days: int) -> list[str]:
    """Drop every partition wholly older than the retention whose rows are all rolled up; returns their names.

    "Rolled up" is the row-by-row rule of `delete_rolled_up_raw`: the row's device-hour was computed
    after the row arrived. A partition with one row that is not stays until the roll-up catches up.
    """
    if engine.dialect.name != "postgresql":
        return []
    cutoff = (now - timedelta(days=retention_days)).astimezone(UTC)
    dropped: list[str] = []
    with engine.connect() as connection:
        if not is_partitioned(connection):
            return []
        for day in sorted(existing_days(connection)):
            end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
            if end > cutoff:
                continue
            name = partition_name(day)
            unrolled = connection.execute(
                text(
                    f'SELECT 1 FROM {SCHEMA}."{name}" t WHERE NOT EXISTS (SELECT 1 FROM devicehour h '
                    "WHERE h.device_id = t.device_id AND h.hour_start <= t.ts AND h.hour_end > t.ts "
                    "AND h.computed_at >= t.received_at) LIMIT 1"
                )
            ).first()
            if unrolled is not None:
                log.info("partition %s is past retention but not fully rolled up; kept", name)
                continue
            connection.execute(text(f'DROP TABLE {SCHEMA}."{name}"'))
            connection.commit()
            dropped.append(name)
    _known.pop(str(engine.url), None)
    return dropped


@event.listens_for(OrmSession, "before_flush")
def _partitions_for_new_rows(session: OrmSession, _context: object, _instances: object) -> None:
    """Every ORM write path (sample data, back-fills, imports) gets its day's partition, not only the collector."""
    from diagnose.models import Telemetry

    days = {row.ts.astimezone(UTC).date() for row in session.new if isinstance(row, Telemetry) and row.ts}
    if days and session.get_bind().dialect.name == "postgresql":
        # Not the collector's hot path: make them in the session's own transaction, no lock wait.
        ensure_days(session.connection(), days, in_caller=True)
