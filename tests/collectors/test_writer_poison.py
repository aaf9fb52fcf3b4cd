"""The writer against a real database: a message the store refuses is isolated and dead-lettered with the reason,
everything else in its batch is stored and acknowledged; a database that is away is waited for, never blamed on
a message; and no batch is retried forever."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from sqlmodel import Session, select

from collectors import writer as writer_module
from collectors.client import Delivery
from collectors.failures import describe, is_transient
from collectors.models import DeviceBirth, Parsed
from collectors.payloads import birth_topic, parse_message, telemetry_topic
from collectors.writer import BatchWriter, Envelope
from diagnose.models import DeadLetter, Device, Telemetry
from tests import factories
from tests.collectors.brokerkit import wait_until

T0 = datetime(2026, 11, 24, tzinfo=UTC)


@pytest.fixture
def plant(engine: Engine) -> str:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        factories.device(session, enterprise.id, "D01")
        session.commit()
        return enterprise.uscc


class Harness:
    """A BatchWriter on its own thread, acknowledging into a list."""

    def __init__(self, engine: Engine) -> None:
        self.acked: list[int] = []
        self.writer = BatchWriter(engine=engine, ack=self._ack, max_rows=50, max_wait_ms=30)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.writer.run, args=(self.stop,), daemon=True)
        self._mid = 0

    def _ack(self, delivery: Delivery) -> bool:
        self.acked.append(delivery.mid)
        return True

    def offer(self, topic: str, payload: bytes, *items: Parsed) -> int:
        self._mid += 1
        parsed = items or (parse_message(topic, payload),)
        self.writer.offer(Envelope(Delivery(topic, payload, self._mid, 1, 1), parsed))
        return self._mid

    def drain(self, count: int) -> None:
        wait_until(lambda: len(self.acked) >= count, timeout_s=30, what=f"{count} acks")


@pytest.fixture
def harness(engine: Engine) -> Iterator[Harness]:
    running = Harness(engine)
    yield running
    running.stop.set()
    running.thread.join(10)


def _reading(uscc: str, seq: int) -> tuple[str, bytes]:
    ts = (T0 + timedelta(seconds=seq)).isoformat()
    return telemetry_topic(uscc, "D01"), json.dumps({"ts": ts, "seq": seq, "state": "RUN"}).encode()


def _seqs(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return sorted(int(s) for s in session.exec(select(Telemetry.seq)).all())


def _letters(engine: Engine) -> list[DeadLetter]:
    with Session(engine) as session:
        return list(session.exec(select(DeadLetter).order_by(DeadLetter.id)).all())  # type: ignore[arg-type]


def test_a_message_the_store_refuses_is_isolated_and_the_rest_of_its_batch_stored(
    engine: Engine, plant: str, harness: Harness
) -> None:
    """The issue's case, as if a parser let it through: `{"kind": "\\ud800"}` cannot be encoded for either
    backend. It sits in the middle of a batch of 41; the 40 readings around it are stored and every delivery
    is acknowledged, the poison once, as a dead letter saying why."""
    poison = b'{"kind": "\\ud800"}'
    for seq in range(1, 21):
        harness.offer(*_reading(plant, seq))
    poison_mid = harness.offer(birth_topic(plant, "D01"), poison, DeviceBirth(plant, "D01", kind="\ud800"))
    for seq in range(21, 41):
        harness.offer(*_reading(plant, seq))
    harness.thread.start()
    harness.drain(41)
    assert _seqs(engine) == list(range(1, 41))
    [letter] = _letters(engine)
    assert letter.topic == birth_topic(plant, "D01") and bytes(letter.payload) == poison
    assert letter.reason.startswith("could not be stored: UnicodeEncodeError")
    assert sorted(harness.acked) == list(range(1, 42)) and harness.acked.count(poison_mid) == 1
    assert harness.writer.stats.isolated == 1 and harness.writer.stats.db_retries == 0
    # After it, the writer goes on as before.
    harness.offer(*_reading(plant, 41))
    harness.drain(42)
    assert _seqs(engine)[-1] == 41


def test_a_value_only_postgresql_refuses_is_dead_lettered_there_and_stored_on_sqlite(
    engine: Engine, plant: str, harness: Harness
) -> None:
    """A constraint of one backend (VARCHAR(64) is enforced by PostgreSQL only) is a permanent failure too."""
    long_kind = "K" * 65
    harness.offer(*_reading(plant, 1))
    harness.offer(birth_topic(plant, "D01"), b"{}", DeviceBirth(plant, "D01", model=long_kind))
    harness.offer(*_reading(plant, 2))
    harness.thread.start()
    harness.drain(3)
    assert _seqs(engine) == [1, 2]
    letters = _letters(engine)
    if engine.dialect.name == "postgresql":
        assert [letter.reason.split(":")[1].strip() for letter in letters] == ["StringDataRightTruncation"]
    else:
        assert letters == []
        with Session(engine) as session:
            assert session.exec(select(Device.model)).one() == long_kind


def test_a_database_that_is_away_is_waited_for_without_splitting_or_dead_lettering(
    engine: Engine, plant: str, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "RETRY_MIN_S", 0.01)
    calls: list[int] = []
    store = harness.writer._store

    def flaky(batch):  # type: ignore[no-untyped-def]
        calls.append(len(batch))
        if len(calls) <= 3:
            raise OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))
        return store(batch)

    monkeypatch.setattr(harness.writer, "_store", flaky)
    for seq in range(1, 11):
        harness.offer(*_reading(plant, seq))
    harness.thread.start()
    harness.drain(10)
    assert _seqs(engine) == list(range(1, 11)) and _letters(engine) == []
    assert calls[:4] == [calls[0]] * 4  # the same whole batch each time, never halves
    assert harness.writer.stats.db_retries == 3 and harness.writer.stats.isolated == 0


def test_the_database_going_away_while_a_poison_is_isolated_stores_one_dead_letter(
    engine: Engine, plant: str, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts already committed are not stored again: the poison's dead letter is written once."""
    monkeypatch.setattr(writer_module, "RETRY_MIN_S", 0.01)
    store = harness.writer._store
    failures = iter([False, False, False, True, False])  # the 4th transaction meets a lost connection

    def sometimes_away(batch):  # type: ignore[no-untyped-def]
        if next(failures, False):
            raise OperationalError("INSERT …", {}, psycopg.OperationalError("server closed the connection"))
        return store(batch)

    monkeypatch.setattr(harness.writer, "_store", sometimes_away)
    for seq in range(1, 8):
        harness.offer(*_reading(plant, seq))
    harness.offer(birth_topic(plant, "D01"), b"x", DeviceBirth(plant, "D01", kind="\udfff"))
    harness.thread.start()
    harness.drain(8)
    assert _seqs(engine) == list(range(1, 8))
    assert len(_letters(engine)) == 1 and harness.writer.stats.db_retries == 1


