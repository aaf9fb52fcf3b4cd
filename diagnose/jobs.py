"""Scheduled jobs: plain functions that tests call directly, and the one scheduler process that runs them."""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import IO, Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import delete, exists, func, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from diagnose.audit_jobs import AUDIT_JOBS
from diagnose.models import Device, DeviceHour, Telemetry
from diagnose.models.base import utcnow
from diagnose.services import devices
from diagnose.services.telemetry_queries import HOUR, US, floor_hour, load_samples
from diagnose.settings import Settings
from scoring.indicators import Window, hourly_aggregates

log = logging.getLogger(__name__)


def mark_offline_devices(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: devices silent longer than `offline_after_s` are shown offline."""
    with Session(engine) as session:
        changed = devices.mark_offline(
            session=session, now=now or datetime.now(UTC), offline_after_s=settings.offline_after_s
        )
        session.commit()
    return changed


def rollup_hours(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: roll every complete device-hour with new raw data into `devicehour`; returns hours written."""
    with Session(engine) as session:
        written = rollup_pending(
            session=session, now=now or datetime.now(UTC), silence_timeout_s=settings.silence_timeout_s
        )
        session.commit()
    return written


def apply_retention(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: delete raw telemetry older than `raw_retention_days` whose hour is rolled up; returns rows deleted."""
    with Session(engine) as session:
        deleted = delete_rolled_up_raw(
            session=session, now=now or datetime.now(UTC), retention_days=settings.raw_retention_days
        )
        session.commit()
    return deleted


# Late rows committed just before a roll-up ran are caught by looking back a little past its start.
WATERMARK_MARGIN = timedelta(minutes=5)


def _hour_bucket(engine_name: str) -> Any:
    if engine_name == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", Telemetry.ts))
    return func.substr(Telemetry.ts, 1, 13)  # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC


def _bucket_start(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    return datetime.strptime(str(value), "%Y-%m-%d %H").replace(tzinfo=UTC)


def rollup_pending(*, session: Session, now: datetime, silence_timeout_s: float) -> int:
    """Roll up every complete device-hour that received rows since the last roll-up (and the hour after it)."""
    watermark = session.exec(select(func.max(DeviceHour.computed_at))).one()
    bucket = _hour_bucket(session.get_bind().dialect.name)
    statement = select(Telemetry.device_id, bucket).where(col(Telemetry.ts) < floor_hour(now))
    if watermark is not None:
        since = watermark.replace(tzinfo=UTC) if watermark.tzinfo is None else watermark
        statement = statement.where(col(Telemetry.received_at) > since - WATERMARK_MARGIN)
    touched: set[tuple[int, datetime]] = set()
    for device_id, value in session.exec(statement.group_by(col(Telemetry.device_id), bucket)).all():
        hour = _bucket_start(value)
        touched.add((device_id, hour))
        if hour + HOUR < floor_hour(now):
            touched.add((device_id, hour + HOUR))  # its carried-in state and counters may have changed
    for device_id, hour in sorted(touched):
        device = session.get(Device, device_id)
        if device is not None:
            rollup_device_hour(session=session, device=device, hour=hour, silence_timeout_s=silence_timeout_s)
    return len(touched)


def rollup_device_hour(
    *, session: Session, device: Device, hour: datetime, silence_timeout_s: float
) -> DeviceHour:
    """Compute (or recompute) one device-hour from raw rows and store it; idempotent."""
    samples = load_samples(session=session, device=device, window=Window(hour, hour + HOUR))
    aggregate = hourly_aggregates(
        samples.states,
        samples.counters,
        samples.energy,
        hour,
        silence_timeout_s=silence_timeout_s,
        calendar=samples.calendar,
        reasons=samples.reasons,
    )
    row = session.exec(
        select(DeviceHour).where(DeviceHour.device_id == device.id, DeviceHour.hour_start == hour)
    ).first() or DeviceHour(device_id=device.id, hour_start=hour, hour_end=hour + HOUR)  # type: ignore[call-arg,arg-type]
    for state, name in (("run", "run_s"), ("idle", "idle_s"), ("down", "down_s")):
        setattr(row, f"{state}_us", _us(getattr(aggregate, name)))
    row.planned_stop_us = _us(aggregate.planned_stop_s)
    row.off_us = _us(aggregate.off_s)
    row.unknown_us = _us(aggregate.unknown_s)
    row.planned_us = _us(aggregate.planned_s)
    row.count_total = aggregate.count_total
    row.count_good = aggregate.count_good
    row.energy_kwh = str(aggregate.energy_kwh)
    row.sample_count = aggregate.sample_count
    row.downtime_by_reason_us = {code: _us(s) for code, s in aggregate.downtime_by_reason.items()}
    row.computed_at = utcnow()
    session.add(row)
    session.flush()
    return row


def _us(value: Fraction) -> int:
    micro = value * US
    if micro.denominator != 1:
        raise ValueError(f"{value} s is not a whole number of microseconds")
    return int(micro)


def delete_rolled_up_raw(*, session: Session, now: datetime, retention_days: int) -> int:
    """Delete raw rows older than the retention whose hour was rolled up after they arrived."""
    rolled = exists().where(
        col(DeviceHour.device_id) == col(Telemetry.device_id),
        col(DeviceHour.hour_start) <= Telemetry.ts,
        col(DeviceHour.hour_end) > Telemetry.ts,
        col(DeviceHour.computed_at) >= Telemetry.received_at,
    )
    cutoff = now - timedelta(days=retention_days)
    result = session.execute(delete(Telemetry).where(col(Telemetry.ts) < cutoff, rolled))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class JobSpec:
    """A job and its interval."""

    name: str
    func: Callable[[Engine, Settings], Any]
    seconds: int


JOBS: list[JobSpec] = [
    JobSpec("mark_offline_devices", mark_offline_devices, 60),
    JobSpec("rollup_hours", rollup_hours, 300),
    JobSpec("apply_retention", apply_retention, 3600),
    *(JobSpec(name, func, seconds) for name, func, seconds in AUDIT_JOBS),
]


class SchedulerLock:
    """Makes sure only one scheduler runs: a PostgreSQL advisory lock, or a file lock beside the SQLite file."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._conn: Connection | None = None
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        """Try once; True if this process is now the scheduler."""
        if self.engine.dialect.name == "postgresql":
            self._conn = self.engine.connect()
            got = self._conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": self.settings.scheduler_lock_id}
            )
            if bool(got.scalar()):
                return True
            self._conn.close()
            self._conn = None
            return False
        path = self.settings.ensure_var_dir() / "scheduler.lock"
        self._file = path.open("w")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            self._file.close()
            self._file = None
            return False

    def release(self) -> None:
        """Give the lock up."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None


def run_scheduler(engine: Engine, settings: Settings, stop: threading.Event, *, poll_s: float = 15.0) -> None:
    """Run the jobs until `stop`; a second scheduler waits idle until the first one's lock is free."""
    lock = SchedulerLock(engine, settings)
    while not lock.acquire():
        log.info("another scheduler holds the lock; standing by")
        if stop.wait(poll_s):
            return
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in JOBS:
        scheduler.add_job(
            job.func,
            "interval",
            seconds=job.seconds,
            args=(engine, settings),
            id=job.name,
            max_instances=1,
            coalesce=True,
        )
    scheduler.start()
    log.info("scheduler running %d jobs", len(JOBS))
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        lock.release()
