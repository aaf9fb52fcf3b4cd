"""The live connection check: one device's newest readings and refused messages with reasons, for the provider
on an open order and the plant's own engineer, and nothing of another device or tenant."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlmodel import Session

from collectors.payloads import parse_message, telemetry_topic
from collectors.store import DeadLetterPolicy, Incoming, store_batch
from diagnose.db import make_engine
from diagnose.models import Device, DiagnosisOrder, Enterprise
from tests.web.conftest import client_as
from web import create_app


def _send(
    session: Session, topic: str, payloads: list[bytes], device_ids: dict[tuple[str, str], int]
) -> None:
    store_batch(
        session=session,
        items=[Incoming(topic, p, parse_message(topic, p)) for p in payloads],
        device_ids=device_ids,
        dead_letters=DeadLetterPolicy(per_device_hour=100, max_bytes=8_192),
    )


def test_the_check_shows_what_the_device_just_sent_and_why_the_rest_was_refused(
    world, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "demo.db"
    shutil.copy(world.db_path, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        uscc = session.get(Enterprise, order.enterprise_id).uscc  # type: ignore[union-attr]
        device = session.get(Device, world.device_id)
        assert device is not None
        good = {"ts": "2026-12-07T08:00:00+08:00", "seq": 777_001, "state": "RUN", "count_total": 4242}
        _send(
            session,
            telemetry_topic(uscc, device.external_id),
            [json.dumps(good).encode(), b'{"ts": "2026-12-07T08:00:05+08:00", "seq": "x"}'],
            {(uscc, device.external_id): device.id},  # type: ignore[dict-item]
        )
        _send(session, telemetry_topic(uscc, "OTHER-9"), [b"not json from another device"], {})
        session.commit()
        external_id = device.external_id
    app = create_app(world.settings(copy), {"TESTING": True})
    provider = client_as(app, world, "provider")
    url = f"/provider/orders/{world.order_id}/devices/{world.device_id}/check"
    html = provider.get(url).get_data(as_text=True)
    assert "连接检查" in html and external_id in html
    assert 'data-seq="777001"' in html and "4242" in html and "运行" in html
    assert "seq" in html and "OTHER-9" not in html and "not json" not in html
    assert "1 条" in html  # refused since the previous whole hour began
    live = provider.get(url + "?part=live").get_data(as_text=True)
    assert 'data-seq="777001"' in live and "<html" not in live  # the fragment the page reloads
    devices_page = provider.get(f"/provider/orders/{world.order_id}/devices").get_data(as_text=True)
    assert url in devices_page
    engineer = client_as(app, world, "enterprise")
    own = engineer.get(f"/enterprise/devices/{world.device_id}/check").get_data(as_text=True)
    assert 'data-seq="777001"' in own
    assert f"/enterprise/devices/{world.device_id}/check" in engineer.get("/enterprise/devices").get_data(
        as_text=True
    )
    assert (
        client_as(app, world, "enterprise_other")
        .get(f"/enterprise/devices/{world.device_id}/check")
        .status_code
        == 404
    )
    engine.dispose()
