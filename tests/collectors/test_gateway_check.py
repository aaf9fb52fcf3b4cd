"""The gateway check's reads on SQLite and PostgreSQL: a Sparkplug gateway's readings are those of the devices its
edge node named and its refusals those of its edge's topics only; a profiled source's refusals are those of its
own topic; a JSON gateway account's cover every plant topic of its enterprise and none of another's."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from collectors.payloads import parse_message, telemetry_topic
from collectors.store import DeadLetterPolicy, Incoming, store_batch
from diagnose.models import DeadLetter, Device, Enterprise, GatewayAccount
from diagnose.models.base import utcnow
from diagnose.services.shopfloor.connection_check import check_gateway
from tests import factories
from tests.collectors.brokerkit import make_plant


def _gateway(enterprise_id: int, name: str, kind: str, edge: str | None) -> GatewayAccount:
    return GatewayAccount(
        enterprise_id=enterprise_id,
        name=name,
        kind=kind,
        edge_node=edge,
        password_hash="x",
        created_at=utcnow(),
    )


def test_each_gateway_sees_its_own_messages(engine: Engine) -> None:
    uscc = make_plant(engine, ["M01", "M02"])
    with Session(engine) as session:
        other = factories.enterprise(session, serial=2, name="另一家企业").uscc
        session.commit()
    with Session(engine) as session:
        enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).one()
        devices = {
            d.external_id: d
            for d in session.exec(select(Device).where(Device.enterprise_id == enterprise.id))
        }
        devices["M01"].edge_node = "line1"
        session.add(devices["M01"])
        edge = _gateway(enterprise.id, "edge1", "sparkplug", "line1")  # type: ignore[arg-type]
        plain = _gateway(enterprise.id, "gw1", "json", None)  # type: ignore[arg-type]
        session.add_all([edge, plain])
        ids = {(uscc, name): device.id for name, device in devices.items()}
        items = []
        for name, seq in (("M01", 1), ("M02", 2)):
            topic = telemetry_topic(uscc, name)
            body = json.dumps({"ts": "2026-12-07T08:00:00+08:00", "seq": seq, "count_total": seq}).encode()
            items.append(Incoming(topic, body, parse_message(topic, body)))
        for topic in (telemetry_topic(uscc, "gw1"), telemetry_topic(other, "M01")):
            items.append(Incoming(topic, b"not json", parse_message(topic, b"not json")))
        store_batch(
            session=session,
            items=items,
            device_ids=ids,  # type: ignore[arg-type]
            dead_letters=DeadLetterPolicy(per_device_hour=100, max_bytes=8_192),
        )
        for topic in (
            f"spBv1.0/{uscc}/DDATA/line1/M01",
            f"spBv1.0/{uscc}/DDATA/line2/line1",
            f"spBv1.0/{uscc}/NDATA/line1",
        ):
            session.add(DeadLetter(topic=topic, payload=b"\x00", reason="sparkplug: test"))
        session.commit()

        spb = check_gateway(session=session, enterprise_id=enterprise.id, uscc=uscc, gateway=edge)  # type: ignore[arg-type]
        assert spb.devices == ["M01"] and [r.device for r in spb.received] == ["M01"]
        assert sorted(d.topic for d in spb.refused) == [
            f"spBv1.0/{uscc}/DDATA/line1/M01",
            f"spBv1.0/{uscc}/NDATA/line1",
        ]  # not line2's device that happens to be named line1
        source = check_gateway(session=session, enterprise_id=enterprise.id, uscc=uscc, source="gw1")  # type: ignore[arg-type]
        assert [d.topic for d in source.refused] == [telemetry_topic(uscc, "gw1")]
        assert source.devices is None and {r.device for r in source.received} == {"M01", "M02"}
        assert source.refused_count == 1
        by_topic = check_gateway(
            session=session,
            enterprise_id=enterprise.id,
            uscc=uscc,
            source="M02",
            device_from_topic=True,  # type: ignore[arg-type]
        )
        assert [r.device for r in by_topic.received] == ["M02"] and by_topic.refused == []
        json_gw = check_gateway(session=session, enterprise_id=enterprise.id, uscc=uscc, gateway=plain)  # type: ignore[arg-type]
        assert [d.topic for d in json_gw.refused] == [
            telemetry_topic(uscc, "gw1")
        ]  # not the other enterprise's
        assert json_gw.device_count == 2
