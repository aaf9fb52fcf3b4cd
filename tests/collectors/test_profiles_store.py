"""Profiled readings through the store, on SQLite and PostgreSQL: devices a gateway names are checked as the
enterprise's (unknown ones pending, another enterprise's never written to), text attributes are stored beside
the metrics, a redelivery without seq is stored once; the collector's copy of the choices follows the table."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from collectors.profiles import parse
from collectors.replay import replay_device
from collectors.store import Incoming, store_batch
from diagnose.models import DeadLetter, Device, Enterprise, Telemetry
from diagnose.payload_profiles import builtins
from diagnose.services.shopfloor import device_review, payload_profiles
from tests import factories

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def _plants(engine: Engine) -> tuple[str, str]:
    with Session(engine) as session:
        factories.regions(session)
        mine = factories.enterprise(session, serial=1)
        other = factories.enterprise(session, serial=2)
        factories.device(session, mine.id, "CNC-01")  # type: ignore[arg-type]
        factories.device(session, other.id, "PRESS-09")  # type: ignore[arg-type]
        session.commit()
        return mine.uscc, other.uscc


def _store(engine: Engine, topic: str, payload: bytes) -> None:
    items = parse(topic, payload, builtins()["thingsboard-gateway"], received_at=NOW)
    with Session(engine) as session:
        store_batch(session=session, items=[Incoming(topic, payload, item) for item in items], device_ids={})
        session.commit()


def test_a_gateway_names_only_its_own_enterprises_devices(engine: Engine) -> None:
    mine, other = _plants(engine)
    topic = f"plant/{mine}/tb-gw1/telemetry"
    payload = json.dumps(
        {
            "CNC-01": [{"ts": 1_765_094_400_000, "values": {"count_total": "7", "operator": "李四"}}],
            "PRESS-09": [{"ts": 1_765_094_400_000, "values": {"count_total": 1}}],  # the other plant's id
        }
    ).encode()
    _store(engine, topic, payload)
    _store(engine, topic, payload)  # redelivered: no seq, same content → same key
    with Session(engine) as session:
        rows = session.exec(select(Telemetry, Device).join(Device)).all()
        assert [(d.external_id, t.count_total, t.metrics) for t, d in rows] == [
            ("CNC-01", 7, {"operator": "李四"})
        ]
        pending = session.exec(
            select(Device).join(Enterprise).where(Enterprise.uscc == mine, Device.external_id == "PRESS-09")
        ).one()
        assert pending.registry_status == "pending"  # registered under the topic's enterprise, to confirm
        theirs = session.exec(
            select(Device).join(Enterprise).where(Enterprise.uscc == other, Device.external_id == "PRESS-09")
        ).one()
        assert theirs.last_seen_at is None  # the other enterprise's device is never written to
        reasons = [letter.reason for letter in session.exec(select(DeadLetter)).all()]
        assert reasons and all("unknown device PRESS-09" in reason for reason in reasons)


def test_the_collectors_copy_of_the_choices_follows_the_table(engine: Engine) -> None:
    mine, _other = _plants(engine)
    book = payload_profiles.ProfileBook(engine)
    assert book.refresh() and book.lookup(mine, "tb-gw1") is None
    with Session(engine) as session:
        enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == mine)).one()
        payload_profiles.choose(
            session=session, enterprise=enterprise, source="tb-gw1", profile="thingsboard-gateway",
            spec=None, actor="test",
        )  # fmt: skip
        session.commit()
    assert book.lookup(mine, "tb-gw1") is None  # read again only on refresh (a thread of the collector's)
    assert book.refresh()
    profile = book.lookup(mine, "tb-gw1")
    assert profile is not None and profile.name == "thingsboard-gateway"


def test_a_pending_devices_readings_from_a_gateway_are_replayed_once_confirmed(engine: Engine) -> None:
    mine, _other = _plants(engine)
    topic = f"plant/{mine}/tb-gw1/telemetry"
    payload = json.dumps(
        {
            "CNC-01": {"values": {"count_total": 3}},
            "NEW-7": [  # not registered yet; the second reading has no ts: the time of arrival
                {"ts": 1_765_094_400_000, "values": {"count_total": 11, "state": 2}},
                {"values": {"count_total": 12}},
            ],
        }
    ).encode()
    _store(engine, topic, payload)
    with Session(engine) as session:
        enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == mine)).one()
        pending = session.exec(select(Device).where(Device.external_id == "NEW-7")).one()
        assert pending.registry_status == "pending"
        device_review.review_devices(
            session=session, actor="test", enterprise_id=enterprise.id, device_ids=[pending.id],  # type: ignore[arg-type,list-item]
            decision="confirm", reason="",
        )  # fmt: skip
        report = replay_device(session=session, uscc=mine, external_id="NEW-7")
        session.commit()
        assert (report.replayed, report.inserted, report.still_failing) == (2, 2, [])
        rows = session.exec(
            select(Telemetry).where(Telemetry.device_id == pending.id).order_by(Telemetry.ts)  # type: ignore[arg-type]
        ).all()
        assert [(r.ts, r.count_total, r.state) for r in rows] == [
            (datetime(2025, 12, 7, 8, 0, tzinfo=UTC), 11, "RUN"),
            (NOW, 12, None),  # the time it first arrived, not the replay's
        ]
        again = replay_device(session=session, uscc=mine, external_id="NEW-7")
        assert again.replayed == 0
