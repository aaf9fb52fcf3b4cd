"""One writer thread: take parsed messages from a bounded queue, store them in batches, commit, then ack."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from collectors.client import Delivery
from collectors.models import Parsed, Rejected
from collectors.store import DEFAULT_PENDING_PER_HOUR, Incoming, StoreReport, store_batch
from diagnose.observability import log_context

log = logging.getLogger(__name__)

RETRY_MIN_S = 0.2
RETRY_MAX_S = 5.0
OFFER_POLL_S = 0.5


@dataclass(frozen=True, slots=True)
class Envelope:
    """A delivery and what the parser made of it (a Sparkplug message can carry several items)."""

    delivery: Delivery
    items: tuple[Parsed, ...]


@dataclass(slots=True)
class WriterStats:
    """Running totals, for logs, `status` and the benchmark."""

    batches: int = 0
    messages: int = 0
    inserted: int = 0
    dead_lettered: int = 0
    acked: int = 0
    ack_dropped: int = 0
    db_retries: int = 0


class BatchWriter:
    """Serialises every collector write through one thread (SQLite allows one writer; PostgreSQL likes batches)."""

    def __init__(
        self,
        *,
        engine: Engine,
        ack: Callable[[Delivery], bool],
        max_rows: int = 500,
        max_wait_ms: int = 200,
        queue_max: int = 20_000,
        pending_per_hour: int = DEFAULT_PENDING_PER_HOUR,
    ) -> None:
        self._engine = engine
        self._pending_per_hour = pending_per_hour
        self._ack = ack
        self._max_rows = max_rows
        self._max_wait_s = max_wait_ms / 1000
        self._queue: queue.Queue[Envelope] = queue.Queue(maxsize=queue_max)
        self._device_ids: dict[tuple[str, str], int] = {}
        self.stats = WriterStats()
        self.idle = threading.Event()
        self.on_stored: Callable[[StoreReport], None] | None = None  # hook for tests and the benchmark
        self.on_batch: Callable[[int, float], None] | None = None  # (messages, seconds to store+ack): metrics

    def offer(self, envelope: Envelope, stop: threading.Event | None = None) -> bool:
        """Enqueue; blocks while the queue is full, which stalls the MQTT intake (backpressure).

        Returns False if `stop` was set while waiting: the message stays unacknowledged and the
        broker redelivers it to the next session.
        """
        while True:
            try:
                self._queue.put(envelope, timeout=OFFER_POLL_S)
                return True
            except queue.Full:
                if stop is not None and stop.is_set():
                    return False

    def queued(self) -> int:
        """Messages waiting to be written."""
        return self._queue.qsize()

    def run(self, stop: threading.Event) -> None:
        """Write until `stop` is set and the queue is drained."""
        while not (stop.is_set() and self._queue.empty()):
            batch = self._take_batch()
            if not batch:
                self.idle.set()
                continue
            self.idle.clear()
            started = time.monotonic()
            with log_context(batch_id=uuid.uuid4().hex[:12]):  # every log line about this batch carries it
                while True:
                    try:
                        if not self._write_with_retry(batch, stop):
                            return  # stopping while the database is away: the broker keeps what we did not ack
                        break
                    except Exception:  # never let the one writer die: log, wait, try the batch again
                        log.exception("writer failed on a batch of %d; retrying", len(batch))
                        if stop.wait(RETRY_MAX_S):
                            return
                log.debug("stored a batch of %d", len(batch))
            if self.on_batch is not None:
                self.on_batch(len(batch), time.monotonic() - started)

    def _take_batch(self) -> list[Envelope]:
        batch: list[Envelope] = []
        deadline = time.monotonic() + self._max_wait_s
        while len(batch) < self._max_rows:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=timeout))
            except queue.Empty:
                break
        return batch

    def _write_with_retry(self, batch: list[Envelope], stop: threading.Event) -> bool:
        delay = RETRY_MIN_S
        while True:
            try:
                report = self._store(batch)
                break
            except OperationalError as exc:
                # The database is away: keep the batch (unacked, so nothing is lost) and try again.
                self.stats.db_retries += 1
                self._device_ids.clear()
                log.warning("database unavailable (%s); retrying in %.1fs", exc.orig, delay)
                if stop.wait(delay):
                    return False
                delay = min(delay * 2, RETRY_MAX_S)
            except DBAPIError:
                log.exception("batch refused by the database; storing message by message")
                report = self._store_one_by_one(batch)
                break
        self.stats.batches += 1
        self.stats.messages += len(batch)
        self.stats.inserted += report.inserted
        self.stats.dead_lettered += report.dead_lettered
        if report.pending_registered:
            log.warning("unknown devices registered as pending: %s", report.pending_registered)
        for envelope in batch:
            if self._ack(envelope.delivery):
                self.stats.acked += 1
            else:
                self.stats.ack_dropped += 1
        if self.on_stored is not None:
            self.on_stored(report)
        return True

    def _store(self, batch: Sequence[Envelope]) -> StoreReport:
        incoming = [Incoming(e.delivery.topic, e.delivery.payload, item) for e in batch for item in e.items]
        with Session(self._engine) as session:
            report = store_batch(
                session=session,
                items=incoming,
                device_ids=self._device_ids,
                pending_per_hour=self._pending_per_hour,
            )
            session.commit()
        return report

    def _store_one_by_one(self, batch: Sequence[Envelope]) -> StoreReport:
        total = StoreReport()
        for envelope in batch:
            try:
                report = self._store([envelope])
            except OperationalError:
                raise
            except DBAPIError as exc:
                reason = f"database refused the message: {exc.orig}"[:500]
                rejected = Envelope(
                    envelope.delivery, (Rejected(envelope.delivery.topic, envelope.delivery.payload, reason),)
                )
                report = self._store([rejected])
            total.inserted += report.inserted
            total.dead_lettered += report.dead_lettered
        return total
