"""The device plane is closed: accounts bound to client ids, own topics only, on Mosquitto and amqtt alike."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session

from apps.cli.collect import register
from apps.processes.broker import LocalBroker, start_local_broker
from collectors.client import Publisher
from collectors.payloads import telemetry_topic
from collectors.service import Collector
from diagnose.models import Device
from diagnose.services.shopfloor import broker_accounts, devices
from diagnose.settings import Settings
from tests import factories
from tests.collectors.brokerkit import stored_seqs, wait_until

LISTENER = ("listener", "listener-secret-1")


def _connect(
    broker: LocalBroker, username: str | None, password: str | None, client_id: str, *, v5: bool
) -> Publisher:
    url = broker.url_for(username, password or "") if username else broker.address
    return Publisher(url=url, client_id=client_id, protocol="5" if v5 else "3.1.1").start(timeout_s=5)


@pytest.mark.parametrize("kind", ["mosquitto", "amqtt"])
@pytest.mark.broker
def test_each_device_publishes_only_its_own_topics(kind: str, engine: Engine, tmp_path: Path) -> None:
    if kind == "mosquitto" and not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        uscc = enterprise.uscc
        d01 = factories.device(session, enterprise.id, "D01")  # type: ignore[arg-type]
        d02 = factories.device(session, enterprise.id, "D02")  # type: ignore[arg-type]
        pending = factories.device(session, enterprise.id, "P01", registry_status="pending")  # type: ignore[arg-type]
        one = devices.issue_mqtt_credentials(session=session, actor="t", device=d01, uscc=uscc)
        two = devices.issue_mqtt_credentials(session=session, actor="t", device=d02, uscc=uscc)
        d02_id = d02.id
        unconfirmed = devices.issue_mqtt_credentials(session=session, actor="t", device=pending, uscc=uscc)
        accounts = broker_accounts.registry_accounts(session=session)
        session.commit()
    assert len(accounts) == 2  # the pending device gets no account until it is confirmed
    accounts.append(broker_accounts.admin_account(username=LISTENER[0], password=LISTENER[1]))
    broker = start_local_broker(workdir=tmp_path / "broker", prefer=kind, accounts=accounts)
    assert broker.kind == kind
    v5 = broker.protocol == "5"
    received: list[str] = []
    arrived = threading.Event()
    opened: list[Publisher] = []

    def connect(username: str | None, password: str | None, client_id: str) -> Publisher:
        publisher = _connect(broker, username, password, client_id, v5=v5)
        opened.append(publisher)
        return publisher

    try:
        listener = connect(*LISTENER, "listener")
        # The barrier is the last message, which the device may send: one connection's messages reach the
        # listener in order, so once it is here the refused one before it can no longer arrive.
        last = telemetry_topic(uscc, "D01")
        assert listener.subscribe(
            "plant/#", lambda topic, _p: (received.append(topic), topic == last and arrived.set()), qos=1
        )  # SUBACK
        device = connect(one.username, one.password, one.username)
        assert not device.subscribe("plant/#", lambda _t, _p: None, qos=1)  # it may not listen to the plant
        device.publish(telemetry_topic(uscc, "D02"), b'{"spoofed": true}').wait_for_publish(5)
        device.publish(telemetry_topic(uscc, "D01"), b'{"ts": 1, "seq": 1}').wait_for_publish(5)
        assert arrived.wait(5)
        assert received == [telemetry_topic(uscc, "D01")]  # D01 could not speak for D02

        for username, password, client_id in [
            (one.username, "wrong-password", one.username),
            (None, None, "anonymous"),  # closed by default
            (unconfirmed.username, unconfirmed.password, unconfirmed.username),
            (one.username, one.password, "diagnose-collector-1"),  # not its own client id
        ]:
            with pytest.raises(ConnectionRefusedError, match="refused"):
                connect(username, password, client_id)

        # A new password for D02: the old one stops working once the accounts are rewritten.
        with Session(engine) as session:
            d02_again = session.get(Device, d02_id)
            renewed = devices.issue_mqtt_credentials(session=session, actor="t", device=d02_again, uscc=uscc)  # type: ignore[arg-type]
            accounts = broker_accounts.registry_accounts(session=session)
            session.commit()
        for publisher in opened:
            publisher.stop()
        opened.clear()
        broker.set_accounts(
            [*accounts, broker_accounts.admin_account(username=LISTENER[0], password=LISTENER[1])]
        )
        with pytest.raises(ConnectionRefusedError):
            connect(two.username, two.password, two.username)
        connect(renewed.username, renewed.password, renewed.username)
    finally:
        for publisher in opened:
            publisher.stop()
        broker.stop()


@pytest.mark.parametrize("share_group", ["", "collectors"])
@pytest.mark.broker
def test_a_device_account_cannot_take_the_collectors_session(
    share_group: str, engine: Engine, db_settings: Settings, tmp_path: Path
) -> None:
    """The attack of issue #12: connect as the collector's client id to steal its queued messages."""
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        uscc = enterprise.uscc
        device = factories.device(session, enterprise.id, "D01")  # type: ignore[arg-type]
        creds = devices.issue_mqtt_credentials(session=session, actor="t", device=device, uscc=uscc)
        accounts = broker_accounts.registry_accounts(session=session)
        session.commit()
    accounts += broker_accounts.collector_accounts(
        username="diagnose-collector-1", password="collector-pass-1", client_id="diagnose-collector-1"
    )
    broker = start_local_broker(workdir=tmp_path / "broker", accounts=accounts)
    settings = db_settings.model_copy(
        update={
            "mqtt_url": broker.url_for("diagnose-collector-1", "collector-pass-1"),
            "sparkplug_groups": "",
            "mqtt_share_group": share_group,
        }
    )
    collector = Collector(settings, engine).start()
    publisher = _connect(broker, creds.username, creds.password, creds.username, v5=True)
    try:
        wait_until(collector.client.subscribed.is_set, what="collector subscribed")  # its SUBACK came
        infos = [
            publisher.publish(
                telemetry_topic(uscc, "D01"), f'{{"ts": {1_796_000_000_000 + i}, "seq": {i}}}'.encode()
            )
            for i in range(1, 21)
        ]
        for client_id in ("diagnose-collector-1", "diagnose-collector-1-spb"):
            with pytest.raises(ConnectionRefusedError):
                _connect(broker, creds.username, creds.password, client_id, v5=True)
        infos += [
            publisher.publish(
                telemetry_topic(uscc, "D01"), f'{{"ts": {1_796_000_000_000 + i}, "seq": {i}}}'.encode()
            )
            for i in range(21, 41)
        ]
        publisher.wait_all_published(infos, timeout_s=10)
        wait_until(lambda: len(stored_seqs(engine)) == 40, what="all 40 stored")
        assert stored_seqs(engine) == list(range(1, 41))  # nothing was taken away
    finally:
        publisher.stop()
        collector.stop()
        broker.stop()


