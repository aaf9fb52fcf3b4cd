"""Per-device MQTT credentials enforced by a real Mosquitto: own topics only, refused otherwise, reloaded on SIGHUP."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlmodel import Session

from apps.broker import BrokerAuthFiles, start_local_broker
from apps.cli.collect import register
from collectors.client import Publisher
from collectors.payloads import telemetry_topic
from diagnose.models import Device
from diagnose.services import devices
from tests import factories

PLATFORM = ("platform", "platform-secret-1")


def _url(port: int, username: str | None = None, password: str | None = None) -> str:
    userinfo = f"{username}:{password}@" if username else ""
    return f"mqtt://{userinfo}127.0.0.1:{port}"


def _write(files: BrokerAuthFiles, auth: devices.BrokerAuth) -> None:
    files.passwd.write_text(auth.passwd)
    files.acl.write_text(auth.acl)


def test_each_device_publishes_only_its_own_topics(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if not shutil.which("mosquitto"):
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
        auth = devices.broker_auth(
            session=session, service_username=PLATFORM[0], service_password=PLATFORM[1]
        )
        session.commit()
    assert auth.devices == 2  # the pending device gets no line until it is confirmed
    files = BrokerAuthFiles(tmp_path / "passwd", tmp_path / "acl")
    _write(files, auth)
    broker = start_local_broker(workdir=tmp_path / "broker", auth=files)
    received: list[str] = []
    arrived = threading.Event()
    opened: list[Publisher] = []

    def connect(url: str, client_id: str) -> Publisher:
        publisher = Publisher(url=url, client_id=client_id).start(timeout_s=5)
        opened.append(publisher)
        return publisher

    try:
        listener = connect(_url(broker.port, *PLATFORM), "listener")
        listener.subscribe("plant/#", lambda topic, _p: (received.append(topic), arrived.set()), qos=1)
        time.sleep(0.3)  # SUBACK
        device = connect(_url(broker.port, one.username, one.password), "device-d01")
        device.publish(telemetry_topic(uscc, "D02"), b'{"spoofed": true}').wait_for_publish(5)
        device.publish(telemetry_topic(uscc, "D01"), b'{"ts": 1, "seq": 1}').wait_for_publish(5)
        assert arrived.wait(5)
        time.sleep(0.3)
        assert received == [telemetry_topic(uscc, "D01")]  # D01 could not speak for D02

        for username, password in [
            (one.username, "wrong-password"),
            (None, None),
            (unconfirmed.username, unconfirmed.password),
        ]:
            with pytest.raises(ConnectionRefusedError, match="refused"):
                connect(_url(broker.port, username, password), f"refused-{username}")

        # New credentials for D02: the old password stops working once the files are rewritten and reloaded.
        with Session(engine) as session:
            d02_again = session.get(Device, d02_id)
            renewed = devices.issue_mqtt_credentials(session=session, actor="t", device=d02_again, uscc=uscc)  # type: ignore[arg-type]
            _write(
                files,
                devices.broker_auth(
                    session=session, service_username=PLATFORM[0], service_password=PLATFORM[1]
                ),
            )
            session.commit()
        broker.reload()
        time.sleep(0.5)
        with pytest.raises(ConnectionRefusedError):
            connect(_url(broker.port, two.username, two.password), "device-d02-old")
        connect(_url(broker.port, renewed.username, renewed.password), "device-d02-new")
    finally:
        for publisher in opened:
            publisher.stop()
        broker.stop()


def test_cli_writes_both_files_with_the_platform_account(engine, db_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        device = factories.device(session, enterprise.id, "D01")  # type: ignore[arg-type]
        uscc = enterprise.uscc
        creds = devices.issue_mqtt_credentials(session=session, actor="t", device=device, uscc=uscc)
        session.commit()
    settings = db_settings.model_copy(update={"mqtt_url": "mqtt://platform:s3cret-pass@127.0.0.1:1883"})
    group = click.Group("diagnose")
    register(group)
    result = CliRunner().invoke(
        group,
        ["devices", "broker-auth", "--passwd", str(tmp_path / "passwd"), "--acl", str(tmp_path / "acl")],
        obj=settings,
    )
    assert result.exit_code == 0, result.output
    assert "1 devices, platform account platform" in result.output
    passwd = (tmp_path / "passwd").read_text().splitlines()
    assert [line.split(":")[0] for line in passwd] == ["platform", creds.username]
    assert devices.check_mosquitto_hash("s3cret-pass", passwd[0].split(":", 1)[1])
    acl = (tmp_path / "acl").read_text()
    assert "user platform\ntopic readwrite #" in acl
    assert f"topic write plant/{uscc}/D01/#" in acl
    assert (tmp_path / "passwd").stat().st_mode & 0o777 == 0o640


def test_a_platform_account_without_password_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session, pytest.raises(ValueError, match="password"):
        devices.broker_auth(session=session, service_username="platform", service_password=None)
