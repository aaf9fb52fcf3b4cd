"""Report by exception on real parts (issue #11): a shift sent as state changes only, birth/will/status, through
a real Mosquitto and the collector; the figures equal the hand arithmetic."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from apps.processes.broker import LocalBroker
from collectors.client import BrokerAddress, Publisher
from collectors.payloads import birth_topic, status_topic, telemetry_topic
from collectors.service import Collector
from diagnose.models import Device, DevicePresence, Telemetry
from diagnose.services.diagnosis import evidence_snapshot
from diagnose.services.telemetry import telemetry_queries as tq
from diagnose.settings import Settings
from scoring.indicators import Window
from tests import factories
from tests.collectors.brokerkit import TcpProxy, wait_until

SHIFT = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
# (minute, state): one message per change. RUN 0-120, DOWN 120-150, RUN 150-240, PLANNED_STOP 240-270
# (30 min, three times the silence timeout), RUN 270-360, IDLE 360-390, RUN 390-450, IDLE 450-480.
CHANGES = [(0, "RUN"), (120, "DOWN"), (150, "RUN"), (240, "PLANNED_STOP"), (270, "RUN")]
CHANGES += [(360, "IDLE"), (390, "RUN"), (450, "IDLE")]
SILENCE_S = 600
IDEAL_CYCLE_S = 25


def running(minute: int) -> bool:
    state = [s for m, s in CHANGES if m <= minute][-1]
    return state == "RUN"


def shift_messages(uscc: str) -> list[tuple[str, bytes]]:
    """State changes, and the counters once a running minute (2 parts a minute, a reject every 20)."""
    out: list[tuple[str, bytes]] = []
    seq = 0
    total = good = 0
    changes = dict(CHANGES)
    run_minutes = 0
    for minute in range(0, 480):
        at = SHIFT + timedelta(minutes=minute)
        if minute > 0 and running(minute - 1):
            run_minutes += 1
            total += 2
            good += 1 if run_minutes % 20 == 0 else 2
            seq += 1
            body = {"ts": at.isoformat(), "seq": seq, "count_total": total, "count_good": good}
            out.append((telemetry_topic(uscc, "D01"), json.dumps(body).encode()))
        if minute in changes:
            seq += 1
            body = {"ts": at.isoformat(), "seq": seq, "state": changes[minute]}
            if minute == 0:
                body |= {"count_total": 0, "count_good": 0}
            out.append((telemetry_topic(uscc, "D01"), json.dumps(body).encode()))
    return out


@pytest.fixture
def plant(engine: Engine) -> str:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        factories.device(session, enterprise.id, "D01", ideal_cycle_s=float(IDEAL_CYCLE_S))
        session.commit()
        return enterprise.uscc


def _start_collector(db_settings: Settings, engine: Engine, broker: LocalBroker) -> Collector:
    name = uuid.uuid4().hex[:12]
    settings = db_settings.model_copy(
        update={
            "mqtt_url": broker.url,
            "mqtt_client_id": f"test-{name}",
            "mqtt_share_group": f"g{name}",
            "batch_max_wait_ms": 50,
        }
    )
    running_collector = Collector(settings, engine).start()
    assert running_collector.client.connected.wait(10)
    return running_collector


@pytest.fixture
def collector(db_settings: Settings, engine: Engine, mosquitto: LocalBroker) -> Iterator[Collector]:
    running_collector = _start_collector(db_settings, engine, mosquitto)
    yield running_collector
    running_collector.stop()


@pytest.fixture
def own_collector(db_settings: Settings, engine: Engine, own_mosquitto: LocalBroker) -> Iterator[Collector]:
    # A broker of its own: the retained status and birth must not reach other tests' collectors.
    running_collector = _start_collector(db_settings, engine, own_mosquitto)
    yield running_collector
    running_collector.stop()


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return len(session.exec(select(model)).all())


def test_a_shift_reported_by_state_changes_only_gives_the_hand_figures(
    engine: Engine, mosquitto: LocalBroker, collector: Collector, plant: str
) -> None:
    uscc = plant
    birth = {"kind": "CNC", "ideal_cycle_s": IDEAL_CYCLE_S, "ts": (SHIFT - timedelta(minutes=1)).isoformat()}
    messages = [(birth_topic(uscc, "D01"), json.dumps(birth).encode()), *shift_messages(uscc)]
    publisher = Publisher(url=mosquitto.url, client_id=f"dev-{uuid.uuid4().hex[:8]}").start()
    publisher.wait_all_published([publisher.publish(t, p) for t, p in messages])
    publisher.stop()
    expected_rows = len(messages) - 1
    wait_until(lambda: _count(engine, Telemetry) == expected_rows and _count(engine, DevicePresence) == 1)
    # By hand: planned 480 - 30 = 450 min; run 120 + 90 + 90 + 60 = 360 min; 2 parts per run minute = 720,
    # one reject every 20 run minutes = 18; ideal cycle 25 s.
    availability = Fraction(360, 450)
    performance = Fraction(IDEAL_CYCLE_S * 720, 360 * 60)
    quality = Fraction(702, 720)
    window = Window(SHIFT, SHIFT + timedelta(hours=8))
    with Session(engine) as session:
        device = session.exec(select(Device).where(Device.external_id == "D01")).one()
        result = tq.device_oee(session=session, device=device, window=window, silence_timeout_s=SILENCE_S)
        plant_figures = evidence_snapshot.compute(
            session=session, enterprise_id=device.enterprise_id, window=window, silence_timeout_s=SILENCE_S
        )
    for name, hand in (("availability", availability), ("performance", performance), ("quality", quality)):
        assert abs(float(getattr(result, name)) - float(hand)) < 1e-6, name
    assert abs(float(result.oee) - float(availability * performance * quality)) < 1e-6  # 13/20
    assert abs(float(result.teep) - float(Fraction(360, 480) * performance * quality)) < 1e-6
    assert result.planned_s == 450 * 60 and result.downtime_by_state == {"DOWN": 1800, "IDLE": 3600}
    # 450 planned minutes are below the OEE card's minimum of 8 h: the same figures are 数据不足 in the
    # snapshot every page reads (issue #22), with the hours they rest on.
    plant_oee = plant_figures.figures["oee"]
    assert plant_oee.status == "insufficient" and plant_oee.value is None and plant_oee.have_s == 450 * 60
    assert plant_figures.devices[0].observed_s == 8 * 3600


def test_will_message_on_the_retained_status_topic_marks_the_device_offline(
    engine: Engine, own_mosquitto: LocalBroker, own_collector: Collector, plant: str
) -> None:
    uscc, mosquitto = plant, own_mosquitto
    address = BrokerAddress.from_url(mosquitto.url)
    proxy = TcpProxy(address.host, address.port).start()
    offline = json.dumps({"online": False}).encode()
    device = Publisher(
        url=f"mqtt://{address.username}:{address.password}@127.0.0.1:{proxy.port}",
        client_id=f"dev-{uuid.uuid4().hex[:8]}",
        will=(status_topic(uscc, "D01"), offline, 1, True),
    ).start()
    infos = [
        device.publish(status_topic(uscc, "D01"), json.dumps({"online": True}).encode(), retain=True),
        device.publish(birth_topic(uscc, "D01"), json.dumps({"heartbeat_s": 60}).encode(), retain=True),
    ]
    device.wait_all_published(infos)
    wait_until(
        lambda: _count(engine, DevicePresence) == 1
    )  # the status (a birth without "ts" records no presence)
    proxy.stop()  # the device's connection drops without a DISCONNECT: the broker publishes its will
    wait_until(lambda: _count(engine, DevicePresence) == 2)
    device._client.loop_stop()  # the device is gone: stop its reconnect attempts
    with Session(engine) as session:
        row = session.exec(select(Device).where(Device.external_id == "D01")).one()
        assert row.online is False and row.heartbeat_s == 60
        presence = session.exec(select(DevicePresence).order_by(col(DevicePresence.id))).all()
        assert [(p.online, p.source) for p in presence][-1] == (False, "status")
    # The status stays retained at the broker: a late subscriber learns the device is offline.
    seen: list[bytes] = []
    late = Publisher(url=mosquitto.url, client_id=f"late-{uuid.uuid4().hex[:8]}").start()
    late.subscribe(status_topic(uscc, "D01"), lambda _t, payload: seen.append(payload), qos=1)
    wait_until(lambda: bool(seen))
    late.stop()
    assert json.loads(seen[-1]) == {"online": False}
