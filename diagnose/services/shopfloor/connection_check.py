"""The live connection check on site: what one device's messages became, newest first, within seconds.

The provider and the plant's engineer connect a device (or a gateway speaking for it) and want to see at once
whether its messages arrive and what was made of them: the readings stored, and the messages refused with
the reason (a wrong field, an unconfirmed device, a bound reached). Reads only; the page polls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_, true
from sqlmodel import Session, col, select

from diagnose import topics
from diagnose.models import DeadLetter, DeadLetterCount, Device, GatewayAccount, Telemetry
from diagnose.models.base import utcnow

ROWS = 20  # newest messages shown of each kind: enough to see a pattern, small enough for a phone


@dataclass(frozen=True, slots=True)
class Received:
    """One reading stored from the device."""

    ts: datetime
    received_at: datetime
    seq: int
    source: str
    state: str | None
    count_total: int | None
    count_good: int | None
    power_kw: float | None
    energy_kwh: float | None
    metrics: dict[str, Any]
    is_historical: bool
    device: str = ""  # the device's id (shown on a gateway's check, which covers several devices)


@dataclass(frozen=True, slots=True)
class Refused:
    """One message on the device's topics the collector could not use, and why."""

    received_at: datetime
    topic: str
    reason: str
    size: int
    replayed: bool


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """What the device's recent messages became, as of `as_of`."""

    as_of: datetime
    received: list[Received]
    refused: list[Refused]
    refused_since: datetime  # the start of the previous whole hour: refusals are counted per hour
    refused_count: int  # refused since then, kept and only counted (beyond the bounds) alike
    last_seen_at: datetime | None
    online: bool
    registry_status: str


def device_topic_filter(uscc: str, external_id: str) -> Any:
    """The dead letters of this device: its JSON topics, and Sparkplug device messages naming it in the
    enterprise's group."""
    return or_(
        col(DeadLetter.topic).startswith(topics.plant_prefix(uscc, external_id), autoescape=True),
        and_(
            col(DeadLetter.topic).startswith(topics.sparkplug_prefix(uscc), autoescape=True),
            col(DeadLetter.topic).endswith(f"/{external_id}", autoescape=True),
        ),
    )


def check_device(*, session: Session, device: Device, uscc: str, rows: int = ROWS) -> ConnectionCheck:
    """The device's newest readings and refused messages (each at most `rows`), and how many were refused
    since the previous whole hour began, counted beyond what is kept."""
    now = utcnow()
    since = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    readings = session.exec(
        select(Telemetry)
        .where(Telemetry.device_id == device.id)
        .order_by(col(Telemetry.ts).desc(), col(Telemetry.id).desc())
        .limit(rows)
    ).all()
    letters = session.exec(
        select(DeadLetter)
        .where(device_topic_filter(uscc, device.external_id))
        .order_by(col(DeadLetter.id).desc())
        .limit(rows)
    ).all()
    hour = session.exec(
        select(func.coalesce(func.sum(DeadLetterCount.kept + DeadLetterCount.dropped), 0)).where(
            DeadLetterCount.scope == uscc[:64],
            DeadLetterCount.device == device.external_id[:64],
            col(DeadLetterCount.window_start) >= since,
        )
    ).one()
    return ConnectionCheck(
        as_of=now,
        received=[
            Received(
                ts=r.ts,
                received_at=r.received_at,
                seq=r.seq,
                source=r.source,
                state=r.state,
                count_total=r.count_total,
                count_good=r.count_good,
                power_kw=r.power_kw,
                energy_kwh=r.energy_kwh,
                metrics=dict(r.metrics or {}),
                is_historical=r.is_historical,
            )
            for r in readings
        ],
        refused=[
            Refused(
                received_at=d.received_at,
                topic=d.topic,
                reason=d.reason,
                size=d.payload_size or len(d.payload),
                replayed=d.replayed_at is not None,
            )
            for d in letters
        ],
        refused_since=since,
        refused_count=int(hour or 0),
        last_seen_at=device.last_seen_at,
        online=device.online,
        registry_status=device.registry_status,
    )


# --- a gateway's check --------------------------------------------------------------------------------------
# Readings do not record which login or topic they came by (no column for it; `telemetry.source` is the
# decoder). A gateway's readings are therefore found through the devices it speaks for, where those are known:
# a Sparkplug edge's devices are those whose DBIRTH named its edge node (`device.edge_node`); a source read by a
# profile that takes the device id from the topic is that one device. A JSON gateway account, or a profile that
# finds device ids inside the payload (Neuron, ThingsBoard gateway), may name any device of the enterprise:
# its check shows the enterprise's newest readings, each with its device id, and says so.


