"""`diagnose collect`: wire the MQTT clients, the parsers and the batching writer together."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.engine import Engine

from collectors.client import CollectorClient, Delivery, Subscription
from collectors.handover import AssignmentFollower
from collectors.metrics import CollectorMetrics
from collectors.models import Parsed, Rejected
from collectors.payloads import parse_message
from collectors.profiles import parse as parse_profiled
from collectors.profiles import parse_topic as profiled_topic
from collectors.sparkplug_bridge import SparkplugBridge, parse_groups
from collectors.store import DeadLetterPolicy
from collectors.writer import BatchWriter, Envelope
from diagnose import topics
from diagnose.models.base import utcnow
from diagnose.services.shopfloor.payload_profiles import ProfileBook
from diagnose.settings import Settings

log = logging.getLogger(__name__)
STATS_EVERY_S = 10.0


def json_subscriptions(topics: list[str]) -> list[Subscription]:
    """The plant filters (telemetry, births, status) of the enterprises this collector holds, at QoS 1."""
    return [Subscription(topic, 1) for topic in topics]


class Collector:
    """One collector process: subscribers → parser → bounded queue → one writer thread → commit → ack."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.writer = BatchWriter(
            engine=engine,
            ack=self._ack,
            max_rows=settings.batch_max_rows,
            max_wait_ms=settings.batch_max_wait_ms,
            queue_max=settings.queue_max,
            pending_per_hour=settings.pending_devices_per_hour,
            dead_letters=DeadLetterPolicy(
                max_bytes=settings.dead_letter_max_bytes,
                per_device_hour=settings.dead_letters_per_device_hour,
                enterprise_bytes_day=settings.dead_letter_bytes_per_enterprise_day,
            ),
        )
        self.stop_event = threading.Event()
        self.profiles = ProfileBook(engine)
        self.assignment = AssignmentFollower(settings, engine)
        self.client = CollectorClient(
            url=settings.mqtt_url,
            client_id=settings.mqtt_client_id,
            protocol=settings.mqtt_protocol,
            subscriptions=json_subscriptions(self.assignment.initial_topics()),
            on_delivery=self._on_json,
            session_expiry_s=settings.mqtt_session_expiry_s,
            # In flight towards us, unacked until committed: also the bound on what this process holds.
            receive_maximum=min(settings.queue_max, max(10 * settings.batch_max_rows, 100)),
        )
        self.sparkplug: SparkplugBridge | None = None
        if parse_groups(settings.sparkplug_groups):
            self.sparkplug = SparkplugBridge(settings, offer=self._offer)
        self.metrics = CollectorMetrics(self)
        self._writer_thread = threading.Thread(
            target=self.writer.run, args=(self.stop_event,), name="writer", daemon=True
        )
        self._profiles_thread = threading.Thread(
            target=self.profiles.run, args=(self.stop_event,), name="profiles", daemon=True
        )
        self._assignment_thread = threading.Thread(
            target=self.assignment.run, args=(self.client, self.stop_event), name="assignment", daemon=True
        )

    def _ack(self, delivery: Delivery) -> bool:
        if delivery.channel == "sparkplug" and self.sparkplug is not None:
            return self.sparkplug.client.ack(delivery)
        return self.client.ack(delivery)

    def _on_json(self, delivery: Delivery) -> None:
        self._offer(delivery, self.parse(delivery.topic, delivery.payload))

    def parse(self, topic: str, payload: bytes) -> tuple[Parsed, ...]:
        """What one message on a plant topic holds: under its source's payload profile if one is chosen
        (telemetry only), else the strict flat-JSON parser."""
        if topics.family(topic) != "plant":  # Sparkplug arrives on the bridge's own client
            return (Rejected(topic, payload, "no parser for this topic"),)
        where = profiled_topic(topic)
        profile = self.profiles.lookup(*where) if where is not None else None
        if profile is not None:
            return parse_profiled(
                topic,
                payload,
                profile,
                received_at=utcnow(),
                max_payload_bytes=self.settings.max_payload_bytes,
            )
        return (parse_message(topic, payload, max_payload_bytes=self.settings.max_payload_bytes),)

    def _offer(self, delivery: Delivery, items: tuple[Parsed, ...]) -> None:
        if self.stop_event.is_set():
            return  # shutting down: left unacknowledged, the broker redelivers it to our next session
        if not items:
            self._ack(delivery)  # STATE of hosts, commands: nothing to store, nothing to wait for
            return
        self.writer.offer(Envelope(delivery, items), self.stop_event)

    @property
    def connected(self) -> bool:
        """Every client of this collector is connected."""
        ready = self.client.connected.is_set()
        return ready and (self.sparkplug is None or self.sparkplug.client.connected.is_set())

    def start(self) -> Collector:
        """Start the writer, then the MQTT clients and the assignment follower."""
        self._writer_thread.start()
        self.profiles.refresh()  # before the first message: how each source is read
        self._profiles_thread.start()
        self.client.start()
        if self.sparkplug is not None:
            self.sparkplug.start()
        self._assignment_thread.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop intake, let the writer drain what it has, then disconnect (keeping the JSON session)."""
        self.stop_event.set()
        self._writer_thread.join(timeout_s)
        self._assignment_thread.join(timeout_s)
        if self.sparkplug is not None:
            self.sparkplug.stop()
        self.client.stop()


def run_collector(settings: Settings, engine: Engine, stop: threading.Event) -> None:
    """Run a collector until `stop` is set."""
    collector = Collector(settings, engine)
    if settings.collector_metrics_port:
        collector.metrics.serve(settings.metrics_host, settings.collector_metrics_port)
    collector.start()
    log.info(
        "collector %s started on %s",
        settings.mqtt_client_id,
        settings.mqtt_public_url,
        extra={
            "client_id": settings.mqtt_client_id,
            "topics": [s.topic for s in collector.client.subscriptions],
        },
    )
    try:
        while not stop.wait(STATS_EVERY_S):
            collector.metrics.tick(time.monotonic())
            stats = collector.writer.stats
            log.info(
                "stored %d messages (%d dead letters, %d db retries), queue %d",
                stats.inserted,
                stats.dead_lettered,
                stats.db_retries,
                collector.writer.queued(),
            )
    finally:
        collector.stop()
