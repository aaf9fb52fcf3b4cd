"""Several collectors, each holding its enterprises by plain persistent subscriptions: lossless across a real
Mosquitto restart mid-stream, and across a handover (the new owner subscribes before the old one lets go)."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.broker import LocalBroker
from collectors.assignment import telemetry_topics
from collectors.models import Reading
from collectors.service import Collector
from collectors.writer import Envelope
from diagnose.models import Device, Enterprise, Telemetry
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
        publish_reliably(broker.url, messages(e1, range(1501, 1601)), client_id=f"q-{name}")
        wait_until(lambda: telemetry_count(engine) >= 3100, what="after the handover")
        assert all(seq <= 1500 for seq in seen_by_a)  # a let go of e1: what it publishes now goes to b only
        assert _seqs_by_enterprise(engine) == {e1: list(range(1, 1601)), e2: list(range(1, 1501))}
    finally:
        for collector in list(running):
            collector.stop(timeout_s=5)
