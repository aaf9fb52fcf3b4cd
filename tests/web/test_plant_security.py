"""Plant access through the web UI: a credential issued there works on a real Mosquitto, access ends
with the order, device ids follow the topic grammar, and no page shows the platform's broker password."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from sqlmodel import Session, select

from apps.processes.broker import start_local_broker
from collectors.client import Publisher
from collectors.payloads import telemetry_topic
from diagnose.db import make_engine
from diagnose.models import Device, DiagnosisOrder, Enterprise, OrderStatus
from diagnose.services.shopfloor import broker_accounts, devices
from tests.web.conftest import client_as, csrf_from
from web import create_app


def _app(world, tmp_path: Path, **settings: object):  # type: ignore[no-untyped-def]
    copy = tmp_path / "demo.db"
    shutil.copy(world.db_path, copy)
    config = world.settings(copy).model_copy(update=settings)
    return create_app(config, {"TESTING": True}), make_engine(url=f"sqlite:///{copy}")


def _issue(app, world) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    page = client.get(f"/provider/orders/{world.order_id}/devices").get_data(as_text=True)
    response = client.post(
        f"/provider/orders/{world.order_id}/devices/{world.device_id}/credentials",
        data={"csrf_token": csrf_from(page)},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    password = re.search(r'id="mqtt-password">([^<]+)<', html)
    assert password
    return html, password.group(1), page


@pytest.mark.broker
def test_a_credential_issued_in_the_ui_works_on_mosquitto(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    app, engine = _app(world, tmp_path)
    html, password, _page = _issue(app, world)
    with Session(engine) as session:
        device = session.get(Device, world.device_id)
        assert device is not None and device.registry_status == "active"
        uscc = session.get(Enterprise, device.enterprise_id).uscc  # type: ignore[union-attr]
        assert device.mqtt_username == f"{uscc}.{device.external_id}" and device.mqtt_username in html
        accounts = broker_accounts.registry_accounts(session=session)
        external_id = device.external_id
    accounts.append(broker_accounts.admin_account(username="listener", password="listener-pass"))
    broker = start_local_broker(workdir=tmp_path / "broker", accounts=accounts)
    got = threading.Event()
    listener = Publisher(url=broker.url_for("listener", "listener-pass"), client_id="listener").start(
        timeout_s=5
    )
    try:
        assert listener.subscribe("plant/#", lambda _t, _p: got.set(), qos=1)  # SUBACK
        username = f"{uscc}.{external_id}"
        plant = Publisher(url=broker.url_for(username, password), client_id=username).start(timeout_s=5)
        plant.publish(telemetry_topic(uscc, external_id), b'{"ts": 1, "seq": 1}').wait_for_publish(5)
        assert got.wait(5)
        plant.stop()
    finally:
        listener.stop()
        broker.stop()
    engine.dispose()


def test_no_page_shows_the_platforms_broker_password(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, engine = _app(world, tmp_path, mqtt_url="mqtt://diagnose-collector-1:TopSecret-9@10.0.0.5:1883")
    html, _password, page = _issue(app, world)
    for text in (html, page):
        assert "TopSecret-9" not in text and "mqtt://10.0.0.5:1883" in text
    engine.dispose()


def test_access_ends_with_the_order_and_added_devices_wait_for_confirmation(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, engine = _app(world, tmp_path)
    client = client_as(app, world, "provider")
    url = f"/provider/orders/{world.order_id}/devices"
    token = csrf_from(client.get(url).get_data(as_text=True))
    for bad in ("D 9", "D9\nuser x", "D+9"):
        response = client.post(url, data={"csrf_token": token, "external_id": bad, "networked": "on"})
        assert response.status_code == 302
    assert (
        client.post(url, data={"csrf_token": token, "external_id": "NEW-01", "networked": "on"}).status_code
        == 302
    )
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        assert order is not None
        added = session.exec(select(Device).where(Device.external_id == "NEW-01")).one()
        assert added.registry_status == "pending"
        assert not session.exec(select(Device).where(Device.external_id.in_(["D 9", "D+9"]))).all()  # type: ignore[attr-defined]
        order.status = OrderStatus.cancelled
        session.add(order)
        session.commit()
    assert client.post(url, data={"csrf_token": token, "external_id": "NEW-02"}).status_code == 403
    credentials = f"{url}/{world.device_id}/credentials"
    assert client.post(credentials, data={"csrf_token": token}).status_code == 403
    engine.dispose()


def test_rejected_device_id_message_is_chinese(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, engine = _app(world, tmp_path)
    client = client_as(app, world, "provider")
    url = f"/provider/orders/{world.order_id}/devices"
    token = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "external_id": "a b"}, follow_redirects=True)
    assert (
        "设备编号须为 1–64 位字母、数字或 _ . : -，不能全是点，不得含空格、控制字符或 / + #。"
        in response.get_data(as_text=True)
    )
    with pytest.raises(ValueError, match="设备编号"), Session(engine) as session:
        devices.register_device(session=session, actor="t", enterprise_id=1, external_id="x\ny")
    engine.dispose()


def test_the_devices_page_pages(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, engine = _app(world, tmp_path)
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        for i in range(60):
            devices.register_device(
                session=session,
                actor="t",
                enterprise_id=order.enterprise_id,
                external_id=f"ZZ{i:03d}",  # type: ignore[union-attr]
            )
        total = len(devices.list_devices(session=session, enterprise_id=order.enterprise_id))  # type: ignore[union-attr]
        session.commit()
    client = client_as(app, world, "provider")
    url = f"/provider/orders/{world.order_id}/devices"
    first = client.get(url).get_data(as_text=True)
    assert first.count("data-device-id=") == 50 and "ZZ059" not in first
    last = client.get(f"{url}?page=2").get_data(as_text=True)
    assert last.count("data-device-id=") == total - 50 and "ZZ059" in last
    rows = client.get(f"{url}.json?page=2").get_json()["devices"]
    assert len(rows) == total - 50
    engine.dispose()
