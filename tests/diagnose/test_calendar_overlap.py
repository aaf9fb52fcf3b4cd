"""An overlapping calendar rule is refused and names the rule it meets; nothing stored changes (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose.models import AuditLog, CalendarRule
from diagnose.services.shopfloor import plant_records
from diagnose.services.shopfloor.plant_records import CalendarOverlap
from tests import factories


def test_an_overlapping_shift_is_refused_naming_the_existing_one(engine: Engine) -> None:
    with Session(engine) as session:
        factories.regions(session)
        eid = factories.enterprise(session).id or 0
        morning = plant_records.add_calendar_rule(
            session=session,
            actor="test",
            enterprise_id=eid,
            raw={"kind": "shift", "weekday": "0", "start": "08:00", "end": "16:00", "label": "早班"},
        )
        plant_records.add_calendar_rule(
            session=session, actor="test", enterprise_id=eid, raw={"kind": "holiday", "day": "2026-10-01"}
        )
        session.commit()
        with pytest.raises(CalendarOverlap) as refused:
            plant_records.add_calendar_rule(
                session=session,
                actor="test",
                enterprise_id=eid,
                raw={"kind": "shift", "weekday": "0", "start": "15:00", "end": "23:00"},
            )
        assert refused.value.existing.id == morning.id and refused.value.field == "start"
        session.rollback()
        with pytest.raises(CalendarOverlap) as twice:
            plant_records.add_calendar_rule(
                session=session, actor="test", enterprise_id=eid, raw={"kind": "holiday", "day": "2026-10-01"}
            )
        assert twice.value.field == "day"
        session.rollback()
        # Another enterprise's calendar is its own.
        other = factories.enterprise(session, serial=2).id or 0
        plant_records.add_calendar_rule(
            session=session,
            actor="test",
            enterprise_id=other,
            raw={"kind": "shift", "weekday": "0", "start": "15:00", "end": "23:00"},
        )
        session.commit()
        rows = session.exec(select(CalendarRule).where(CalendarRule.enterprise_id == eid)).all()
        assert sorted((r.kind, r.start) for r in rows) == [("holiday", None), ("shift", "08:00")]
        adds = session.exec(select(AuditLog).where(AuditLog.action == "calendar.add")).all()
        assert len(adds) == 3
