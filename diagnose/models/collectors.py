"""Which enterprises' telemetry each collector takes: assigned by `diagnose collectors`, held by the collector."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow


class CollectorAssignment(SQLModel, table=True):
    """One collector and one enterprise: assigned to it (the operator's wish) and/or held by it (its broker
    session has the enterprise's plain subscription, recorded by the collector after the SUBACK).

    A row that is neither assigned nor held is deleted: held and no longer assigned means the collector has
    not let go yet (it waits until another collector holds the enterprise). `seen_at` is when the collector
    last followed the table: a holder that has not been seen lately does not count for another's release.
    """

    __table_args__ = (UniqueConstraint("collector_id", "uscc", name="uq_collectorassignment_collector_uscc"),)

    id: int | None = Field(default=None, primary_key=True)
    collector_id: str = Field(max_length=128, index=True)  # the collector's DIAGNOSE_MQTT_CLIENT_ID
    uscc: str = Field(max_length=18, index=True)
    assigned: bool = Field(default=True)
    assigned_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    held_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    seen_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class PayloadProfileChoice(SQLModel, table=True):
    """How one source of an enterprise's telemetry (`plant/{USCC}/{source}/telemetry`: a gateway or a device)
    is read: a built-in payload profile by name, or the plant's own (`profile` "custom", its data in `spec`).
    A source without a row is read by the strict flat-JSON parser (collectors/payloads.py)."""

    __table_args__ = (
        UniqueConstraint("enterprise_id", "source", name="uq_payloadprofilechoice_enterprise_source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    source: str = Field(max_length=64)
    profile: str = Field(max_length=40)  # a built-in's name, or "custom"
    spec: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_by: str = Field(default="", max_length=128)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class GatewayAccount(SQLModel, table=True):
    """A gateway's (or Sparkplug edge node's) broker login, scoped to one enterprise (issue #21).

    It may publish for any device of its enterprise: `plant/{USCC}/+/…` (kind "json") or, for kind
    "sparkplug", everything of its edge node `spBv1.0/{USCC}/…/{edge_node}` and read that node's commands.
    Its login is `gw.{USCC}.{name}`; each further connection (libraries that open one per device) logs in
    with its own client id, the login plus one of `client_suffixes`, and the same password (Mosquitto's
    dynamic security binds one client id per user name). Only the Mosquitto hash of the password is kept.
    """

    __table_args__ = (UniqueConstraint("enterprise_id", "name", name="uq_gatewayaccount_enterprise_name"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    name: str = Field(max_length=32)
    kind: str = Field(default="json", max_length=16)  # "json" | "sparkplug"
    edge_node: str | None = Field(default=None, max_length=64)  # kind "sparkplug": its edge node id
    client_suffixes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str = Field(default="", max_length=128)
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
