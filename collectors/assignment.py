"""Which enterprises' messages this collector takes: plain persistent subscriptions to the telemetry, births and
status of each assigned USCC, and to nothing else (another enterprise's device cannot reach it).

Mosquitto 2.0.11 does not restore `$share` subscriptions from its persistence file, so a shared group
drops what arrives in the second after a broker restart. Plain subscriptions are restored with the
session, so several collectors, each holding its own enterprises, stay lossless across a restart.

The assignment is kept in the database (`diagnose collectors assign|unassign|move`), and every running
collector follows it (collectors/handover.py): on a change it subscribes to what it gained and waits for
the SUBACK, then records that it holds it; it unsubscribes from what it lost only once another
collector has recorded that it holds that enterprise. In between both receive the enterprise's
messages, and storage is idempotent on (device, seq, ts), so each is stored once. No restart.

`DIAGNOSE_COLLECTOR_ENTERPRISES` overrides the table for one collector (a static list, as before the
table existed); while nothing is assigned to any collector, each takes every enterprise (or its share
group's). What the collector's session held last time is noted in `var_dir/subscriptions-<client id>.json`,
so after a restart it still lets go of what it lost only by the same rule. A note written before births and
status followed the assignment lists telemetry filters only; the session then also holds every enterprise's
births and status, which are let go of by the same rule.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from diagnose import topics
from diagnose.settings import Settings

log = logging.getLogger(__name__)
_KIND = "|".join(topics.JSON_KINDS)  # the topics of a JSON device (diagnose/topics.py)
_ONE = re.compile(rf"^{topics.PLANT}/([^/+#]+)/\+/(?:{_KIND})$")
_PLANT = re.compile(rf"^(?:\$share/[^/]+/)?{topics.PLANT}/[^/]+/\+/(?:{_KIND})$")
# What a collector of a share group holds unshared: every enterprise's births and statuses (retained).
_EVERY_BIRTH_AND_STATUS = [topics.plant_filter(kind="birth"), topics.plant_filter(kind="status")]


def assigned_enterprises(settings: Settings) -> list[str]:
    """The USCCs of DIAGNOSE_COLLECTOR_ENTERPRISES, in order, without blanks or repeats."""
    seen: list[str] = []
    for part in settings.collector_enterprises.split(","):
        uscc = part.strip()
        if uscc and uscc not in seen:
            seen.append(uscc)
    return seen


def telemetry_topics(settings: Settings, assigned: Collection[str] | None = None) -> list[str]:
    """One plain filter per enterprise of the static list, else of the table's assignment (`assigned`, None
    while the table assigns nothing); with neither, the share group's filter or every enterprise's."""
    enterprises = assigned_enterprises(settings)
    if enterprises:
        return [topics.plant_filter(uscc, kind="telemetry") for uscc in enterprises]
    if assigned is not None:
        return [topics.plant_filter(uscc, kind="telemetry") for uscc in sorted(assigned)]
    everything = topics.plant_filter(kind="telemetry")
    if settings.mqtt_share_group:
        return [topics.shared(settings.mqtt_share_group, everything)]
    return [everything]


def enterprise_filters(uscc: str) -> list[str]:
    """An enterprise's filters (`+`: every enterprise's): telemetry, births, status."""
    return topics.plant_filters(uscc)


def plant_topics(settings: Settings, assigned: Collection[str] | None = None) -> list[str]:
    """Every JSON filter this collector should hold: `telemetry_topics`' enterprises, each with its births and
    status. With a share group, births and status go to every collector of the group unshared: MQTT 5 sends
    no retained message to a shared subscription (§4.8.2), and births are retained."""
    telemetry = telemetry_topics(settings, assigned)
    if telemetry and telemetry[0].startswith("$share/"):
        return [*telemetry, *_EVERY_BIRTH_AND_STATUS]
    scopes = [enterprise_of(topic) or "+" for topic in telemetry]
    return [topic for uscc in scopes for topic in enterprise_filters(uscc)]


def is_plant_filter(topic: str) -> bool:
    """A JSON plant filter (one enterprise's, every enterprise's, or a share group's), not Sparkplug's."""
    return bool(_PLANT.match(topic))


def enterprise_of(topic: str) -> str | None:
    """The USCC a plant filter is for; None for a filter covering every enterprise."""
    match = _ONE.match(topic)
    return match[1] if match else None


@dataclass(frozen=True, slots=True)
class Release:
    """What a collector may let go of now, and what it must keep until another collector holds it."""

    topics: tuple[str, ...]
    waiting: tuple[str, ...]


def plan_release(
    *,
    wanted: Collection[str],
    held: Collection[str],
    collector_id: str,
    holders: Mapping[str, Collection[str]],
    enterprises: Collection[str],
) -> Release:
    """Pure: which held filters that are no longer wanted may be unsubscribed.

    One enterprise's filter: once another collector holds that enterprise. A filter covering every
    enterprise: once each registered enterprise is held by a filter of its own, this collector's included
    (its own filters are recorded in `holders` too).
    """
    release: list[str] = []
    waiting: list[str] = []
    for topic in sorted(set(held) - set(wanted)):
        uscc = enterprise_of(topic)
        if uscc is not None:
            ready = bool(set(holders.get(uscc, ())) - {collector_id})
        else:
            ready = all(holders.get(each) for each in enterprises)
        (release if ready else waiting).append(topic)
    return Release(tuple(release), tuple(waiting))


class SubscriptionLedger:
    """Remembers what this collector's persistent session was subscribed to, across restarts."""

    def __init__(self, settings: Settings) -> None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in settings.mqtt_client_id)
        self.path: Path = settings.var_dir / f"subscriptions-{safe}.json"

    def previous(self) -> list[str]:
        """The plant filters held when last recorded (with every enterprise's births and status, which a
        note of the older, telemetry-only kind implies)."""
        try:
            topics = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return []
        held = [topic for topic in topics if isinstance(topic, str)]
        if held and all(topic.endswith("/telemetry") for topic in held):
            held += _EVERY_BIRTH_AND_STATUS
        return held

    def record(self, topics: Sequence[str]) -> None:
        """Note the filters as held (after the broker has them)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(list(topics)))
