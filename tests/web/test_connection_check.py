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
from diagnose.models import DeadLetter, Device, DiagnosisOrder, Enterprise, GatewayAccount
from diagnose.models.base import utcnow
from diagnose.services.shopfloor import payload_profiles
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


def test_the_gateway_check_shows_its_devices_readings_and_its_topics_refusals(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A Sparkplug gateway's check: readings of the devices its edge node named, refusals on its edge's topics
    (not another edge's); a profiled source's check: refusals on its own topic; linked from both pages; the
    provider only through the open order, the plant's engineer only for its own enterprise."""
    copy = tmp_path / "demo.db"
    shutil.copy(world.db_path, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        enterprise = session.get(Enterprise, order.enterprise_id)  # type: ignore[union-attr]
        assert enterprise is not None
        uscc = enterprise.uscc
        device = session.get(Device, world.device_id)
        assert device is not None
        device.edge_node = "line1"
        session.add(device)
        edge = GatewayAccount(
            enterprise_id=enterprise.id,  # type: ignore[arg-type]
            name="edge1",
            kind="sparkplug",
            edge_node="line1",
            password_hash="x",
            created_at=utcnow(),
        )
        session.add(edge)
        good = {"ts": "2026-12-07T09:00:00+08:00", "seq": 888_001, "state": "RUN", "count_total": 5151}
        _send(
            session,
            telemetry_topic(uscc, device.external_id),
            [json.dumps(good).encode()],
            {(uscc, device.external_id): device.id},  # type: ignore[dict-item]
        )
        session.add(DeadLetter(topic=f"spBv1.0/{uscc}/DDATA/line1/{device.external_id}", payload=b"\x01",
                               reason="sparkplug: unknown alias 99"))  # fmt: skip
        session.add(DeadLetter(topic=f"spBv1.0/{uscc}/DDATA/line2/M09", payload=b"\x02", reason="other edge"))
        payload_profiles.choose(
            session=session,
            enterprise=enterprise,
            source="gw1",
            profile="neuron-values",
            spec=None,
            actor="t",
        )
        _send(session, telemetry_topic(uscc, "gw1"), [b"neuron sent no json"], {})
        session.commit()
        edge_id, external_id = edge.id, device.external_id
    app = create_app(world.settings(copy), {"TESTING": True})
    provider = client_as(app, world, "provider")
    url = f"/provider/orders/{world.order_id}/gateways/{edge_id}/check"
    html = provider.get(url).get_data(as_text=True)
    assert "连接检查" in html and "edge1" in html
    assert 'data-seq="888001"' in html and "5151" in html and f'data-device="{external_id}"' in html
    assert "DDATA/line1/" in html and "line2" not in html and "other edge" not in html
    assert url in provider.get(f"/provider/orders/{world.order_id}/gateways").get_data(as_text=True)
    live = provider.get(url + "?part=live").get_data(as_text=True)
    assert 'data-seq="888001"' in live and "<html" not in live

    source_url = f"/provider/orders/{world.order_id}/sources/gw1/check"
    source = provider.get(source_url).get_data(as_text=True)
    assert f"plant/{uscc}/gw1/telemetry" in source and "DDATA/line1" not in source
    assert "不记录" in source  # the page says readings are not attributed to a gateway
    assert source_url in provider.get(f"/provider/orders/{world.order_id}/profiles").get_data(as_text=True)
    assert provider.get(f"/provider/orders/{world.order_id}/sources/nosuch/check").status_code == 404

    engineer = client_as(app, world, "enterprise")
    own = engineer.get(f"/enterprise/gateways/{edge_id}/check").get_data(as_text=True)
    assert 'data-seq="888001"' in own
    assert f"/enterprise/gateways/{edge_id}/check" in engineer.get("/enterprise/gateways").get_data(
        as_text=True
    )
    assert f"plant/{uscc}/gw1/telemetry" in engineer.get("/enterprise/sources/gw1/check").get_data(
        as_text=True
    )
    assert "/enterprise/sources/gw1/check" in engineer.get("/enterprise/profiles").get_data(as_text=True)
    other = client_as(app, world, "enterprise_other")
    assert other.get(f"/enterprise/gateways/{edge_id}/check").status_code == 404
    assert other.get("/enterprise/sources/gw1/check").status_code == 404
    other_provider = client_as(app, world, "provider_other")
    assert other_provider.get(url).status_code == 404
    engine.dispose()
