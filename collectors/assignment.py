"""Which enterprises' telemetry this collector takes: plain persistent subscriptions, one per assigned USCC.

Mosquitto 2.0.11 does not restore `$share` subscriptions from its persistence file, so a shared group
drops what arrives in the second after a broker restart. Plain subscriptions are restored with the
session, so several collectors, each holding its own enterprises (`DIAGNOSE_COLLECTOR_ENTERPRISES`),
stay lossless across a restart.

A handover subscribes the new owner before the old one lets go: add the USCC to the new owner's list
and restart it (from then on both receive the enterprise's messages; storage is idempotent on
(device, seq, ts), so each is stored once), then remove it from the old owner's list and restart that
one. On connecting, a collector unsubscribes the topics it held last time (recorded in
`var_dir/subscriptions-<client id>.json`) that are no longer assigned to it, so the broker stops
queueing them for its session.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from diagnose.settings import Settings

log = logging.getLogger(__name__)
TELEMETRY = "plant/{uscc}/+/telemetry"


def assigned_enterprises(settings: Settings) -> list[str]:
    """The USCCs of DIAGNOSE_COLLECTOR_ENTERPRISES, in order, without blanks or repeats."""
    seen: list[str] = []
    for part in settings.collector_enterprises.split(","):
        uscc = part.strip()
        if uscc and uscc not in seen:
            seen.append(uscc)
    return seen


def telemetry_topics(settings: Settings) -> list[str]:
    """One plain filter per assigned enterprise; else the share group's filter; else every enterprise."""
    enterprises = assigned_enterprises(settings)
    if enterprises:
        return [TELEMETRY.format(uscc=uscc) for uscc in enterprises]
    everything = TELEMETRY.format(uscc="+")
    if settings.mqtt_share_group:
        return [f"$share/{settings.mqtt_share_group}/{everything}"]
    return [everything]


class SubscriptionLedger:
    """Remembers what this collector's persistent session was subscribed to, to let go of what it lost."""

    def __init__(self, settings: Settings) -> None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in settings.mqtt_client_id)
        self.path: Path = settings.var_dir / f"subscriptions-{safe}.json"
        self.current = telemetry_topics(settings)

    def released(self) -> list[str]:
        """Topics held last time and no longer assigned."""
        try:
            previous = json.loads(self.path.read_text())
        except (OSError, ValueError):
            previous = []
        return [topic for topic in previous if topic not in self.current]

    def record(self) -> None:
        """Note the current topics as held (after the broker has them)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.current))
