"""One writer thread: take parsed messages from a bounded queue, store them in batches, commit, then ack."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from collectors.client import Delivery
from collectors.failures import describe, is_transient
from collectors.models import Parsed, Rejected
from collectors.store import (
    DEFAULT_DEAD_LETTER_POLICY,
    DEFAULT_PENDING_PER_HOUR,
    DeadLetterPolicy,
    Incoming,
    StoreReport,
    store_batch,
)
from diagnose.observability import log_context

log = logging.getLogger(__name__)

RETRY_MIN_S = 0.2
RETRY_MAX_S = 5.0
OFFER_POLL_S = 0.5


class Intake:
    """The bounded hand-over from the MQTT thread to the writer, woken once per batch, not once per message.

    A `queue.Queue` wakes the waiting writer at every put: with messages arriving one by one, the writer took
    them one by one, and each wake-up cost a thread switch and a GIL hand-over on the MQTT thread's time
    (a sixth of the collector's samples under load). Here the producer wakes the writer only when a batch is
    full; otherwise the writer wakes at its deadline, as its batches were closed before.
    """

    def __init__(self, maxsize: int, batch_rows: int) -> None:
        self._items: deque[Envelope] = deque()
        self._maxsize = max(1, maxsize)
        self._batch_rows = max(1, min(batch_rows, self._maxsize))
        self._lock = threading.Lock()
        self._batch_ready = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)

    def put(self, envelope: Envelope, timeout_s: float) -> bool:
        """Append; wait up to `timeout_s` while full. False if still full."""
        with self._lock:
            if len(self._items) >= self._maxsize:
                self._not_full.wait_for(lambda: len(self._items) < self._maxsize, timeout_s)
                if len(self._items) >= self._maxsize:
                    return False
            self._items.append(envelope)
            if len(self._items) == self._batch_rows:
                self._batch_ready.notify()
            return True

    def take(self, max_rows: int, max_wait_s: float) -> list[Envelope]:
        """Up to `max_rows`, as soon as that many are waiting or after `max_wait_s`, whichever comes first."""
        with self._lock:
            if len(self._items) < max_rows:
                self._batch_ready.wait(max_wait_s)
            count = min(max_rows, len(self._items))
            batch = [self._items.popleft() for _ in range(count)]
            if count:
                self._not_full.notify_all()
            return batch

    def __len__(self) -> int:
        return len(self._items)


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
    # Of the dead letters, those only counted: beyond a device's rate or an enterprise's volume.
    dead_letters_dropped: int = 0
    isolated: int = 0  # messages the database refused, isolated from their batch and dead-lettered
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
        dead_letters: DeadLetterPolicy = DEFAULT_DEAD_LETTER_POLICY,
    ) -> None:
        self._engine = engine
        self._pending_per_hour = pending_per_hour
        self._dead_letters = dead_letters
        self._ack = ack
        self._max_rows = max_rows
        self._max_wait_s = max_wait_ms / 1000
        self._queue = Intake(queue_max, max_rows)
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
        while not self._queue.put(envelope, OFFER_POLL_S):
            if stop is not None and stop.is_set():
                return False
        return True

    def queued(self) -> int:
        """Messages waiting to be written."""
        return len(self._queue)

    def run(self, stop: threading.Event) -> None:
        """Write until `stop` is set and the queue is drained."""
        while not (stop.is_set() and not len(self._queue)):
            batch = self._take_batch()
            if not batch:
                self.idle.set()
                continue
            self.idle.clear()
            started = time.monotonic()
            with log_context(batch_id=uuid.uuid4().hex[:12]):  # every log line about this batch carries it
                while True:
                    try:
                        if not self._write(batch, stop):
                            return  # stopping while the database is away: the broker keeps what we did not ack
                        break
                    except Exception:  # a bug of the writer itself (not a message's: _write isolates those)
                        log.exception("writer failed on a batch of %d; retrying", len(batch))
                        if stop.wait(RETRY_MAX_S):
                            return
                log.debug("stored a batch of %d", len(batch))
            if self.on_batch is not None:
                self.on_batch(len(batch), time.monotonic() - started)

    def _take_batch(self) -> list[Envelope]:
        return self._queue.take(self._max_rows, self._max_wait_s)

    def _write(self, batch: list[Envelope], stop: threading.Event) -> bool:
        """Store the batch, committing then acknowledging; False if `stop` came while the database was away.

        One transaction for the whole batch: the happy path costs nothing more. A failure the database is to
        blame for (`failures.is_transient`) keeps the part and retries it with backoff. Any other failure is
        a message's: the part is split in halves until the message at fault stands alone, and that one is
        dead-lettered with the reason (log2 of the batch size extra transactions); every other part is
        stored and acknowledged as soon as it commits, so a poison message never holds the others back.
        """
        parts = [batch]  # a stack: the next part to store is the last one
        delay = RETRY_MIN_S
        while parts:
            part = parts.pop()
            try:
                report = self._store(part)
            except Exception as exc:
                if is_transient(exc):
                    parts.append(part)
                    if not self._wait_for_database(describe(exc), delay, stop):
                        return False
                    delay = min(delay * 2, RETRY_MAX_S)
                    continue
                self._device_ids.clear()  # a refused transaction may have seen rows that are not there
                if len(part) > 1:
                    if part is batch:
                        log.warning(
                            "batch of %d refused (%s); isolating the message at fault",
                            len(part),
                            describe(exc),
                        )
                    half = len(part) // 2
                    parts += [part[half:], part[:half]]
                    continue
                try:
                    report = self._dead_letter(part[0], exc)
                except Exception as failure:  # a dead letter is our own clean row: the database is at fault
                    parts.append(part)
                    if not self._wait_for_database(
                        f"dead letter not stored: {describe(failure)}", delay, stop
                    ):
                        return False
                    delay = min(delay * 2, RETRY_MAX_S)
                    continue
            delay = RETRY_MIN_S
            self._committed(part, report)
        self.stats.batches += 1
        return True

    def _wait_for_database(self, reason: str, delay: float, stop: threading.Event) -> bool:
        """Log, then wait `delay`; False if `stop` was set meanwhile."""
        self.stats.db_retries += 1
        self._device_ids.clear()
        log.warning("database unavailable (%s); retrying in %.1fs", reason, delay)
        return not stop.wait(delay)

    def _dead_letter(self, envelope: Envelope, exc: Exception) -> StoreReport:
        """Store one delivery the database refused as a single dead letter with the reason."""
        delivery = envelope.delivery
        reason = describe(exc)
        log.warning("dead-lettered a message the database refused: %s %s", delivery.topic[:200], reason)
        report = self._store([Envelope(delivery, (Rejected(delivery.topic, delivery.payload, reason),))])
        self.stats.isolated += 1
        return report

    def _committed(self, part: Sequence[Envelope], report: StoreReport) -> None:
        """Count a committed part and acknowledge its messages."""
        self.stats.messages += len(part)
        self.stats.inserted += report.inserted
        self.stats.dead_lettered += report.dead_lettered
        self.stats.dead_letters_dropped += report.dead_letters_dropped
        if report.pending_registered:
            log.warning("unknown devices registered as pending: %s", report.pending_registered)
        for envelope in part:
            if self._ack(envelope.delivery):
                self.stats.acked += 1
            else:
                self.stats.ack_dropped += 1
        if self.on_stored is not None:
            self.on_stored(report)

    def _store(self, batch: Sequence[Envelope]) -> StoreReport:
        incoming = [Incoming(e.delivery.topic, e.delivery.payload, item) for e in batch for item in e.items]
        with Session(self._engine) as session:
            report = store_batch(
                session=session,
                items=incoming,
                device_ids=self._device_ids,
                pending_per_hour=self._pending_per_hour,
                dead_letters=self._dead_letters,
            )
            session.commit()
        return report
