"""Several collectors, each holding its enterprises by plain persistent subscriptions: lossless across a real
Mosquitto restart mid-stream, and across a handover (the new owner subscribes before the old one lets go), from
a static list with restarts or from the collectors table without any."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.processes.broker import LocalBroker
from collectors.assignment import telemetry_topics
from collectors.models import Reading
from collectors.service import Collector
from collectors.writer import Envelope
from diagnose.models import Device, Enterprise, Telemetry
from diagnose.services.shopfloor import collector_assignments
from diagnose.settings import Settings
from tests import factories
from tests.collectors.brokerkit import durable_broker, messages, publish_reliably, telemetry_count, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    local = durable_broker()
    yield local
    local.stop(kill=True)
    shutil.rmtree(local.workdir, ignore_errors=True)


def _plant(engine: Engine, count: int) -> list[str]:
    with Session(engine) as session:
        factories.regions(session)
        usccs = []
        for serial in range(1, count + 1):
            enterprise = factories.enterprise(session, serial=serial, name=f"企业{serial}")
            factories.device(session, enterprise.id, "D01")
            usccs.append(enterprise.uscc)
        session.commit()
    return usccs


def _seqs_by_enterprise(engine: Engine) -> dict[str, list[int]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Enterprise.uscc, Telemetry.seq)
            .join(Device, Device.id == Telemetry.device_id)
            .join(Enterprise)
        ).all()
    found: dict[str, list[int]] = {}
    for uscc, seq in rows:
        found.setdefault(uscc, []).append(int(seq))
    return {uscc: sorted(seqs) for uscc, seqs in found.items()}


def _let_go(collector: Collector, topic: str) -> bool:
    """The collector unsubscribed from the filter and the broker confirmed (it is neither ours nor granted)."""
    ours = {s.topic for s in collector.client.subscriptions}
    return topic not in ours and topic not in collector.client.granted


def test_topics_follow_the_assignment(settings: Settings) -> None:
    assert telemetry_topics(settings) == ["plant/+/+/telemetry"]
    shared = settings.model_copy(update={"mqtt_share_group": "g"})
    assert telemetry_topics(shared) == ["$share/g/plant/+/+/telemetry"]
    own = shared.model_copy(update={"collector_enterprises": " A1, B2 ,A1,"})
    assert telemetry_topics(own) == ["plant/A1/+/telemetry", "plant/B2/+/telemetry"]


def test_two_collectors_lose_nothing_across_a_restart_and_a_handover(
    engine: Engine, db_settings: Settings, broker: LocalBroker
) -> None:
    e1, e2, e3 = _plant(engine, 3)
    name = uuid.uuid4().hex[:8]
    base = db_settings.model_copy(
        update={
            "mqtt_url": broker.url,
            "batch_max_wait_ms": 50,
            "sparkplug_groups": "",
            "mqtt_share_group": "",
            "collector_assignment_poll_s": 0.2,
        }
    )
    a_settings = base.model_copy(update={"mqtt_client_id": f"a-{name}", "collector_enterprises": e1})
    b_settings = base.model_copy(update={"mqtt_client_id": f"b-{name}", "collector_enterprises": e2})
    running: list[Collector] = []

    def start(settings: Settings) -> Collector:
        collector = Collector(settings, engine).start()
        running.append(collector)
        assert collector.client.connected.wait(10)
        return collector

    def stop(collector: Collector) -> None:
        collector.stop(timeout_s=10)
        running.remove(collector)

    try:
        a, b = start(a_settings), start(b_settings)
        stream = messages(e1, range(1, 1501)) + messages(e2, range(1, 1501))
        stream = [m for pair in zip(stream[:1500], stream[1500:], strict=True) for m in pair]  # interleaved
        publishing = threading.Thread(
            target=publish_reliably,
            args=(broker.url, stream),
            kwargs={"client_id": f"p-{name}", "pace_s": 0.01},
        )
        publishing.start()
        wait_until(lambda: telemetry_count(engine) > 300, what="stream started")
        broker.restart()  # SIGTERM mid-stream: both sessions and their plain subscriptions are persisted
        wait_until(lambda: telemetry_count(engine) > 1800, timeout_s=30, what="stream resumed")
        # Handover of e1 from a to b, mid-stream: b subscribes first, then a lets go.
        stop(b)
        b = start(b_settings.model_copy(update={"collector_enterprises": f"{e2},{e1}"}))
        stop(a)
        a = start(a_settings.model_copy(update={"collector_enterprises": e3}))
        seen_by_a: list[int] = []  # seqs reaching a's writer from now on (its session's backlog of e1 first)
        offer = a.writer.offer

        def spy(envelope: Envelope, stop: threading.Event | None = None) -> bool:
            seen_by_a.extend(item.seq for item in envelope.items if isinstance(item, Reading))
            return offer(envelope, stop)

        a.writer.offer = spy  # type: ignore[method-assign]
        publishing.join(90)
        assert not publishing.is_alive()
        wait_until(lambda: telemetry_count(engine) >= 3000, timeout_s=30, what="every message stored")
        e1_topic = telemetry_topics(a_settings)[0]
        wait_until(lambda: _let_go(a, e1_topic), what="a let go of e1 once b held it")
        publish_reliably(broker.url, messages(e1, range(1501, 1601)), client_id=f"q-{name}")
        wait_until(lambda: telemetry_count(engine) >= 3100, what="after the handover")
        assert all(seq <= 1500 for seq in seen_by_a)  # a let go of e1: what it publishes now goes to b only
        assert _seqs_by_enterprise(engine) == {e1: list(range(1, 1601)), e2: list(range(1, 1501))}
    finally:
        for collector in list(running):
            collector.stop(timeout_s=5)


@pytest.mark.parametrize("broker_restart", ["during", "after"])
def test_an_enterprise_moves_between_running_collectors_without_loss(
    engine: Engine, db_settings: Settings, broker: LocalBroker, broker_restart: str
) -> None:
    """The table's assignment changes under two running collectors while QoS 1 telemetry streams in; the
    broker restarts during or after the handover. Neither collector restarts; every message is stored once."""
    e1, e2 = _plant(engine, 2)
    name = uuid.uuid4().hex[:8]
    a_id, b_id = f"a-{name}", f"b-{name}"
    with Session(engine) as session:
        collector_assignments.assign(session=session, actor="test", collector_id=a_id, usccs=[e1])
        collector_assignments.assign(session=session, actor="test", collector_id=b_id, usccs=[e2])
        session.commit()
    base = db_settings.model_copy(
        update={
            "mqtt_url": broker.url,
            "batch_max_wait_ms": 50,
            "sparkplug_groups": "",
            "mqtt_share_group": "",
            "collector_enterprises": "",  # the table decides
            "collector_assignment_poll_s": 0.2,
        }
    )
    e1_topic, e2_topic = (telemetry_topics(base, [uscc])[0] for uscc in (e1, e2))

    def holding(uscc: str) -> set[str]:
        with Session(engine) as session:
            return collector_assignments.holders(
                session=session, seen_since=datetime.now(UTC) - timedelta(minutes=1)
            ).get(uscc, set())

    # The old owner looks far more often than the new one: letting go at once would lose messages.
    a = Collector(
        base.model_copy(update={"mqtt_client_id": a_id, "collector_assignment_poll_s": 0.05}), engine
    )
    b = Collector(
        base.model_copy(update={"mqtt_client_id": b_id, "collector_assignment_poll_s": 0.5}), engine
    )
    a.start()
    b.start()
    try:
        assert {s.topic for s in a.client.subscriptions} >= {e1_topic} and e2_topic not in a.client.granted
        wait_until(lambda: holding(e1) == {a_id} and holding(e2) == {b_id}, what="each holds its own")
        stream = [
            m
            for pair in zip(messages(e1, range(1, 1501)), messages(e2, range(1, 1501)), strict=True)
            for m in pair
        ]
        publishing = threading.Thread(
            target=publish_reliably,
            args=(broker.url, stream),
            kwargs={"client_id": f"p-{name}", "pace_s": 0.08},
        )
        publishing.start()
        wait_until(lambda: telemetry_count(engine) > 300, what="stream started")

        with Session(engine) as session:  # `diagnose collectors move E1 --to b`
            assert collector_assignments.move(session=session, actor="test", uscc=e1, to=b_id) == [a_id]
            session.commit()
        if broker_restart == "during":
            broker.restart()
        wait_until(lambda: e1_topic in b.client.granted, timeout_s=30, what="b subscribed to e1")
        wait_until(lambda: _let_go(a, e1_topic), timeout_s=30, what="a let go of e1")
        assert publishing.is_alive()  # mid-stream
        wait_until(lambda: holding(e1) == {b_id}, what="a forgot e1 (it let go only once b held it)")
        seen_by_a: list[int] = []  # e1 seqs reaching a's writer once it let go (its session's backlog first)
        offer = a.writer.offer

        def spy(envelope: Envelope, stop: threading.Event | None = None) -> bool:
            seen_by_a.extend(
                item.seq for item in envelope.items if isinstance(item, Reading) and item.uscc == e1
            )
            return offer(envelope, stop)

        a.writer.offer = spy  # type: ignore[method-assign]
        if broker_restart == "after":
            broker.restart()
        publishing.join(120)
        assert not publishing.is_alive()
        wait_until(lambda: telemetry_count(engine) >= 3000, timeout_s=40, what="every message stored")
        publish_reliably(broker.url, messages(e1, range(1501, 1601)), client_id=f"q-{name}")
        wait_until(lambda: telemetry_count(engine) >= 3100, timeout_s=30, what="after the handover")
        assert all(seq <= 1500 for seq in seen_by_a)  # what is published now reaches b only
        assert _seqs_by_enterprise(engine) == {
            e1: list(range(1, 1601)),
            e2: list(range(1, 1501)),
        }  # once each
        assert a.client.connected.is_set() and b.client.connected.is_set()  # the same processes all along
    finally:
        for collector in (a, b):
            collector.stop(timeout_s=5)
