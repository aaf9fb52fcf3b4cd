"""The thin path on real parts: a real MQTT client publishes to a real Mosquitto; the collector stores the rows."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from apps.processes.broker import LocalBroker
from collectors.client import Publisher
from collectors.payloads import birth_topic, telemetry_topic
from collectors.service import Collector
from diagnose.models import DeadLetter, Device, Telemetry
from diagnose.settings import Settings
from tests import factories

WAIT_S = 20.0


def wait_until(predicate, timeout_s: float = WAIT_S) -> None:  # type: ignore[no-untyped-def]
    """Poll until predicate() is true or fail."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def plant(engine: Engine) -> tuple[str, int]:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        device = factories.device(session, enterprise.id, "D01", ideal_cycle_s=30.0)
        session.commit()
        return enterprise.uscc, device.id  # type: ignore[return-value]


@pytest.fixture
def collector(
    db_settings: Settings, engine: Engine, mosquitto: LocalBroker, request: pytest.FixtureRequest
) -> Iterator[Collector]:
    # Each test its own client id and share group: a persistent session of an earlier test's collector
    # stays in its share group at the broker and would be handed a share of the messages.
    name = uuid.uuid4().hex[:12]
    settings = db_settings.model_copy(
        update={
            "mqtt_url": mosquitto.url,
            "mqtt_client_id": f"test-{name}",
            "mqtt_share_group": f"g{name}",
            "batch_max_wait_ms": 50,
        }
    )
    running = Collector(settings, engine).start()
    assert running.client.connected.wait(10)
    # Connected is not subscribed: a message published before the broker's SUBACK would miss the collector.
    assert running.client.subscribed.wait(10)
    yield running
    running.stop()


def publish_all(url: str, messages: list[tuple[str, bytes]]) -> None:
    publisher = Publisher(url=url, client_id="test-publisher").start()
    infos = [publisher.publish(topic, payload) for topic, payload in messages]
    publisher.wait_all_published(infos)
    publisher.stop()


def reading(seq: int, state: str = "RUN", at: datetime | None = None) -> bytes:
    ts = (at or datetime(2026, 11, 24, 8, 0, tzinfo=UTC)) + timedelta(seconds=seq)
    return json.dumps(
        {
            "ts": ts.isoformat(),
            "seq": seq,
            "state": state,
            "count_total": seq * 2,
            "count_good": seq * 2 - 1,
            "power_kw": 12.5,
            "spindle_rpm": 3000,
        }
    ).encode()


def test_published_telemetry_lands_in_the_database(engine, plant, collector, mosquitto) -> None:  # type: ignore[no-untyped-def]
    uscc, device_id = plant
    topic = telemetry_topic(uscc, "D01")
    publish_all(mosquitto.url, [(topic, reading(seq, "IDLE" if seq == 5 else "RUN")) for seq in range(1, 6)])
    wait_until(lambda: count(engine, Telemetry) == 5)
    with Session(engine) as session:
        rows = session.exec(select(Telemetry).order_by(Telemetry.seq)).all()  # type: ignore[arg-type]
        assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
        assert rows[0].metrics == {"spindle_rpm": 3000.0}
        assert rows[-1].state == "IDLE"
        device = session.get(Device, device_id)
        assert device is not None and device.last_state == "IDLE" and device.online


def test_duplicates_are_stored_once(engine, plant, collector, mosquitto) -> None:  # type: ignore[no-untyped-def]
    uscc, _ = plant
    topic = telemetry_topic(uscc, "D01")
    publish_all(
        mosquitto.url, [(topic, reading(1)), (topic, reading(1)), (topic, reading(2)), (topic, reading(1))]
    )
    wait_until(lambda: collector.writer.stats.messages == 4)
    assert count(engine, Telemetry) == 2


def test_bad_messages_are_dead_lettered_and_collector_keeps_running(
    engine, plant, collector, mosquitto
) -> None:  # type: ignore[no-untyped-def]
    uscc, _ = plant
    good = telemetry_topic(uscc, "D01")
    publish_all(
        mosquitto.url,
        [
            (good, b"{not json"),
            (good, json.dumps({"ts": "2026-11-24T08:00:00Z"}).encode()),  # no seq
            (telemetry_topic(uscc, "UNKNOWN9"), reading(1)),
            ("plant/NOTACODE/D01/telemetry", reading(1)),
            (good, reading(7)),
        ],
    )
    wait_until(lambda: count(engine, Telemetry) == 1 and count(engine, DeadLetter) == 4)
    with Session(engine) as session:
        reasons = sorted(d.reason for d in session.exec(select(DeadLetter)))
        assert any("bad JSON" in r for r in reasons)
        assert any(r.startswith("seq: required") for r in reasons)
        assert any("unknown device UNKNOWN9" in r for r in reasons)
        pending = session.exec(select(Device).where(Device.external_id == "UNKNOWN9")).one()
        assert pending.registry_status == "pending"
        assert all(d.payload for d in session.exec(select(DeadLetter)))


def test_birth_updates_the_registry(engine, plant, collector, mosquitto) -> None:  # type: ignore[no-untyped-def]
    uscc, device_id = plant
    body = json.dumps({"kind": "注塑机", "model": "HX-200", "ideal_cycle_s": 12.5}).encode()
    publish_all(mosquitto.url, [(birth_topic(uscc, "D01"), body)])

    def updated() -> bool:
        with Session(engine) as session:
            device = session.get(Device, device_id)
            return device is not None and device.model == "HX-200"

    wait_until(updated)
    with Session(engine) as session:
        device = session.get(Device, device_id)
        assert device is not None and device.kind == "注塑机" and device.ideal_cycle_s == 12.5
