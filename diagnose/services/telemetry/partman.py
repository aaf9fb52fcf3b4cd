"""pg_partman (Debian's postgresql-<version>-partman) managing telemetry's day partitions on PostgreSQL.

Migration 0016 registers telemetry with `create_parent` (native, daily, premade a week ahead) after moving
the partitions migration 0014 made into telemetry's schema under the same names, which are pg_partman's
daily names; migration 0034 does the same for a database that passed 0016 while the server lacked
pg_partman (its partitions were then managed by a fallback since removed). Without the extension both
migrations, and every command at start, stop with `Missing`, which names the package to install. The jobs
process then runs `maintain` and `drop_rolled_up` on schedule. Every call runs with the session time zone
UTC: pg_partman names and bounds days in the client's time zone, and these partitions are UTC days.

Rows for a day without a partition (store-and-forward history, replays, a clock far ahead) land in
pg_partman's default partition, and `maintain` moves them into their day's partition with
`partition_data_time`, one day per short transaction, before `run_maintenance` premakes the coming days.
So the collector never runs DDL (creating a partition takes an exclusive lock on telemetry and waits behind
every open reader).

Retention never drops a partition holding a row that is not rolled up yet. pg_partman's own retention
(part_config.retention, applied by run_maintenance and by its background worker, should a DBA enable
that) drops by age alone, so it stays NULL. Instead, `drop_rolled_up` share-locks each partition past the
retention, oldest first, until one holds a row not rolled up: that one is the roll-up watermark. It then
calls pg_partman's `drop_partition_time` with a retention ending there, so exactly the checked partitions
before the watermark are dropped, in the same transaction, with no row able to arrive in between.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from diagnose.services.telemetry.partition_catalog import (
    NATIVE_SCHEMA,
    PARENT,
    children,
    create_sql,
    day_start,
    lock_and_check_rolled_up,
    parent_schema,
    utc_and_lock_timeout,
)

log = logging.getLogger(__name__)

EXTENSION = "pg_partman"
SCHEMA = "partman"
PREMAKE_DAYS = 7
LOCK_TIMEOUT = "5s"  # maintenance gives up and tries again next run rather than queue readers behind it
MAX_DAYS_MOVED_PER_RUN = 400


@dataclass(frozen=True, slots=True)
class Maintenance:
    """What one maintenance run did."""

    rows_moved: int  # out of the default partition into their day's partition
    created: int  # partitions made (by moving, or premade ahead)


class Missing(RuntimeError):
    """pg_partman cannot manage telemetry here: the message says what to install or run."""


def package(connection: Connection) -> str:
    """The Debian package holding pg_partman for this server's major version (postgresql-15-partman)."""
    version = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    return f"postgresql-{version // 10000}-partman"


def extension_schema(connection: Connection) -> str | None:
    """The schema pg_partman is installed in, or None when it is not installed in this database."""
    found = connection.execute(
        text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = :e"),
        {"e": EXTENSION},
    ).scalar()
    return str(found) if found is not None else None


def available(connection: Connection) -> bool:
    """Whether the server has pg_partman's files (Debian: postgresql-<version>-partman)."""
    return (
        connection.execute(
            text("SELECT 1 FROM pg_available_extensions WHERE name = :e"), {"e": EXTENSION}
        ).first()
        is not None
    )


def parent_table(connection: Connection) -> str:
    """telemetry as pg_partman names it: schema-qualified."""
    return f"{parent_schema(connection)}.{PARENT}"


def manages_telemetry(connection: Connection) -> bool:
    """Whether pg_partman is installed here and telemetry is one of its partition sets."""
    schema = extension_schema(connection)
    if schema is None:
        return False
    found = connection.execute(
        text(f'SELECT 1 FROM "{schema}".part_config WHERE parent_table = :p'),
        {"p": parent_table(connection)},
    ).first()
    return found is not None


