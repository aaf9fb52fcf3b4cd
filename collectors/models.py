"""Message types shared by the parsers and the writer: plain frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

DeviceState = Literal["RUN", "IDLE", "DOWN", "PLANNED_STOP", "OFF"]
DEVICE_STATES: tuple[str, ...] = ("RUN", "IDLE", "DOWN", "PLANNED_STOP", "OFF")
Source = Literal["json", "sparkplug"]


@dataclass(frozen=True, slots=True)
class Reading:
    """One telemetry sample of one device, whatever the wire format it came in.

    `seq` is the idempotency key together with (enterprise, device): the device's own
    increasing counter for JSON topics; for Sparkplug B (whose 0-255 `seq` is per edge node and
    wraps, so it cannot identify a sample) the epoch ms shifted left 20 bits plus a digest of the
    reading's content (`collectors.sparkplug.host.reading_key`), so two report-by-exception DDATA
    with the same timestamp are both kept and a redelivery is stored once.
    """

    uscc: str
    device_id: str
    seq: int
    ts: datetime  # timezone-aware, UTC
    source: Source = "json"
    state: str | None = None
    count_total: int | None = None
    count_good: int | None = None
    power_kw: float | None = None
    energy_kwh: float | None = None
    current_a: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    is_historical: bool = False
    # Values that are not numbers: text a payload profile keeps (`_problems` says which fields were kept as
    # text or left out, and why), and Sparkplug String, Text, UUID, DateTime as RFC 3339, Bytes as base64,
    # DataSet and Template as JSON text, null as None. Stored beside `metrics` in the same JSON column.
    attributes: dict[str, str | None] = field(default_factory=dict)
    profile: str | None = None  # the payload profile it was read with (None: the strict JSON, Sparkplug)
    # Sparkplug: the edge node's own metrics (NBIRTH/NDATA), stored only when the edge node id is a
    # registered device; otherwise dead-lettered with that reason, never registered as a pending device.
    node_metrics: bool = False


@dataclass(frozen=True, slots=True)
class DeviceBirth:
    """Device metadata announced by a birth message (JSON `birth` topic or Sparkplug DBIRTH)."""

    uscc: str
    device_id: str
    kind: str | None = None
    model: str | None = None
    ideal_cycle_s: float | None = None
    source: Source = "json"
    edge_node: str | None = None  # Sparkplug: the edge node the device hangs off (its NDEATH kills it)
    heartbeat_s: float | None = None  # JSON: the device sends something at least this often while online
    sample_interval_s: float | None = None  # JSON: the device's declared sampling interval (coverage)
    ts: datetime | None = None  # when it came online (the birth's own "ts"; None: when received)


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """A JSON device's retained status (`plant/{USCC}/{id}/status`): online, or offline from its MQTT will."""

    uscc: str
    device_id: str
    online: bool
    ts: datetime | None = None  # None: when received (a will message carries no time of its own)


@dataclass(frozen=True, slots=True)
class DeviceDeath:
    """A device or edge node went offline (Sparkplug DDEATH/NDEATH, or a JSON last-will)."""

    uscc: str
    device_id: str | None  # None: every device of the edge node
    ts: datetime
    edge_node: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that could not be used: goes to the dead-letter table with its raw bytes."""

    topic: str
    payload: bytes
    reason: str


Parsed = Reading | DeviceBirth | DeviceDeath | DeviceStatus | Rejected
