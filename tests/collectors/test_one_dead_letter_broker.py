"""One dead letter per delivery, on a real Mosquitto: a collector holding overlapping filters (every enterprise's
and one enterprise's, as during a move to assignments) handles each publish once; a retained poison birth is not
handed over again when the collector reconnects; and a collector takes no other enterprise's births."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from apps.processes.broker import LocalBroker
from collectors.assignment import enterprise_filters
from collectors.client import Publisher
from collectors.payloads import birth_topic, telemetry_topic
from collectors.service import Collector
from diagnose.models import DeadLetter, Device, Enterprise
from diagnose.services.shopfloor import collector_assignments
from diagnose.settings import Settings
from tests.collectors.brokerkit import make_plants, messages, publish_reliably, stored_seqs, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.slow]
POISON = b'{"kind": "\\ud800"}'


@pytest.fixture
def broker(durable_mosquitto: LocalBroker) -> LocalBroker:
    return durable_mosquitto


@pytest.fixture
def two_plants(engine: Engine) -> tuple[str, str]:
    e1, e2 = make_plants(engine, 2)
    return e1, e2


def _settings(db_settings: Settings, broker: LocalBroker, **extra: object) -> Settings:
    values: dict[str, object] = {
        "mqtt_url": broker.url,
        "mqtt_client_id": f"c-{uuid.uuid4().hex[:8]}",
        "mqtt_share_group": "",
        "sparkplug_groups": "",
        "batch_max_wait_ms": 50,
        "collector_assignment_poll_s": 0.2,
    }
    return db_settings.model_copy(update=values | extra)


def _letters(engine: Engine, topic: str) -> int:
    with Session(engine) as session:
        statement = select(func.count()).select_from(DeadLetter).where(DeadLetter.topic == topic)
        return int(session.exec(statement).one())


def _publish(url: str, topic: str, payload: bytes, *, retain: bool = False) -> None:
    publisher = Publisher(url=url, client_id=f"p-{uuid.uuid4().hex[:8]}").start()
    publisher.publish(topic, payload, retain=retain).wait_for_publish(10)
    publisher.stop()


def test_overlapping_filters_make_one_dead_letter_per_delivery(
    engine: Engine, db_settings: Settings, broker: LocalBroker, two_plants: tuple[str, str]
) -> None:
    """The collector started before any assignment (every enterprise's filters); then it is assigned e1 while
    e2 stays with nobody, so it keeps every enterprise's filters too: e1's messages match two of its filters."""
    e1, e2 = two_plants
    collector = Collector(_settings(db_settings, broker), engine).start()
    try:
        wait_until(lambda: "plant/+/+/telemetry" in collector.client.granted, what="every enterprise's")
        with Session(engine) as session:
            collector_assignments.assign(
                session=session, actor="test", collector_id=collector.settings.mqtt_client_id, usccs=[e1]
            )
            session.commit()
        wait_until(lambda: collector.client.granted >= set(enterprise_filters(e1)), what="e1's own filters")
        assert "plant/+/+/telemetry" in collector.client.granted  # kept: nobody holds e2
        for uscc in (e1, e2):
            _publish(broker.url, telemetry_topic(uscc, "D01"), b"not json")
            _publish(broker.url, birth_topic(uscc, "D01"), POISON)
        # The same bytes twice in a row are two deliveries (each with its copy), not one.
        _publish(broker.url, telemetry_topic(e1, "D02"), b"again")
        _publish(broker.url, telemetry_topic(e1, "D02"), b"again")
        publish_reliably(broker.url, messages(e1, range(1, 51)), client_id=f"q-{uuid.uuid4().hex[:6]}")
        wait_until(lambda: len(stored_seqs(engine)) == 50, what="the readings")
        wait_until(lambda: _letters(engine, birth_topic(e2, "D01")) == 1, what="e2's poison")
        for uscc in (e1, e2):
            assert _letters(engine, telemetry_topic(uscc, "D01")) == 1
            assert _letters(engine, birth_topic(uscc, "D01")) == 1
        assert _letters(engine, telemetry_topic(e1, "D02")) == 2
        assert collector.client.copies_dropped == 54  # e1's four junk messages and 50 readings, once each
        assert sorted(stored_seqs(engine)) == list(range(1, 51))
    finally:
        collector.stop(timeout_s=5)


def test_a_retained_poison_is_not_handed_over_again_on_reconnect(
    engine: Engine, db_settings: Settings, broker: LocalBroker, two_plants: tuple[str, str]
) -> None:
    e1, _ = two_plants
    settings = _settings(db_settings, broker, collector_enterprises=e1)
    _publish(broker.url, birth_topic(e1, "D01"), POISON, retain=True)
    first = Collector(settings, engine).start()
    try:
        wait_until(lambda: _letters(engine, birth_topic(e1, "D01")) == 1, what="the retained poison")
        broker.restart()  # the session and its subscriptions persist: re-subscribing brings no retained copy
        wait_until(lambda: first.client.generation >= 2 and first.client.subscribed.is_set(), what="back")
    finally:
        first.stop(timeout_s=5)
    second = Collector(settings, engine).start()  # a restart of the collector process, same session
    try:
        assert second.client.subscribed.wait(15)
        publish_reliably(broker.url, messages(e1, range(1, 11)), client_id=f"q-{uuid.uuid4().hex[:6]}")
        wait_until(lambda: len(stored_seqs(engine)) == 10, what="the readings after it")
        assert _letters(engine, birth_topic(e1, "D01")) == 1
    finally:
        second.stop(timeout_s=5)


def test_a_collector_takes_no_other_enterprises_births(
    engine: Engine, db_settings: Settings, broker: LocalBroker, two_plants: tuple[str, str]
) -> None:
    e1, e2 = two_plants
    collector = Collector(_settings(db_settings, broker, collector_enterprises=e1), engine).start()
    try:
        assert collector.client.subscribed.wait(15)
        assert {s.topic for s in collector.client.subscriptions} == set(enterprise_filters(e1))
        _publish(broker.url, birth_topic(e2, "D01"), POISON)
        _publish(broker.url, birth_topic(e1, "D01"), b'{"kind": "CNC"}')

        def e1_born() -> bool:
            with Session(engine) as session:
                kind = session.exec(
                    select(Device.birth_kind).join(Enterprise).where(Enterprise.uscc == e1)
                ).one()
            return kind == "CNC"

        wait_until(e1_born, what="e1's birth applied")
        assert _letters(engine, birth_topic(e2, "D01")) == 0  # not this collector's to see
    finally:
        collector.stop(timeout_s=5)
