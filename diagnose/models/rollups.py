"""Collector roll-ups and plant calendars: hourly device aggregates, shift calendar, downtime reason codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow


class DeviceHour(SQLModel, table=True):
    """One device-hour rolled up from raw telemetry; times in integer microseconds so sums stay exact."""

    __table_args__ = (
        UniqueConstraint("device_id", "hour_start", name="uq_devicehour_device_hour"),
        Index("ix_devicehour_hour_start", "hour_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id")
    hour_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    hour_end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    run_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    idle_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    down_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    planned_stop_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    off_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    unknown_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    planned_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    count_total: int = Field(sa_column=Column(BigInteger, nullable=False))
    count_good: int = Field(sa_column=Column(BigInteger, nullable=False))
    energy_kwh: str = Field(default="0", max_length=64)  # exact Fraction as text, e.g. "1234/5"
    sample_count: int = Field(default=0)
    # parts performance counts (none made across unknown time); None in rows rolled up before 0007
    performance_count: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    downtime_by_reason_us: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # planned time of unknown state (无数据, not downtime); None in rows rolled up before 0022
    unknown_planned_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # The sampling interval the hour's slots were cut at and how many of them heard a message (coverage of a
    # sampling device read from the roll-up exactly as from raw samples); NULL on roll-ups before 0028.
    slot_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    slots_heard: int | None = Field(default=None, nullable=True)
    computed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ShiftCalendarEntry(SQLModel, table=True):
    """A planned stop (break, no-shift time) of an enterprise, or of one device when device_id is set."""

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    device_id: int | None = Field(default=None, foreign_key="device.id")
    start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    kind: str = Field(default="planned_stop", max_length=16)  # planned_stop | shift
    label: str = Field(default="", max_length=64)


class DowntimeReasonEntry(SQLModel, table=True):
    """An operator's reason code for a device's downtime between start and end."""

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    code: str = Field(max_length=32)
    label: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