def _install(connection: Connection) -> str:
    """Create the extension if it is not there yet; its schema. `Missing` when the server lacks it or this
    role may not create it."""
    schema = extension_schema(connection)
    if schema is not None:
        return schema
    if not available(connection):
        raise Missing(
            f"pg_partman is not installed on the database server, and it manages telemetry's day partitions: "
            f"install the Debian package {package(connection)} there (scripts/setup.sh does as root), then run "
            "`diagnose init-db`"
        )
    try:
        with connection.begin_nested():
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
            connection.execute(text(f'CREATE EXTENSION IF NOT EXISTS {EXTENSION} SCHEMA "{SCHEMA}"'))
    except DBAPIError as exc:
        raise Missing(
            f"pg_partman ({package(connection)}) is on the server but this role cannot create it "
            f"({str(exc.orig).strip()}): a superuser runs CREATE SCHEMA {SCHEMA}; CREATE EXTENSION {EXTENSION} "
            f"SCHEMA {SCHEMA}; then `diagnose init-db`"
        ) from exc
    return SCHEMA


def require(connection: Connection) -> None:
    """`Missing` unless pg_partman manages telemetry (call only where telemetry is partitioned)."""
    if manages_telemetry(connection):
        return
    if extension_schema(connection) is None:
        raise Missing(
            "telemetry is partitioned but pg_partman is not installed in this database: install the Debian "
            f"package {package(connection)} on the database server, then run `diagnose init-db`"
        )
    raise Missing("pg_partman does not manage telemetry's partitions: run `diagnose init-db`")


def adopt(connection: Connection, *, premake_days: int = PREMAKE_DAYS) -> bool:
    """Hand telemetry's partitions to pg_partman in the connection's transaction, creating the extension if
    needed (`Missing` when it cannot be had); True. Rows stay where they are."""
    if manages_telemetry(connection):
        return True
    schema = _install(connection)
    with utc_and_lock_timeout(connection, "0"):  # one-off, under the operator's eye: wait for the lock
        parent = parent_table(connection)
        home = parent_schema(connection)
        existing = [child for child in children(connection) if child.day is not None]
        for child in existing:
            if child.schema != home:  # pg_partman looks for its children by name in the parent's schema
                connection.execute(text(f'ALTER TABLE {child.qualified} SET SCHEMA "{home}"'))
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{NATIVE_SCHEMA}"'))  # empty now
        # create_parent makes its first partition at the start given and every day up to the premade
        # ones; it must make at least one or it skips the default partition, so start after the last.
        last = max((child.day for child in existing if child.day is not None), default=None)
        start = day_start(last) + timedelta(days=1) if last is not None else None
        connection.execute(
            text(
                f'SELECT "{schema}".create_parent(p_parent_table := :p, p_control := :c, p_type := :k, '
                "p_interval := :i, p_premake := :n, p_start_partition := :s, p_jobmon := false)"
            ),
            {
                "p": parent,
                "c": "ts",
                "k": "native",
                "i": "daily",
                "n": premake_days,
                "s": start.isoformat() if start is not None else None,
            },
        )
        # Premade from the clock, not from the newest row; retention is ours (module docstring).
        connection.execute(
            text(
                f'UPDATE "{schema}".part_config SET infinite_time_partitions = true, retention = NULL, '
                "retention_keep_table = false WHERE parent_table = :p"
            ),
            {"p": parent},
        )
    log.info("telemetry partitions are managed by pg_partman (%d existing days adopted)", len(existing))
    return True


def release(connection: Connection) -> bool:
    """Undo `adopt` in the connection's transaction (migration 0016's downgrade): migration 0014's layout
    again, rows of the default partition in day partitions of their own; the extension stays (other partition sets may use it).
    False when pg_partman did not manage telemetry."""
    if not manages_telemetry(connection):
        return False
    schema = extension_schema(connection)
    with utc_and_lock_timeout(connection, "0"):
        parent = parent_table(connection)
        template = connection.execute(
            text(f'SELECT template_table FROM "{schema}".part_config WHERE parent_table = :p'), {"p": parent}
        ).scalar()
        connection.execute(text(f'DELETE FROM "{schema}".part_config WHERE parent_table = :p'), {"p": parent})
        if template:
            connection.execute(text(f"DROP TABLE IF EXISTS {_quote_qualified(template)}"))
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{NATIVE_SCHEMA}"'))
        for child in children(connection):
            if child.day is not None:
                connection.execute(text(f'ALTER TABLE {child.qualified} SET SCHEMA "{NATIVE_SCHEMA}"'))
                continue
            connection.execute(text(f"ALTER TABLE {PARENT} DETACH PARTITION {child.qualified}"))
            days = connection.execute(
                text(f"SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM {child.qualified}")
            ).scalars()
            for day in days:
                connection.execute(text(create_sql(day)))
            connection.execute(text(f"INSERT INTO {PARENT} SELECT * FROM {child.qualified}"))
            connection.execute(text(f"DROP TABLE {child.qualified}"))
    return True


