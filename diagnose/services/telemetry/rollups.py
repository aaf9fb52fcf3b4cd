"""Hourly roll-ups of raw telemetry and retention of raw rows: the bodies of the scheduler's data jobs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import delete, exists, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from diagnose.models import Device, DeviceHour, JobWatermark, Telemetry
from diagnose.models.base import utcnow
from diagnose.services.telemetry.telemetry_queries import HOUR, US, floor_hour, load_samples
from scoring.indicators import HourlyAggregate, Window, hourly_aggregates

# Late rows committed just before a roll-up ran are caught by looking back a little past its start.
WATERMARK_MARGIN = timedelta(minutes=5)
ROLLUP_WATERMARK = "rollup_hours"
# A batch computes device-hours for at most this long (reads, no lock), then writes them in one short
# transaction (milliseconds): the write lock is never held while computing.
BATCH_SECONDS = 0.5
RETENTION_BATCH_ROWS = 5_000


def _hour_bucket(engine_name: str) -> Any:
    if engine_name == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", Telemetry.ts))
    return func.substr(Telemetry.ts, 1, 13)  # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC


def _bucket_start(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    return datetime.strptime(str(value), "%Y-%m-%d %H").replace(tzinfo=UTC)


def rollup_pending(*, session: Session, now: datetime, silence_timeout_s: float) -> int:
    """Roll up every complete device-hour that received rows since the last roll-up (and the hour after it).

    One transaction for the whole backlog: for small data and tests. The scheduler uses `rollup_in_batches`.
    """
    watermark = session.exec(select(func.max(DeviceHour.computed_at))).one()
    touched = pending_hours(session=session, now=now, since=watermark)
    for device_id, hour in touched:
        device = session.get(Device, device_id)
        if device is not None:
            rollup_device_hour(session=session, device=device, hour=hour, silence_timeout_s=silence_timeout_s)
    return len(touched)


def pending_hours(*, session: Session, now: datetime, since: datetime | None) -> list[tuple[int, datetime]]:
    """Complete device-hours with rows received after `since` (less a margin), and each one's next hour.

    Read-only: on SQLite (WAL) it takes no write lock however long the scan.
    """
    bucket = _hour_bucket(session.get_bind().dialect.name)
    statement = select(Telemetry.device_id, bucket).where(col(Telemetry.ts) < floor_hour(now))
    if since is not None:
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since
        statement = statement.where(col(Telemetry.received_at) > since - WATERMARK_MARGIN)
    touched: set[tuple[int, datetime]] = set()
    for device_id, value in session.exec(statement.group_by(col(Telemetry.device_id), bucket)).all():
        hour = _bucket_start(value)
        touched.add((device_id, hour))
        if hour + HOUR < floor_hour(now):
            touched.add((device_id, hour + HOUR))  # its carried-in state and counters may have changed
    return sorted(touched)


@dataclass
class BatchRun:
    """What a batched job run did, and the longest write transaction it held."""

    written: int = 0
    batches: int = 0
    samples: int = 0
    longest_write_s: float = 0.0
    elapsed_s: float = 0.0


def rollup_in_batches(
    *,
    engine: Engine,
    now: datetime,
    silence_timeout_s: float,
    batch_seconds: float = BATCH_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> BatchRun:
    """Roll up the pending device-hours in small batches, each computed outside and written in its own short
    transaction, so no write holds the database long whatever the backlog (the first roll-up of a week).

    Progress is durable: a batch committed stays; the watermark moves only when the whole run is done, so an
    interrupted run is picked up (and the hours already written recomputed, idempotently) by the next one.
    """
    run = BatchRun()
    started = clock()
    run_started_at = utcnow()
    with Session(engine) as session:
        watermark = session.get(JobWatermark, ROLLUP_WATERMARK)
        since = (
            watermark.value
            if watermark is not None
            else session.exec(select(func.max(DeviceHour.computed_at))).one()
        )
        touched = pending_hours(session=session, now=now, since=since)
    position = 0
    while position < len(touched):
        computed: list[tuple[int, datetime, HourlyAggregate]] = []
        read_started_at = utcnow()  # computed_at: rows received after this are rolled up again next time
        with Session(engine) as session:
            batch_started = clock()
            while position < len(touched) and (not computed or clock() - batch_started < batch_seconds):
                device_id, hour = touched[position]
                position += 1
                device = session.get(Device, device_id)
                if device is None:
                    continue
                aggregate = compute_device_hour(
                    session=session, device=device, hour=hour, silence_timeout_s=silence_timeout_s
                )
                computed.append((device_id, hour, aggregate))
                run.samples += aggregate.sample_count
            session.rollback()  # end the read transaction before writing
            write_started = clock()
            for device_id, hour, aggregate in computed:
                store_device_hour(
                    session=session,
                    device_id=device_id,
                    hour=hour,
                    aggregate=aggregate,
                    computed_at=read_started_at,
                )
            session.commit()
            run.longest_write_s = max(run.longest_write_s, clock() - write_started)
        run.written += len(computed)
        run.batches += 1
    with Session(engine) as session:
        row = session.get(JobWatermark, ROLLUP_WATERMARK) or JobWatermark(name=ROLLUP_WATERMARK)
        row.value = run_started_at
        session.add(row)
        session.commit()
    run.elapsed_s = clock() - started
    return run


def rollup_device_hour(
    *, session: Session, device: Device, hour: datetime, silence_timeout_s: float
) -> DeviceHour:
    """Compute (or recompute) one device-hour from raw rows and store it; idempotent."""
    aggregate = compute_device_hour(
        session=session, device=device, hour=hour, silence_timeout_s=silence_timeout_s
    )
    assert device.id is not None
    return store_device_hour(session=session, device_id=device.id, hour=hour, aggregate=aggregate)


def compute_device_hour(
    *, session: Session, device: Device, hour: datetime, silence_timeout_s: float
) -> HourlyAggregate:
    """One device-hour's aggregate from raw rows (reads only)."""
    samples = load_samples(session=session, device=device, window=Window(hour, hour + HOUR))
    return hourly_aggregates(
        samples.states,
        samples.counters,
        samples.energy,
        hour,
        silence_timeout_s=silence_timeout_s,
        calendar=samples.calendar,
        reasons=samples.reasons,
        heard=samples.heard,
        # The slots the snapshot's coverage cuts each hour into: the declared interval, else the timeout.
        slot_s=device.sample_interval_s or silence_timeout_s,
    )


