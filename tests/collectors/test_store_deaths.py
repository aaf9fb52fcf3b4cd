"""An edge node's death takes only its own devices offline; a device's death only that device."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from collectors.models import DeviceBirth, DeviceDeath, Parsed
from collectors.store import Incoming, store_batch
from diagnose.models import Device
from tests import factories

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _store(session: Session, *items: Parsed) -> None:
    store_batch(session=session, items=[Incoming("spBv1.0/test", b"", item) for item in items], device_ids={})
    session.commit()


def _online(session: Session) -> dict[str, bool]:
    return {d.external_id: d.online for d in session.exec(select(Device)).all()}


def test_ndeath_marks_only_the_devices_born_under_that_edge_node(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        uscc = enterprise.uscc
        factories.device(session, enterprise.id, "json-1", protocol="json")  # type: ignore[arg-type]
        factories.device(session, enterprise.id, "legacy", protocol="sparkplug")  # type: ignore[arg-type]
        session.commit()
        births = [
            DeviceBirth(uscc, "cnc-01", "CNC", None, 30.0, source="sparkplug", edge_node="EDGE1"),
            DeviceBirth(uscc, "cnc-02", "CNC", None, 30.0, source="sparkplug", edge_node="EDGE1"),
            DeviceBirth(uscc, "press-01", "冲压机", None, 6.0, source="sparkplug", edge_node="EDGE2"),
        ]
        _store(session, *births)
        for device in session.exec(select(Device)).all():
            device.online = True
            device.registry_status = "active"
            session.add(device)
        session.commit()
        assert session.exec(select(Device.edge_node).where(Device.external_id == "press-01")).one() == "EDGE2"

        _store(session, DeviceDeath(uscc, None, T0, edge_node="EDGE1"))
        assert _online(session) == {
            "json-1": True,  # JSON devices have no edge node
            "legacy": False,  # edge node unknown (born before it was recorded): it may hang off EDGE1
            "cnc-01": False,
            "cnc-02": False,
            "press-01": True,  # another edge node's device lives on
        }

        _store(session, DeviceDeath(uscc, "press-01", T0, edge_node="EDGE2"))
        assert _online(session)["press-01"] is False