@dataclass(frozen=True, slots=True)
class GatewayCheck:
    """What a gateway's (or a profiled source's) recent messages became, as of `as_of`."""

    as_of: datetime
    received: list[Received]
    refused: list[Refused]
    refused_since: datetime
    refused_count: int
    topics: list[str]  # the MQTT topic filters the refused messages are taken from
    devices: list[str] | None  # the device ids its readings are those of; None: any of the enterprise's
    device_count: int  # the enterprise's devices its readings are taken from


def _received(row: Telemetry, external_id: str) -> Received:
    return Received(
        ts=row.ts,
        received_at=row.received_at,
        seq=row.seq,
        source=row.source,
        state=row.state,
        count_total=row.count_total,
        count_good=row.count_good,
        power_kw=row.power_kw,
        energy_kwh=row.energy_kwh,
        metrics=dict(row.metrics or {}),
        is_historical=row.is_historical,
        device=external_id,
    )


def _refused(row: DeadLetter) -> Refused:
    return Refused(
        received_at=row.received_at,
        topic=row.topic,
        reason=row.reason,
        size=row.payload_size or len(row.payload),
        replayed=row.replayed_at is not None,
    )


def _sparkplug_edge(topic: str, uscc: str, edge: str) -> bool:
    """Whether a Sparkplug topic is of this group and edge node (`spBv1.0/{group}/{type}/{edge}[/device]`)."""
    parts = topic.split("/")  # loosely: a refused message's topic may be malformed in any other level
    return len(parts) >= 4 and parts[1] == uscc and parts[3] == edge


def check_gateway(
    *,
    session: Session,
    enterprise_id: int,
    uscc: str,
    gateway: GatewayAccount | None = None,
    source: str | None = None,
    device_from_topic: bool = False,
    rows: int = ROWS,
) -> GatewayCheck:
    """The newest readings and refused messages of a gateway account, or of a source read by a payload profile
    (`source`; `device_from_topic` when its profile takes the device id from the topic)."""
    now = utcnow()
    since = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    devices: list[str] | None
    count_scope: Any
    if gateway is not None and gateway.kind == "sparkplug" and gateway.edge_node:
        edge = gateway.edge_node
        node = topics.sparkplug_filter(uscc, topics.ANY, edge)
        filters = [node, f"{node}/{topics.ANY}"]
        candidates = session.exec(
            select(DeadLetter)
            .where(
                col(DeadLetter.topic).startswith(topics.sparkplug_prefix(uscc), autoescape=True),
                col(DeadLetter.topic).contains(f"/{edge}", autoescape=True),
            )
            .order_by(col(DeadLetter.id).desc())
            .limit(rows * 10)
        ).all()
        letters = [d for d in candidates if _sparkplug_edge(d.topic, uscc, edge)][:rows]
        devices = list(
            session.exec(
                select(Device.external_id).where(
                    Device.enterprise_id == enterprise_id, Device.edge_node == edge
                )
            ).all()
        )
        count_scope = (
            col(DeadLetterCount.device).in_([edge, *devices]) if devices else DeadLetterCount.device == edge
        )
    else:
        if source is not None:
            prefix = topics.plant_prefix(uscc, source)
            filters = [topics.plant_filter(uscc, source)]
            devices = [source] if device_from_topic else None
            count_scope = DeadLetterCount.device == source[:64]
        else:  # a JSON gateway account may publish for any device of the enterprise
            prefix = topics.plant_prefix(uscc)
            filters = [topics.plant_filter(uscc)]
            devices = None
            count_scope = true()
        letters = list(
            session.exec(
                select(DeadLetter)
                .where(col(DeadLetter.topic).startswith(prefix, autoescape=True))
                .order_by(col(DeadLetter.id).desc())
                .limit(rows)
            ).all()
        )
    query = select(Telemetry, Device.external_id).join(Device, col(Device.id) == Telemetry.device_id)
    query = query.where(Device.enterprise_id == enterprise_id)
    query = query.where(col(Device.external_id).in_(devices) if devices is not None else true())
    if devices == []:
        query = query.where(false())
    readings = session.exec(
        query.order_by(col(Telemetry.received_at).desc(), col(Telemetry.id).desc()).limit(rows)
    ).all()
    hour = session.exec(
        select(func.coalesce(func.sum(DeadLetterCount.kept + DeadLetterCount.dropped), 0)).where(
            DeadLetterCount.scope == uscc[:64], count_scope, col(DeadLetterCount.window_start) >= since
        )
    ).one()
    device_count = (
        len(devices)
        if devices is not None
        else int(
            session.exec(
                select(func.count(col(Device.id))).where(Device.enterprise_id == enterprise_id)
            ).one()
        )
    )
    return GatewayCheck(
        as_of=now,
        received=[_received(row, external_id) for row, external_id in readings],
        refused=[_refused(d) for d in letters],
        refused_since=since,
        refused_count=int(hour or 0),
        topics=filters,
        devices=devices,
        device_count=device_count,
    )
