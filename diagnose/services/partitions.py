"""Telemetry partitions on PostgreSQL: one native range partition per UTC day of `ts`, managed by pg_partman
where the extension is installed (migration 0016; see partman.py), else by this module, the fallback.

The fallback creates partitions ahead from the jobs process (`maintain`) and on first sight from the
collector for any other day (`ensure_days`: replays, store-and-forward history), and drops them whole past
the retention once every row in them is rolled up (`drop_expired`). Under pg_partman `ensure_days` does
nothing (such rows land in the default partition until the jobs move them) and `maintain` and
`drop_expired` call pg_partman. SQLite keeps one plain table: every function here is a no-op there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session as OrmSession

from diagnose.services import partman
from diagnose.services.partition_catalog import (
    children,
    create_sql,
    day_start,
    holds_parent_lock,
    is_partitioned,
    lock_and_check_rolled_up,
    partition_name,
)

log = logging.getLogger(__name__)

DAYS_AHEAD = 7
LOCK_WAIT = "2s"
Manager = Literal["partman", "native", "none"]
_known: dict[
    str, set[date]
] = {}  # engine url → days known to have a partition, or to need none (per process)
_said_fallback: set[str] = set()


def manager(connection: Connection) -> Manager:
    """Who manages telemetry's partitions: pg_partman, this module ("native"), or nobody (SQLite, one table)."""
    if not is_partitioned(connection):
        return "none"
    return "partman" if partman.manages_telemetry(connection) else "native"


def existing_days(connection: Connection) -> set[date]:
    """Days that have a partition."""
    return {child.day for child in children(connection) if child.day is not None}


def ensure_days(bind: Engine | Connection, days: Iterable[date], *, in_caller: bool = False) -> int:
    """Create the missing partitions for these days (fallback only); returns how many.

    CREATE TABLE … PARTITION OF takes an exclusive lock on telemetry, so each is made in its own short
    transaction when it can be, not held for a whole batch. When `bind` is a connection whose transaction
    already holds a lock on telemetry (it read or wrote it), another connection would wait for that very
    transaction until LOCK_WAIT ran out, on every call: then, as with `in_caller`, the partitions are made
    in `bind`'s own transaction, where they are seen at once (and not cached: they exist only if it
    commits). Two collectors racing on the same day are both fine.
    """
    engine = bind.engine
    if engine.dialect.name != "postgresql":
        return 0
    key = str(engine.url)
    wanted = set(days)
    known = _known.setdefault(key, set())
    if wanted <= known:
        return 0
    if isinstance(bind, Connection) and (in_caller or holds_parent_lock(bind)):
        if manager(bind) != "native":
            known.update(wanted)
            return 0
        missing = sorted(wanted - existing_days(bind))
        for day in missing:
            bind.execute(text(create_sql(day)))
        return len(missing)
    created = 0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if manager(connection) != "native":  # nothing to make: one plain table, or pg_partman's default
            known.update(wanted)
            return 0
        known.update(existing_days(connection))
        connection.execute(text(f"SET lock_timeout = '{LOCK_WAIT}'"))
        in_bind = False  # once the caller's transaction holds the lock, make the rest there without waiting
        for day in sorted(wanted - known):
            try:
                if in_bind:
                    raise OperationalError(create_sql(day), {}, Exception("caller holds the lock"))
                connection.execute(text(create_sql(day)))
            except OperationalError:  # lock not granted in time: another transaction holds telemetry
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


def maintain(engine: Engine, *, now: datetime, days_ahead: int = DAYS_AHEAD) -> int:
    """Job: yesterday's, today's and the next `days_ahead` days' partitions exist (pg_partman: rows in the
    default partition moved to their days, the week ahead premade from the database's clock); returns how
    many partitions were made."""
    if engine.dialect.name != "postgresql":
        return 0
    _known.pop(str(engine.url), None)  # someone may have dropped some: look again
    with engine.connect() as connection:
        kind = manager(connection)
    if kind == "partman":
        return partman.maintain(engine).created
    if kind == "native":
        _say_fallback(engine)
    today = now.astimezone(UTC).date()
    return ensure_days(engine, (today + timedelta(days=n) for n in range(-1, days_ahead + 1)))