def test_cli_writes_every_account_bound_to_its_client_id(engine, db_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        device = factories.device(session, enterprise.id, "D01")  # type: ignore[arg-type]
        uscc = enterprise.uscc
        creds = devices.issue_mqtt_credentials(session=session, actor="t", device=device, uscc=uscc)
        session.commit()
    settings = db_settings.model_copy(update={"mqtt_url": "mqtt://collector-a:s3cret-pass@127.0.0.1:1883"})
    (tmp_path / "edge.pw").write_text("edge-pass-1\n")
    group = click.Group("diagnose")
    register(group)
    out = tmp_path / "dynamic-security.json"
    result = CliRunner().invoke(
        group,
        ["devices", "broker-auth", "--out", str(out), "--edge", f"{uscc}/EDGE1={tmp_path / 'edge.pw'}"],
        obj=settings,
    )
    assert result.exit_code == 0, result.output
    assert "1 devices, collector collector-a, 1 edge nodes" in result.output
    assert "s3cret-pass" not in result.output
    import json

    data = json.loads(out.read_text())
    bound = {client["username"]: client.get("clientid") for client in data["clients"]}
    assert bound == {
        creds.username: creds.username,
        "collector-a": settings.mqtt_client_id,
        "collector-a-spb": f"{settings.mqtt_client_id}-spb",
        f"spb.{uscc}.EDGE1": f"spb.{uscc}.EDGE1",
    }
    assert out.stat().st_mode & 0o777 == 0o600
    assert "s3cret-pass" not in out.read_text()


@pytest.mark.parametrize("bad", ["D 01", "D01\nuser x", "D0+", "D0#", "a/b", "\tD", "", "x" * 65, "设备"])
def test_one_device_id_grammar_with_a_chinese_message(bad: str) -> None:
    assert not broker_accounts.valid_device_id(bad)
    with pytest.raises(ValueError, match="设备编号"):
        broker_accounts.check_device_id(bad)


@pytest.mark.parametrize("bad", ["D01\n", "D 01", "D01\x00", "D\tX"])
def test_births_and_telemetry_with_a_bad_id_are_refused_in_chinese(bad: str) -> None:
    from collectors.models import Rejected
    from collectors.payloads import parse_message

    uscc = factories.uscc()
    for kind in ("birth", "telemetry"):
        parsed = parse_message(f"plant/{uscc}/{bad}/{kind}", b'{"ts": 1796000000000, "seq": 1}')
        assert isinstance(parsed, Rejected) and "设备编号" in parsed.reason


@pytest.mark.broker
def test_an_edge_node_speaks_only_for_its_own_group_and_node(tmp_path: Path) -> None:
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    simulator_password = "simulator-pass-1"
    edge = broker_accounts.edge_username("GRP1", "EDGE1")
    edge_password = broker_accounts.derived_password(simulator_password, edge)
    accounts = [
        broker_accounts.edge_account(group="GRP1", edge="EDGE1", password=edge_password),
        broker_accounts.admin_account(username=LISTENER[0], password=LISTENER[1]),
    ]
    broker = start_local_broker(workdir=tmp_path / "broker", accounts=accounts)
    received: list[str] = []
    arrived = threading.Event()
    listener = _connect(broker, *LISTENER, "listener", v5=True)
    node = _connect(broker, edge, edge_password, edge, v5=True)
    try:
        last = "spBv1.0/GRP1/NBIRTH/EDGE1"  # the barrier: sent last on the one connection, and allowed
        assert listener.subscribe(
            "spBv1.0/#", lambda topic, _p: (received.append(topic), topic == last and arrived.set()), qos=1
        )  # SUBACK
        for topic in ("spBv1.0/GRP2/NBIRTH/EDGE1", "spBv1.0/GRP1/NBIRTH/EDGE2", "spBv1.0/GRP1/NBIRTH/EDGE1"):
            node.publish(topic, b"x").wait_for_publish(5)
        assert arrived.wait(5)
        assert received == ["spBv1.0/GRP1/NBIRTH/EDGE1"]
        with pytest.raises(ConnectionRefusedError):
            _connect(broker, edge, edge_password, "diagnose-collector-1", v5=True)
    finally:
        node.stop()
        listener.stop()
        broker.stop()
