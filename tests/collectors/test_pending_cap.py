"""Auto-registration is bounded: pending devices per enterprise per hour are capped, the rest dead-lettered."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from collectors.payloads import birth_topic, parse_message, telemetry_topic
from collectors.store import Incoming, store_batch
from diagnose.models import DeadLetter, Device
from tests import factories


def _incoming(topic: str, body: dict[str, object]) -> Incoming:
    payload = json.dumps(body).encode()
    return Incoming(topic, payload, parse_message(topic, payload))


def test_new_device_ids_beyond_the_cap_are_dead_lettered_with_the_reason(engine: Engine) -> None:
    with Session(engine) as session:
        factories.regions(session)
        one, two = factories.enterprise(session, serial=1), factories.enterprise(session, serial=2)
        session.commit()
        flood = [
            _incoming(telemetry_topic(one.uscc, f"X{i:03d}"), {"ts": 1_796_000_000_000, "seq": 1})
            for i in range(5)
        ]
        flood.append(_incoming(birth_topic(one.uscc, "B001"), {"kind": "CNC"}))
        flood.append(_incoming(telemetry_topic(two.uscc, "Y001"), {"ts": 1_796_000_000_000, "seq": 1}))
        report = store_batch(session=session, items=flood, device_ids={}, pending_per_hour=3)
        session.commit()
        assert report.pending_registered == [
            (one.uscc, "X000"),
            (one.uscc, "X001"),
            (one.uscc, "X002"),
            (two.uscc, "Y001"),
        ]
        pending = session.exec(select(Device.external_id).where(Device.enterprise_id == one.id)).all()
        assert sorted(pending) == ["X000", "X001", "X002"]
        capped = session.exec(
            select(DeadLetter).where(DeadLetter.reason.startswith("pending device cap"))
        ).all()  # type: ignore[attr-defined]
        assert sorted(letter.topic for letter in capped) == [
            birth_topic(one.uscc, "B001"),
            telemetry_topic(one.uscc, "X003"),
            telemetry_topic(one.uscc, "X004"),
        ]
        # A later batch within the hour is capped as well: the count comes from the database.
        later = store_batch(
            session=session,
            items=[_incoming(telemetry_topic(one.uscc, "X999"), {"ts": 1_796_000_000_000, "seq": 1})],
            device_ids={},
            pending_per_hour=3,
        )
        assert later.pending_registered == [] and later.dead_lettered == 1