def store_device_hour(
    *,
    session: Session,
    device_id: int,
    hour: datetime,
    aggregate: HourlyAggregate,
    computed_at: datetime | None = None,
) -> DeviceHour:
    """Insert or update the device-hour row with an aggregate."""
    row = session.exec(
        select(DeviceHour).where(DeviceHour.device_id == device_id, DeviceHour.hour_start == hour)
    ).first() or DeviceHour(device_id=device_id, hour_start=hour, hour_end=hour + HOUR)  # type: ignore[call-arg,arg-type]
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
    row.performance_count = aggregate.performance_count
    row.downtime_by_reason_us = {code: _us(s) for code, s in aggregate.downtime_by_reason.items()}
    row.unknown_planned_us = None if aggregate.unknown_planned_s is None else _us(aggregate.unknown_planned_s)
    row.slot_us = None if aggregate.slot_s is None else _us(aggregate.slot_s)
    row.slots_heard = aggregate.slots_heard
    row.computed_at = computed_at or utcnow()
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


def _rolled_up() -> Any:
    return exists().where(
        col(DeviceHour.device_id) == col(Telemetry.device_id),
        col(DeviceHour.hour_start) <= Telemetry.ts,
        col(DeviceHour.hour_end) > Telemetry.ts,
        col(DeviceHour.computed_at) >= Telemetry.received_at,
    )


def retention_in_batches(
    *,
    engine: Engine,
    now: datetime,
    retention_days: int,
    batch_rows: int = RETENTION_BATCH_ROWS,
    clock: Callable[[], float] = time.monotonic,
) -> BatchRun:
    """`delete_rolled_up_raw` in batches of at most `batch_rows` rows (in id order), each its own transaction."""
    run = BatchRun()
    started = clock()
    cutoff = now - timedelta(days=retention_days)
    after = 0
    while True:
        with Session(engine) as session:
            ids = session.exec(
                select(Telemetry.id)
                .where(col(Telemetry.id) > after, col(Telemetry.ts) < cutoff, _rolled_up())
                .order_by(col(Telemetry.id))
                .limit(batch_rows)
            ).all()
            if not ids:
                break
            after = max(i for i in ids if i is not None)
            write_started = clock()
            result = session.execute(delete(Telemetry).where(col(Telemetry.id).in_(ids)))
            session.commit()
            run.longest_write_s = max(run.longest_write_s, clock() - write_started)
        run.written += int(getattr(result, "rowcount", 0) or 0)
        run.batches += 1
    run.elapsed_s = clock() - started
    return run
