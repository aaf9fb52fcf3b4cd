"""The collector's Prometheus metrics: read from the writer's running totals when scraped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector as _PromCollector

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from collectors.service import Collector

BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
COUNTERS = (
    ("batches", "batches", "Batches committed."),
    ("messages", "messages", "Messages taken from the queue and stored or dead-lettered."),
    ("rows_inserted", "inserted", "Telemetry rows inserted (redeliveries not counted)."),
    (
        "dead_letters",
        "dead_lettered",
        "Dead letters: kept, or only counted beyond a device's or enterprise's cap.",
    ),
    ("dead_letters_dropped", "dead_letters_dropped", "Dead letters only counted, beyond a cap (not stored)."),
    ("isolated", "isolated", "Messages the database refused, isolated from their batch and dead-lettered."),
    ("acks", "acked", "Messages acknowledged to the broker after their commit."),
    ("ack_drops", "ack_dropped", "Acks dropped because their connection was gone (the broker redelivers)."),
    ("db_retries", "db_retries", "Batches retried because the database was away."),
)


class CollectorMetrics(_PromCollector):
    """Counters and gauges of one collector, in a registry of its own (several may run in one process)."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.registry = CollectorRegistry()
        self.registry.register(self)
        self.batch_seconds = Histogram(
            "diagnose_collector_batch_seconds",
            "Time to store, commit and acknowledge one batch.",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.rows_per_second = Gauge(
            "diagnose_collector_rows_per_second",
            "Rows inserted per second over the last stats interval.",
            registry=self.registry,
        )
        collector.writer.on_batch = lambda _n, seconds: self.batch_seconds.observe(seconds)
        self._last = (0.0, 0)

    def tick(self, now: float) -> None:
        """Update rows/s from the inserted total (called every stats interval)."""
        inserted = self.collector.writer.stats.inserted
        then, before = self._last
        if then:
            self.rows_per_second.set((inserted - before) / max(now - then, 1e-9))
        self._last = (now, inserted)

    def collect(self) -> Iterator[Metric]:
        stats = self.collector.writer.stats
        for name, attr, doc in COUNTERS:
            family = CounterMetricFamily(f"diagnose_collector_{name}", doc)
            family.add_metric([], getattr(stats, attr))
            yield family
        if self.collector.sparkplug is not None:
            received, sent = self.collector.sparkplug.counts()
            family = CounterMetricFamily(
                "diagnose_collector_sparkplug_messages_in",
                "Sparkplug messages received, by type and outcome: records (to the writer), dead_lettered "
                "(refused by the host, with a reason), consumed (nothing to store: STATE, commands, bare births).",
                labels=["type", "outcome"],
            )
            for (kind, outcome), count in sorted(received.items()):
                family.add_metric([kind, outcome], count)
            yield family
            family = CounterMetricFamily(
                "diagnose_collector_sparkplug_messages_out",
                "Sparkplug messages the host published, by type (STATE, NCMD).",
                labels=["type"],
            )
            for kind, count in sorted(sent.items()):
                family.add_metric([kind], count)
            yield family
        yield GaugeMetricFamily(
            "diagnose_collector_queue_depth",
            "Messages waiting for the writer.",
            value=self.collector.writer.queued(),
        )
        yield GaugeMetricFamily(
            "diagnose_collector_connected",
            "1 while every MQTT client is connected.",
            value=int(self.collector.connected),
        )

    def serve(self, host: str, port: int) -> None:
        """Expose /metrics on host:port (a daemon thread)."""
        start_http_server(port, addr=host, registry=self.registry)
