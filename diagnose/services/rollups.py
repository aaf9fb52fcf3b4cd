"""Hourly roll-ups of raw telemetry and retention of raw rows: the bodies of the scheduler's data jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import delete, exists, func
from sqlmodel import Session, col, select

from diagnose.models import Device, DeviceHour, Telemetry
from diagnose.models.base import utcnow
from diagnose.services.telemetry_queries import HOUR, US, floor_hour, load_samples
from scoring.indicators import Window, hourly_aggregates

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
    row.performance_count = aggregate.performance_count
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