def maintain(engine: Engine) -> Maintenance:
    """Job: move rows out of the default partition into their days' partitions, then premake the coming days.

    Each step is its own short transaction; a lock not granted within LOCK_TIMEOUT ends the run early (the
    next run carries on). Premaking follows the database's clock.
    """
    moved = created = 0
    for _ in range(MAX_DAYS_MOVED_PER_RUN):
        with engine.begin() as connection:
            schema, parent = _names(connection)
            before = len(children(connection))
            with utc_and_lock_timeout(connection, LOCK_TIMEOUT):
                count = _lock_tolerant(
                    connection,
                    f'SELECT "{schema}".partition_data_time(:p, p_batch_count := 1, p_lock_wait := 5, '
                    "p_analyze := false)",
                    {"p": parent},
                )
            created += len(children(connection)) - before
        if count is None or count <= 0:  # empty, rows locked by a writer (-1), or the lock not granted
            break
        moved += count
    with engine.begin() as connection:
        schema, parent = _names(connection)
        before = len(children(connection))
        with utc_and_lock_timeout(connection, LOCK_TIMEOUT):
            _lock_tolerant(
                connection, f'SELECT "{schema}".run_maintenance(:p, p_analyze := false)', {"p": parent}
            )
        created += len(children(connection)) - before
    if moved:
        log.info("moved %d telemetry rows from the default partition into their days' partitions", moved)
    return Maintenance(rows_moved=moved, created=created)


def drop_rolled_up(engine: Engine, *, now: datetime, retention_days: int) -> list[str]:
    """Job: drop every partition wholly older than the retention that lies before the roll-up watermark
    (module docstring); returns their names."""
    cutoff = now - timedelta(days=retention_days)
    try:
        with engine.begin() as connection:
            schema, parent = _names(connection)
            with utc_and_lock_timeout(connection, LOCK_TIMEOUT):
                keep_from = cutoff
                candidates = []
                for child in children(connection):
                    if child.day is None or day_start(child.day) + timedelta(days=1) > cutoff:
                        continue
                    if not lock_and_check_rolled_up(connection, child):
                        keep_from = day_start(child.day)
                        log.info("partition %s is past retention but not fully rolled up; kept", child.name)
                        break
                    candidates.append(child.name)
                if not candidates:
                    return []
                # drop_partition_time drops a partition whose end is before reference - retention; the
                # microsecond makes that "at or before keep_from", as the checks above assumed.
                _lock_tolerant(
                    connection,
                    f'SELECT "{schema}".drop_partition_time(:p, p_retention := :r, p_keep_table := false, '
                    "p_reference_timestamp := :now)",
                    {"p": parent, "r": now - keep_from - timedelta(microseconds=1), "now": now},
                )
                remaining = {child.name for child in children(connection)}
    except OperationalError as exc:  # LOCK TABLE of a partition a writer holds: try again next run
        if "lock timeout" not in str(exc.orig):
            raise
        log.warning("telemetry retention: a partition lock was not granted in %s; next run", LOCK_TIMEOUT)
        return []
    return [name for name in candidates if name not in remaining]


def _names(connection: Connection) -> tuple[str, str]:
    schema = extension_schema(connection)
    assert schema is not None, "pg_partman is not installed"
    return schema, parent_table(connection)


def _lock_tolerant(connection: Connection, sql: str, params: dict[str, object]) -> int | None:
    """Run a pg_partman call in a savepoint; None (logged) when it gave up waiting for a lock.

    pg_partman re-raises every error as a plain exception, so the lock timeout is known by its message.
    """
    try:
        with connection.begin_nested():
            value = connection.execute(text(sql), params).scalar()
    except DBAPIError as exc:
        if "lock timeout" not in str(exc.orig):
            raise
        log.warning("telemetry partition maintenance: a lock was not granted in %s; next run", LOCK_TIMEOUT)
        return None
    return int(value) if isinstance(value, int) else 0


def _quote_qualified(name: str) -> str:
    schema, _, table = name.partition(".")
    return f'"{schema}"."{table}"'
