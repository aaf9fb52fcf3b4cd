"""Issue #21, gateway accounts, on real parts: one gateway login (created with `diagnose gateways create`) carries
40 devices of its enterprise through the closed Mosquitto into a real `diagnose collect`; it is refused (MQTT 5
PUBACK "Not authorized") for another enterprise's device, and nothing is stored for that enterprise; a device it
names that the registry does not know becomes pending; it may not take another account's client id."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from click.testing import CliRunner
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from apps.cli import main
from apps.processes.broker import start_local_broker
from collectors.payloads import telemetry_topic
from diagnose.models import AuditLog, DeadLetter, Device, Enterprise, GatewayAccount, Telemetry
from diagnose.services.shopfloor import broker_accounts
from diagnose.services.shopfloor import gateways as gateway_service
from diagnose.settings import Settings
from tests.collectors.brokerkit import make_plants, wait_until
from tests.collectors.processkit import PROCESS_START_S, CollectProcess

pytestmark = [pytest.mark.broker, pytest.mark.slow]
T = 1_796_000_000_000  # epoch ms, 2026-11-30
MACHINES = [f"M{index:02d}" for index in range(1, 41)]
PER_MACHINE = 5
NOT_AUTHORIZED = 135  # MQTT 5 reason code 0x87


class Gateway:
    """A plain paho MQTT 5 client, as a gateway's MQTT layer is: it records every PUBACK's reason code."""

    def __init__(self, port: int, username: str, password: str, client_id: str) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(username, password)
        self.acks: dict[int, int] = {}
        self.connected = threading.Event()
        self.refused: ReasonCode | None = None
        self._lock = threading.Lock()
        self.client.on_publish = self._on_publish
        self.client.on_connect = self._on_connect
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_connect(self, _c: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        if reason.is_failure:
            self.refused = reason
        self.connected.set()

    def _on_publish(
        self, _c: mqtt.Client, _u: object, mid: int, reason: ReasonCode, _p: Properties | None
    ) -> None:
        with self._lock:
            self.acks[mid] = reason.value

    def publish(self, topic: str, payload: bytes) -> int:
        return self.client.publish(topic, payload, qos=1).mid

    def wait_acks(self, mids: list[int]) -> list[int]:
        wait_until(lambda: all(mid in self.acks for mid in mids), what="every PUBACK")
        return [self.acks[mid] for mid in mids]

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def workdir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="diagnose-gw-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _stored(engine: Engine, uscc: str) -> dict[str, list[int]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Device.external_id, Telemetry.seq)
            .join(Device)
            .join(Enterprise)
            .where(Enterprise.uscc == uscc)
        ).all()
    stored: dict[str, list[int]] = {}
    for device, seq in rows:
        stored.setdefault(device, []).append(int(seq))
    return {device: sorted(seqs) for device, seqs in stored.items()}


def _create(db_settings: Settings, *args: str) -> dict[str, str]:
    result = CliRunner().invoke(main, ["gateways", "create", *args], obj=db_settings)
    assert result.exit_code == 0, result.output
    return dict(line.split(": ", 1) for line in result.output.splitlines())


def test_one_gateway_login_carries_40_devices_and_is_refused_for_another_enterprise(
    engine: Engine, db_settings: Settings, db_url: str, workdir: Path
) -> None:
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    own, other = make_plants(engine, 2, devices=MACHINES)
    made = _create(db_settings, own, "NEURON1", "--client-suffix", ".b")
    login, password = made["username"], made["password"]
    assert login == f"gw.{own}.NEURON1"
    with Session(engine) as session:
        [gateway] = session.exec(select(GatewayAccount)).all()
        assert password not in gateway.password_hash and gateway.password_hash.startswith("$7$")
        assert session.exec(select(AuditLog).where(AuditLog.action == "gateway.create")).first() is not None
        accounts = gateway_service.gateway_broker_accounts(session=session)
    run = uuid.uuid4().hex[:6]
    collector_id, collector_pw = f"collector-{run}", "collector-secret-1"
    accounts += broker_accounts.collector_accounts(
        username=collector_id, password=collector_pw, client_id=collector_id
    )
    broker = start_local_broker(workdir=workdir / "broker", accounts=accounts)
    collector = CollectProcess(
        db_url=db_url,
        mqtt_url=broker.url_for(collector_id, collector_pw),
        client_id=collector_id,
        folder=workdir,
    )
    gateways: list[Gateway] = []

    def connect(username: str, client_id: str, secret: str = password) -> Gateway:
        gateway = Gateway(broker.port, username, secret, client_id)
        gateways.append(gateway)
        assert gateway.connected.wait(10)
        return gateway

    try:
        for uscc in (own, other):
            result = CliRunner().invoke(main, ["collectors", "assign", collector_id, uscc], obj=db_settings)
            assert result.exit_code == 0, result.output
        collector.start().wait_holding(engine, own, other)

        # Another account's client id, a client id outside its set, a wrong password: refused at CONNECT.
        for username, client_id, secret in [
            (login, collector_id, password),
            (login, f"{login}.c", password),
            (login, login, "wrong-password"),
        ]:
            refused = connect(username, client_id, secret)
            assert refused.refused is not None, (username, client_id)
        gateway = connect(login, login)
        second = connect(f"{login}.b", f"{login}.b")  # a further connection of the same gateway
        assert gateway.refused is None and second.refused is None

        mids = []
        for index, machine in enumerate(MACHINES):
            sender = gateway if index % 2 == 0 else second
            for seq in range(1, PER_MACHINE + 1):
                body = {"ts": T + seq * 1000, "seq": seq, "state": "RUN", "count_total": seq}
                mids.append(
                    (sender, sender.publish(telemetry_topic(own, machine), json.dumps(body).encode()))
                )
        for sender in (gateway, second):
            assert set(sender.wait_acks([mid for who, mid in mids if who is sender])) == {0}  # all accepted

        # Another enterprise's device: the broker says so (MQTT 5 PUBACK 0x87), nothing reaches the collector.
        spoof = gateway.publish(telemetry_topic(other, "M01"), json.dumps({"ts": T, "seq": 1}).encode())
        assert gateway.wait_acks([spoof]) == [NOT_AUTHORIZED]
        # A machine the registry does not know yet: pending (under the enterprise's cap), replayed on confirmation.
        unknown = gateway.publish(telemetry_topic(own, "M41"), json.dumps({"ts": T, "seq": 1}).encode())
        assert gateway.wait_acks([unknown]) == [0]

        expected = {machine: list(range(1, PER_MACHINE + 1)) for machine in MACHINES}
        wait_until(lambda: _stored(engine, own) == expected, timeout_s=PROCESS_START_S, what="40 × 5 stored")
        wait_until(
            lambda: _pending(engine, own) == ["M41"], timeout_s=PROCESS_START_S, what="M41 registered pending"
        )
        assert _stored(engine, other) == {}
        with Session(engine) as session:
            letters = session.exec(select(DeadLetter)).all()
        assert [letter.topic for letter in letters] == [telemetry_topic(own, "M41")]
        assert "registered as pending" in letters[0].reason
    finally:
        for gateway in gateways:
            gateway.stop()
        collector.stop()
        broker.stop(kill=True)


def _pending(engine: Engine, uscc: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Device.external_id)
                .join(Enterprise)
                .where(Enterprise.uscc == uscc, Device.registry_status == "pending")
            ).all()
        )


def test_gateway_cli_lists_without_passwords_and_revoked_logins_leave_the_broker_file(
    engine: Engine, db_settings: Settings, tmp_path: Path
) -> None:
    [own] = make_plants(engine, 1)
    made = _create(db_settings, own, "EDGE1", "--sparkplug-edge", "line1")
    spb = _create(db_settings, own, "NR1")
    assert made["may publish"] == f"spBv1.0/{own}/+/line1 spBv1.0/{own}/+/line1/#"
    again = CliRunner().invoke(main, ["gateways", "create", own, "NR1"], obj=db_settings)
    assert again.exit_code != 0 and "exists" in again.output
    bad = CliRunner().invoke(main, ["gateways", "create", own, "a.b"], obj=db_settings)
    assert bad.exit_code != 0 and "gateway name" in bad.output
    listed = CliRunner().invoke(main, ["gateways", "list"], obj=db_settings).output
    assert f"{own} EDGE1 sparkplug edge=line1 login=gw.{own}.EDGE1" in listed
    assert made["password"] not in listed and spb["password"] not in listed

    settings = db_settings.model_copy(update={"mqtt_url": "mqtt://collector-a:s3cret-pass@127.0.0.1:1883"})
    out = tmp_path / "dynamic-security.json"

    def logins() -> set[str]:
        result = CliRunner().invoke(main, ["devices", "broker-auth", "--out", str(out)], obj=settings)
        assert result.exit_code == 0, result.output
        return {client["username"] for client in json.loads(out.read_text())["clients"]}

    assert {f"gw.{own}.EDGE1", f"gw.{own}.NR1"} <= logins()
    rotated = CliRunner().invoke(main, ["gateways", "rotate", own, "EDGE1"], obj=db_settings)
    assert rotated.exit_code == 0, rotated.output
    new_password = dict(line.split(": ", 1) for line in rotated.output.splitlines())["password"]
    with Session(engine) as session:
        edge1 = gateway_service.find_gateway(session=session, uscc=own, name="EDGE1")
        assert broker_accounts.check_mosquitto_hash(new_password, edge1.password_hash)  # type: ignore[union-attr]
        assert not broker_accounts.check_mosquitto_hash(made["password"], edge1.password_hash)  # type: ignore[union-attr]
    revoked = CliRunner().invoke(main, ["gateways", "revoke", own, "NR1"], obj=db_settings)
    assert revoked.exit_code == 0, revoked.output
    assert f"gw.{own}.NR1" not in logins() and f"gw.{own}.EDGE1" in logins()
    assert "revoked" in CliRunner().invoke(main, ["gateways", "list", "--all"], obj=db_settings).output
    with Session(engine) as session:
        actions = session.exec(
            select(func.count()).select_from(AuditLog).where(AuditLog.entity == "gateway")
        ).one()
    assert actions == 4  # two created, one new password, one revoked
