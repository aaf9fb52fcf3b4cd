"""Sparkplug B end to end: simulated edge node → Mosquitto → collector (clean-session host) → database."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from apps.processes.broker import LocalBroker
from collectors.client import Publisher
from collectors.service import Collector
from collectors.simulator import PlantSimulator, SimDevice
from diagnose.models import Device, Telemetry
from diagnose.settings import Settings
from tests import factories
from tests.collectors.brokerkit import durable_broker, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    running = durable_broker()
    yield running
    running.stop(kill=True)
    shutil.rmtree(running.workdir, ignore_errors=True)


def test_sparkplug_edge_node_is_stored_after_a_requested_rebirth(
    engine: Engine, db_settings: Settings, broker: LocalBroker
) -> None:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        for external_id in ("SP1", "SP2"):
            factories.device(session, enterprise.id, external_id, protocol="sparkplug")
        session.commit()
        uscc = enterprise.uscc
    simulator = PlantSimulator(
        [SimDevice(uscc, "SP1", protocol="sparkplug"), SimDevice(uscc, "SP2", protocol="sparkplug")],
        url=broker.url,
        client_id=f"sim-{uuid.uuid4().hex[:6]}",
    )
    edge = simulator.edges[0]
    edge.start()  # births go out before any host listens: the host must ask for a rebirth
    name = uuid.uuid4().hex[:8]
    settings = db_settings.model_copy(
        update={
            "mqtt_url": broker.url,
            "mqtt_client_id": f"c-{name}",
            "mqtt_share_group": f"g{name}",
            "sparkplug_groups": uscc,
            "sparkplug_host_id": f"host{name}",
            "batch_max_wait_ms": 50,
        }
    )
    collector = Collector(settings, engine).start()
    states: list[dict[str, object]] = []
    got_state = threading.Event()
    watcher = Publisher(url=broker.url, client_id=f"w-{name}").start()

    def on_state(_topic: str, payload: bytes) -> None:
        states.append(json.loads(payload))
        got_state.set()

    try:
        wait_until(lambda: collector.connected, what="collector connected")
        watcher.subscribe(f"spBv1.0/STATE/host{name}", on_state, qos=1)
        assert got_state.wait(10)
        assert states[-1]["online"] is True and isinstance(states[-1]["timestamp"], int)

        def stored() -> int:
            simulator.tick(datetime.now(UTC), 1.0)
            with Session(engine) as session:
                ids = session.exec(select(Device.id).where(col(Device.external_id).in_(["SP1", "SP2"]))).all()
                rows = session.exec(select(Telemetry).where(col(Telemetry.device_id).in_(ids))).all()
                return len({r.device_id for r in rows if r.source == "sparkplug"})

        wait_until(lambda: stored() == 2, what="both Sparkplug devices stored")
        assert collector.sparkplug is not None and collector.sparkplug.commands_sent >= 1  # the rebirth NCMD
        with Session(engine) as session:
            device = session.exec(select(Device).where(Device.external_id == "SP1")).one()
            assert device.online and device.kind == "CNC" and device.ideal_cycle_s == 30.0
    finally:
        edge.stop()
        watcher.stop()
        collector.stop()