def drop_expired(engine: Engine, *, now: datetime, retention_days: int) -> list[str]:
    """Drop every partition wholly older than the retention whose rows are all rolled up; returns their names.

    A partition with one row that is not rolled up stays until the roll-up catches up; under pg_partman so
    does every newer one (retention there ends at the oldest such partition: see partman.py).
    """
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        kind = manager(connection)
    if kind == "partman":
        by_partman = partman.drop_rolled_up(engine, now=now, retention_days=retention_days)
        _known.pop(str(engine.url), None)
        return by_partman
    if kind == "none":
        return []
    cutoff = (now - timedelta(days=retention_days)).astimezone(UTC)
    dropped: list[str] = []
    with engine.connect() as connection:
        candidates = [
            child
            for child in children(connection)
            if child.day is not None and day_start(child.day) + timedelta(days=1) <= cutoff
        ]
        connection.commit()
        for child in candidates:  # each in its own transaction: a lock held no longer than one drop
            try:
                with connection.begin():
                    connection.execute(
                        text("SELECT set_config('lock_timeout', :w, true)"), {"w": partman.LOCK_TIMEOUT}
                    )
                    if not lock_and_check_rolled_up(connection, child):
                        log.info("partition %s is past retention but not fully rolled up; kept", child.name)
                        continue
                    connection.execute(text(f"DROP TABLE {child.qualified}"))
            except OperationalError as exc:
                if "lock timeout" not in str(exc.orig):
                    raise
                log.warning(
                    "partition %s: lock not granted in %s; next run", child.name, partman.LOCK_TIMEOUT
                )
                continue
            dropped.append(child.name)
    _known.pop(str(engine.url), None)
    return dropped


@dataclass(frozen=True, slots=True)
class Summary:
    """What `diagnose partitions status` prints."""

    manager: Manager
    days: int
    first_day: date | None
    last_day: date | None
    rows_in_default: int


def summary(engine: Engine) -> Summary:
    """Who manages the partitions, the days they cover, and the rows in pg_partman's default partition."""
    with engine.connect() as connection:
        kind = manager(connection) if engine.dialect.name == "postgresql" else "none"
        if kind == "none":
            return Summary("none", 0, None, None, 0)
        parts = children(connection)
        days = [child.day for child in parts if child.day is not None]
        default = [child for child in parts if child.day is None]
        waiting = (
            int(connection.execute(text(f"SELECT count(*) FROM {default[0].qualified}")).scalar_one())
            if default
            else 0
        )
    return Summary(kind, len(days), min(days, default=None), max(days, default=None), waiting)


def adopt(engine: Engine) -> bool:
    """Hand the partitions to pg_partman now (the extension installed after migration 0016 ran); False if it
    cannot be had here (the reason is logged)."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.begin() as connection:
        if not is_partitioned(connection):
            return False
        done = partman.adopt(connection)
    _known.pop(str(engine.url), None)
    return done


def _say_fallback(engine: Engine) -> None:
    key = str(engine.url)
    if key not in _said_fallback:
        _said_fallback.add(key)
        log.warning(
            "telemetry partitions are managed by diagnose itself (the fallback): pg_partman does not manage "
            "them; install postgresql-15-partman on the database server and run `diagnose partitions adopt`"
        )


@event.listens_for(OrmSession, "before_flush")
def _partitions_for_new_rows(session: OrmSession, _context: object, _instances: object) -> None:
    """Every ORM write path (sample data, back-fills, imports) gets its day's partition, not only the collector."""
    from diagnose.models import Telemetry

    days = {row.ts.astimezone(UTC).date() for row in session.new if isinstance(row, Telemetry) and row.ts}
    if days and session.get_bind().dialect.name == "postgresql":
        # Not the collector's hot path: make them in the session's own transaction, no lock wait.
        ensure_days(session.connection(), days, in_caller=True)
