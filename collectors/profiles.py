"""Telemetry read under a payload profile (diagnose.payload_profiles): its records as Readings, and each one
that cannot be a reading as a Rejected with the reason (dead-lettered with the whole message). Pure."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from collectors.models import Parsed, Reading, Rejected
from diagnose import payload_profiles
from diagnose.payload_profiles import Profile, Record
from diagnose.payload_profiles import parse as parse_records

__all__ = ["parse", "parse_topic", "reading"]

# Which source a plant topic names, asked for every JSON message to find its profile: a plant has a few
# thousand topics, so each is split and checked once (the checks were a tenth of the collector's CPU per
# message). Bounded; the answer depends on the topic alone.
parse_topic = lru_cache(maxsize=1 << 16)(payload_profiles.parse_topic)


def reading(record: Record, profile: str) -> Reading:
    """The Reading a profile's record is."""
    return Reading(
        uscc=record.uscc,
        device_id=record.device_id,
        seq=record.seq,
        ts=record.ts,
        source="json",
        state=record.state,
        count_total=record.count_total,
        count_good=record.count_good,
        power_kw=record.power_kw,
        energy_kwh=record.energy_kwh,
        current_a=record.current_a,
        metrics=record.metrics,
        attributes=dict(record.attributes),
        profile=profile,
    )


def parse(
    topic: str,
    payload: bytes,
    profile: Profile,
    *,
    received_at: datetime,
    max_payload_bytes: int = 65_536,
) -> tuple[Parsed, ...]:
    """One telemetry message under `profile`: Readings and Rejecteds, at least one item. Never raises."""
    return tuple(
        reading(item, profile.name) if isinstance(item, Record) else Rejected(topic, payload, item.reason)
        for item in parse_records(
            topic, payload, profile, received_at=received_at, max_payload_bytes=max_payload_bytes
        )
    )
