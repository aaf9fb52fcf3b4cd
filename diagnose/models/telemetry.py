"""The device registry, raw telemetry and dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a big table.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Device(SQLModel, table=True):
    """A production device of an enterprise, networked or not (a 'dumb' one has no data link)."""

    __table_args__ = (UniqueConstraint("enterprise_id", "external_id", name="uq_device_enterprise_external"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    external_id: str = Field(max_length=64)  # the device id in the MQTT topic
    name: str = Field(default="", max_length=128)
    kind: str = Field(default="", max_length=64)
    model: str | None = Field(default=None, max_length=64)
    ideal_cycle_s: float | None = Field(default=None)
    networked: bool = Field(default=True)
    production: bool = Field(default=True)  # counts in the networking rate's denominator
    registry_status: str = Field(default="active", max_length=16)  # active | pending | retired
    protocol: str = Field(default="json", max_length=16)  # json | sparkplug | none
    sensor: str = Field(default="full", max_length=16)  # full | current | power
    last_seen_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_state: str | None = Field(default=None, max_length=16)
    online: bool = Field(default=False)
    mqtt_username: str | None = Field(default=None, max_length=64)
    mqtt_password_hash: str | None = Field(default=None, max_length=255)
    edge_node: str | None = Field(default=None, max_length=64)  # Sparkplug edge node, from its DBIRTH
    birth_kind: str | None = Field(default=None, max_length=64)  # the kind the device's birth reported
    heartbeat_s: float | None = Field(default=None)  # declared in its birth: silent longer = unknown
    sample_interval_s: float | None = Field(default=None)  # declared sampling rate (coverage's expectation)
    bottleneck: bool = Field(default=False)  # the provider's choice: its OEE is the plant's
    retired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Telemetry(SQLModel, table=True):
    """One stored sample; unique on (device, seq, ts) so a redelivered message is stored once.

    The key holds ts because PostgreSQL partitions this table by ts (migration 0014), and a partitioned
    table's unique constraints must contain the partition key; a redelivery is byte-identical, ts included.
    """

    __table_args__ = (
        UniqueConstraint("device_id", "seq", "ts", name="uq_telemetry_device_seq"),
        Index("ix_telemetry_device_ts", "device_id", "ts"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigIntPK, primary_key=True, autoincrement=True))
    device_id: int = Field(foreign_key="device.id")
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    ts: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    source: str = Field(default="json", max_length=16)
    state: str | None = Field(default=None, max_length=16)
    count_total: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    count_good: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    power_kw: float | None = None
    energy_kwh: float | None = None
    current_a: float | None = None
    metrics: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    is_historical: bool = Field(default=False)


class DeadLetter(SQLModel, table=True):
    """A message the collector could not use, kept with its raw bytes (cut to `DIAGNOSE_DEAD_LETTER_MAX_BYTES`)
    and the reason."""

    __table_args__ = (Index("ix_deadletter_received_at", "received_at"),)  # retention deletes by age

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    topic: str = Field(max_length=512)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    reason: str = Field(max_length=512)
    # The payload as received: its length and SHA-256 (hex), also when `payload` holds only its first bytes.
    # NULL on dead letters stored before migration 0020 (their payload is whole).
    payload_size: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    payload_sha256: str | None = Field(default=None, max_length=64)
    # A Sparkplug reading of a pending device, decoded under the birth it arrived with (replayable).
    held: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    replayed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class DeadLetterCount(SQLModel, table=True):
    """Dead letters of one device in one hour: how many were kept, and how many were only counted because the
    device's rate (`DIAGNOSE_DEAD_LETTERS_PER_DEVICE_HOUR`) or its enterprise's volume
    (`DIAGNOSE_DEAD_LETTER_BYTES_PER_ENTERPRISE_DAY`) was reached.

    `scope` is the enterprise's USCC as the topic names it (`plant/{USCC}/…`, a Sparkplug group id), `device`
    the topic's device (or edge node) id; both cut to 64 characters. Several collectors add to the same row.
    """

    __table_args__ = (
        UniqueConstraint("scope", "device", "window_start", name="uq_deadlettercount_scope_device_window"),
        Index("ix_deadlettercount_window_start", "window_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=64)
    device: str = Field(max_length=64)
    window_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))  # the hour, UTC
    kept: int = Field(default=0)
    dropped: int = Field(default=0)
    kept_bytes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    received_bytes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    last_reason: str = Field(default="", max_length=512)
    last_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