def test_a_dead_letter_that_cannot_be_written_is_retried_not_looped_on(
    engine: Engine, plant: str, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If even the clean dead-letter row fails, the database is at fault: the delivery stays unacknowledged
    and is tried again after a wait; the writer keeps honouring `stop`."""
    monkeypatch.setattr(writer_module, "RETRY_MIN_S", 0.01)
    original = harness.writer._dead_letter
    attempts: list[int] = []

    def failing_once(envelope, exc):  # type: ignore[no-untyped-def]
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("the dead-letter table is being rebuilt")
        return original(envelope, exc)

    monkeypatch.setattr(harness.writer, "_dead_letter", failing_once)
    harness.offer(birth_topic(plant, "D01"), b"x", DeviceBirth(plant, "D01", kind="\ud800"))
    harness.thread.start()
    harness.drain(1)
    assert len(attempts) == 2 and len(_letters(engine)) == 1


def test_stop_ends_the_wait_for_a_database_that_never_comes_back(
    engine: Engine, plant: str, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def away(batch):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT …", {}, sqlite3.OperationalError("unable to open database file"))

    monkeypatch.setattr(harness.writer, "_store", away)
    harness.offer(*_reading(plant, 1))
    harness.thread.start()
    wait_until(lambda: harness.writer.stats.db_retries >= 1)
    harness.stop.set()
    harness.thread.join(10)
    assert not harness.thread.is_alive() and harness.acked == []  # unacknowledged: the broker redelivers


def _wrapped(kind: type[Exception], orig: BaseException) -> Exception:
    return kind("INSERT …", {}, orig)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("make", "transient"),
    [
        (lambda: _wrapped(OperationalError, sqlite3.OperationalError("database is locked")), True),
        (
            lambda: _wrapped(OperationalError, psycopg.errors.SerializationFailure("could not serialize")),
            True,
        ),
        (lambda: _wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock")), True),
        (lambda: _wrapped(OperationalError, psycopg.errors.LockNotAvailable("lock timeout")), True),
        (lambda: _wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating")), True),
        (lambda: _wrapped(InterfaceError, sqlite3.InterfaceError("closed")), True),
        (lambda: _wrapped(ProgrammingError, psycopg.errors.UndefinedTable("no telemetry")), True),
        (lambda: _wrapped(DataError, psycopg.errors.NumericValueOutOfRange("out of range")), False),
        (lambda: _wrapped(DataError, psycopg.errors.StringDataRightTruncation("too long")), False),
        (lambda: _wrapped(IntegrityError, psycopg.errors.ForeignKeyViolation("fk")), False),
        (lambda: _wrapped(OperationalError, psycopg.errors.ProgramLimitExceeded("row too big")), False),
        (lambda: _wrapped(ProgrammingError, psycopg.errors.DatatypeMismatch("bigint vs float")), False),
        (lambda: _wrapped(DataError, psycopg.DataError("PostgreSQL text fields cannot contain NUL")), False),
        (lambda: _wrapped(IntegrityError, sqlite3.IntegrityError("NOT NULL")), False),
        (lambda: _wrapped(DataError, sqlite3.DataError("string or blob too big")), False),
        (lambda: UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), False),
        (lambda: TypeError("Object of type bytes is not JSON serializable"), False),
    ],
)
def test_failures_are_told_apart(make: Callable[[], Exception], transient: bool) -> None:
    exc = make()
    assert is_transient(exc) is transient
    assert describe(exc).startswith("could not be stored: ") and "INSERT" not in describe(exc)
