"""Sparkplug B on the wire: a clean-session MQTT client around the pure SparkplugHost, STATE birth and will."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

from collectors.client import BrokerAddress, CollectorClient, Delivery, Subscription, with_account
from collectors.models import Parsed, Rejected
from collectors.sparkplug.host import SparkplugHost
from collectors.sparkplug.topics import state_payloads, state_topic
from diagnose import topics
from diagnose.services.shopfloor.broker_accounts import sparkplug_username
from diagnose.settings import Settings

log = logging.getLogger(__name__)


def parse_groups(text: str) -> list[str]:
    """'a, b' → ['a', 'b']; empty text means Sparkplug is switched off on this collector."""
    return [group.strip() for group in text.split(",") if group.strip()]


def parse_enterprise_map(text: str) -> dict[str, str]:
    """'grp=USCC,grp/edge=USCC' → {'grp': 'USCC', 'grp/edge': 'USCC'}; raise ValueError on a bad entry."""
    mapping: dict[str, str] = {}
    for entry in text.split(","):
        if not entry.strip():
            continue
        key, sep, uscc = entry.partition("=")
        if not sep or not key.strip() or not uscc.strip():
            raise ValueError(f"bad DIAGNOSE_SPARKPLUG_ENTERPRISE_MAP entry {entry!r}: use group[/edge]=USCC")
        mapping[key.strip()] = uscc.strip()
    return mapping


def sparkplug_subscriptions(groups: list[str]) -> list[Subscription]:
    """One non-shared subscription per owned group: an edge node's seq and aliases live in one host."""
    return [Subscription(f"{topics.sparkplug_prefix(group)}{topics.REST}", 1) for group in groups]


class SparkplugBridge:
    """Feeds Sparkplug messages through the pure host into the writer and publishes what the host asks.

    Sparkplug 3.0 §7.2 / §8.1 wants the host application on a clean session: its state (births,
    aliases, seq) is rebuilt from rebirths after every reconnect, so queued messages from an old
    session would only be rejected as seq gaps. It therefore gets its own client with
    clean_start=True beside the collector's persistent JSON session.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        offer: Callable[[Delivery, tuple[Parsed, ...]], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.host = SparkplugHost(
            parse_enterprise_map(settings.sparkplug_enterprise_map),
            max_payload_bytes=max(settings.max_payload_bytes, 262_144),
        )
        self.state_topic = state_topic(settings.sparkplug_host_id)
        self._offer = offer
        self._clock = clock
        self._birth_ms = _now_ms()
        self.client = CollectorClient(
            url=_host_login(settings.mqtt_url),
            client_id=f"{settings.mqtt_client_id}-spb",
            protocol=settings.mqtt_protocol,
            subscriptions=sparkplug_subscriptions(parse_groups(settings.sparkplug_groups)),
            on_delivery=self._on_delivery,
            on_connected=self._publish_online,
            on_disconnected=self._arm_will,
            clean_start=True,
            will=(self.state_topic, state_payloads(self._birth_ms)[1]),
            channel="sparkplug",
        )
        self.commands_sent = 0
        # Every message in, by Sparkplug type and what the host made of it, and every message out by type:
        # "records" go to the writer (stored, or dead-lettered there with a reason), "dead_lettered" were
        # refused by the host with a reason, "consumed" carry nothing to store (STATE of hosts, commands,
        # a birth of only bdSeq and controls). Nothing else happens to a message.
        self.received: Counter[tuple[str, str]] = Counter()
        self.sent: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def _publish_online(self, client: CollectorClient) -> None:
        # §7.2: STATE birth, retained, QoS 1, with the same timestamp as the will registered at CONNECT.
        client.publish(self.state_topic, state_payloads(self._birth_ms)[0], qos=1, retain=True)
        self._count_sent("STATE")

    def _arm_will(self, client: CollectorClient) -> None:
        self._birth_ms = _now_ms()
        client.set_will(self.state_topic, state_payloads(self._birth_ms)[1])

    def _on_delivery(self, delivery: Delivery) -> None:
        result = self.host.handle(delivery.topic, delivery.payload, self._clock())
        for command in result.commands:
            self.client.publish(command.topic, command.payload, qos=command.qos, retain=command.retain)
            self.commands_sent += 1
            self._count_sent(message_type(command.topic))
        if not result.parsed:
            outcome = "consumed"
        elif not isinstance(result.parsed[0], Rejected):  # the common case, without a generator per message
            outcome = "records"
        elif all(isinstance(item, Rejected) for item in result.parsed):
            outcome = "dead_lettered"
        else:
            outcome = "records"
        with self._count_lock:
            self.received[(message_type(delivery.topic), outcome)] += 1
        self._offer(delivery, result.parsed)

    def _count_sent(self, kind: str) -> None:
        with self._count_lock:
            self.sent[kind] += 1

    def counts(self) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """(messages in by (type, outcome), messages out by type), a consistent copy."""
        with self._count_lock:
            return dict(self.received), dict(self.sent)

    def start(self) -> None:
        """Connect and subscribe (asynchronously)."""
        self.client.start()

    def stop(self) -> None:
        """Publish STATE offline (a clean DISCONNECT does not send the will), then disconnect."""
        if self.client.connected.is_set():
            offline = state_payloads(self._birth_ms)[1]
            self.client.publish(self.state_topic, offline, qos=1, retain=True)
            self._count_sent("STATE")
        self.client.stop()


MESSAGE_TYPES = ("NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH", "NCMD", "DCMD", "STATE")


@lru_cache(maxsize=1 << 16)  # asked for every message; a plant has a few thousand topics
def message_type(topic: str) -> str:
    """The Sparkplug message type a topic names ("STATE" for host states), or "other"."""
    parts = topic.split("/")
    if len(parts) >= 2 and parts[1] == "STATE":
        return "STATE"
    kind = parts[2] if len(parts) >= 3 else ""
    return kind if kind in MESSAGE_TYPES else "other"


def _host_login(url: str) -> str:
    """The Sparkplug host's own broker account: the collector's user with "-spb", same password."""
    address = BrokerAddress.from_url(url)
    if not address.username:
        return url
    return with_account(url, sparkplug_username(address.username), address.password)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
