"""Telemetry partitions on PostgreSQL: one native range partition per UTC day of `ts`, managed by pg_partman
(partman.py; Debian's postgresql-<version>-partman). SQLite keeps one plain table: every function here is a
no-op there.

There is no other manager: a partitioned telemetry that pg_partman does not manage (the extension missing or
dropped) is refused with `partman.Missing`, which names the package to install, rather than left to run
without partitions made ahead. Rows for a day without a partition land in pg_partman's default partition
until the jobs move them (`maintain`), so nothing here runs DDL from the collector or a web request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from diagnose.services.telemetry import partman
from diagnose.services.telemetry.partition_catalog import children, is_partitioned

Manager = Literal["partman", "none"]


def manager(connection: Connection) -> Manager:
    """Who manages telemetry's partitions: pg_partman, or nobody (SQLite, one table); `partman.Missing` if
    telemetry is partitioned and pg_partman does not manage it."""
    if not is_partitioned(connection):
        return "none"
    partman.require(connection)
    return "partman"


def check(engine: Engine) -> None:
    """At start: raise `partman.Missing` (naming the package) when pg_partman should manage telemetry but does
    not."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            manager(connection)


def existing_days(connection: Connection) -> set[date]:
    """Days that have a partition."""
    return {child.day for child in children(connection) if child.day is not None}


def maintain(engine: Engine) -> int:
    """Job: rows in the default partition moved to their days, the week ahead premade from the database's
    clock; returns how many partitions were made."""
    if engine.dialect.name != "postgresql":
        return 0
    with engine.connect() as connection:
        if manager(connection) == "none":
            return 0
    return partman.maintain(engine).created


def drop_expired(engine: Engine, *, now: datetime, retention_days: int) -> list[str]:
    """Drop every partition wholly older than the retention and before the roll-up watermark; their names.

    A partition with one row that is not rolled up stays until the roll-up catches up, and so does every
    newer one (retention ends at the oldest such partition: see partman.py).
    """
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        if manager(connection) == "none":
            return []
    return partman.drop_rolled_up(engine, now=now, retention_days=retention_days)


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
