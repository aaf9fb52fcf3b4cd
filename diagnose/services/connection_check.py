"""The live connection check on site: what one device's messages became, newest first, within seconds.

The provider and the plant's engineer connect a device (or a gateway speaking for it) and want to see at once
whether its messages arrive and what was made of them: the readings stored, and the messages refused with
the reason (a wrong field, an unconfirmed device, a bound reached). Reads only; the page polls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from diagnose.models import DeadLetter, DeadLetterCount, Device, Telemetry
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
        col(DeadLetter.topic).startswith(f"plant/{uscc}/{external_id}/", autoescape=True),
        and_(
            col(DeadLetter.topic).startswith(f"spBv1.0/{uscc}/", autoescape=True),
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
