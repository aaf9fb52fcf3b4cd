"""A simulated history stored through the collector's own parser and store: the demo's past week.

The demo scores its sample diagnoses when it loads them, and a diagnosis measures the seven days
before scoring; with only the live simulator those days would be empty. This writes what the
simulated plant would have published over that window, message by message, through the same
`parse_message` → `store_batch` path as the live collector (no MQTT: the past cannot be published).
Sequence numbers are the sample's epoch milliseconds, below the live simulator's (which starts at
the wall clock), so the live stream continues the history without a clash.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from collectors.payloads import parse_message, telemetry_topic
from collectors.simulator import DeviceModel, SimDevice, sim_devices
from collectors.store import Incoming, store_batch

BATCH = 2_000


def backfill(
    *,
    session: Session,
    devices: Sequence[SimDevice],
    start: datetime,
    end: datetime,
    step_s: float = 120.0,
    seed: int = 7,
) -> int:
    """Store one message per JSON device every `step_s` seconds in [start, end); returns rows stored.

    Sparkplug devices are skipped: their history is the edge node's to replay (is_historical).
    """
    if end <= start or step_s <= 0:
        raise ValueError("backfill needs start < end and a positive step")
    models = [
        DeviceModel(device, random.Random(seed * 1_000 + index), seq=int(start.timestamp() * 1000))
        for index, device in enumerate(devices)
        if device.protocol == "json"
    ]
    cache: dict[tuple[str, str], int] = {}
    stored = 0
    items: list[Incoming] = []
    step = timedelta(seconds=step_s)
    moment = start
    while moment < end:
        for model in models:
            model.seq = max(model.seq, int(moment.timestamp() * 1000) - 1)
            payload = json.dumps(model.step(moment, step_s)).encode()
            topic = telemetry_topic(model.device.uscc, model.device.device_id)
            items.append(Incoming(topic, payload, parse_message(topic, payload)))
        if len(items) >= BATCH:
            stored += store_batch(session=session, items=items, device_ids=cache).inserted
            items = []
        moment += step
    if items:
        stored += store_batch(session=session, items=items, device_ids=cache).inserted
    return stored


def enterprise_history(
    *,
    session: Session,
    enterprise_id: int,
    end: datetime,
    days: float = 7,
    step_s: float = 180.0,
    start: datetime | None = None,
) -> int:
    """Backfill [start, end) (default: `days` up to `end`) for an enterprise's active, networked JSON devices.

    A short window (the demo's plant scored on 0.2 h) gets a message a minute, so its few minutes hold data.
    """
    devices = sim_devices(session, enterprise_id=enterprise_id, protocols=("json",))
    if not devices:
        return 0
    begin = start if start is not None else end - timedelta(days=days)
    return backfill(
        session=session,
        devices=devices,
        start=begin,
        end=end,
        step_s=min(step_s, 60.0) if end - begin < timedelta(hours=1) else step_s,
        seed=enterprise_id,
    )
