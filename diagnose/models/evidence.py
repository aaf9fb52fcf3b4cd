"""What measured evidence rests on beyond telemetry: presence history, equipment ledger, production calendar,
fitted state models of dumb devices; and the evidence snapshot stored with each scoring result."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow


class DevicePresence(SQLModel, table=True):
    """A device went online or offline at `ts` (birth/death, MQTT status topic or will message)."""

    __table_args__ = (Index("ix_devicepresence_device_ts", "device_id", "ts"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id")
    ts: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    online: bool
    source: str = Field(default="status", max_length=16)  # birth | death | status


class Equipment(SQLModel, table=True):
    """One line of the plant's equipment ledger (设备台账), connected to the platform or not."""

    __table_args__ = (UniqueConstraint("enterprise_id", "code", name="uq_equipment_enterprise_code"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    code: str = Field(max_length=64)  # the plant's asset number
    name: str = Field(max_length=128)
    serial: str | None = Field(default=None, max_length=64)  # the maker's serial number (出厂编号), if known
    kind: str = Field(default="", max_length=64)
    production: bool = Field(default=True)  # production equipment counts in the networking rate
    connected: bool = Field(default=False)
    digital: bool | None = Field(default=None)  # 数字控制 (设备数字化率); None: not stated
    device_id: int | None = Field(default=None, foreign_key="device.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class CalendarRule(SQLModel, table=True):
    """The enterprise's planned production calendar: a shift or break on a weekday (the weekly pattern) or on
    a date (a dated exception: a makeup working day, a shortened day), or a holiday (a non-working day).

    Times are China local "HH:MM"; a shift whose end is not after its start runs past midnight.
    """

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    kind: str = Field(max_length=16)  # shift | break | holiday
    weekday: int | None = Field(default=None)  # 0 = Monday … 6 = Sunday (weekly shift, break)
    day: date | None = Field(default=None)  # holiday, or the date of a dated shift or break
    start: str | None = Field(default=None, max_length=5)
    end: str | None = Field(default=None, max_length=5)
    label: str = Field(default="", max_length=64)


class StateModelRecord(SQLModel, table=True):
    """A dumb device's state model, fitted once on a training window and stored (skops) with its version."""

    __table_args__ = (Index("ix_statemodelrecord_device", "device_id"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id")
    train_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    train_end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    version: str = Field(max_length=32)
    blob: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class EvidenceSnapshotRecord(SQLModel, table=True):
    """The measured evidence a scoring result used: the snapshot's canonical JSON and its SHA-256, the window,
    the versions of the function and rules, and the versions of the data it read. Written once, never edited."""

    __tablename__ = "evidencesnapshot"

    id: int | None = Field(default=None, primary_key=True)
    # The CMMM result that used it; None for the snapshot an SME-only rating keeps (smeresult.snapshot_id).
    result_id: int | None = Field(default=None, foreign_key="result.id", unique=True)
    order_id: int = Field(foreign_key="diagnosisorder.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    version: str = Field(max_length=32)  # scoring.indicators.snapshot.SNAPSHOT_VERSION
    rules_version: str = Field(max_length=32)  # figure_rules.json
    window_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    window_end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    data_versions: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON (snapshot_json.canonical)
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
