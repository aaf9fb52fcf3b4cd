"""The demo reads true (issue #22): every order's dates in order, a scored diagnosis in each bureau, one plant
scored on 0.2 h of telemetry that says 数据不足, one roadmap earning a subsidy under a policy in force on the
day it was scored, and every printed login with something to do."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from apps.demo import sample_data
from collectors.backfill import enterprise_history
from diagnose.db import make_engine
from diagnose.models import Bureau, DiagnosisOrder, Enterprise, Result
from diagnose.services.diagnosis import evidence_snapshot, orders
from scoring.china_time import china_today, to_china


def test_the_sample_orders_read_true(demo_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    with Session(engine) as session:
        scored_in: set[str] = set()
        subsidies = []
        for order in session.exec(select(DiagnosisOrder)):
            steps = [order.created_at, order.assigned_at, order.submitted_at, order.accepted_at]
            known = [s for s in steps if s is not None]
            assert known == sorted(known), order.number
            if order.visit_date is not None:
                assert to_china(order.created_at).date() <= order.visit_date, order.number
                if order.submitted_at is not None:
                    assert order.visit_date <= to_china(order.submitted_at).date(), order.number
            result = session.exec(select(Result).where(Result.order_id == order.id)).first()
            if result is None:
                continue
            # Scored on the visit, with the evidence of the week before it.
            assert order.visit_date == to_china(result.created_at).date(), order.number
            snapshot = evidence_snapshot.of_result(session=session, result=result)
            assert snapshot.window.end == result.created_at
            scored_in.add(session.get(Bureau, order.bureau_id).name)  # type: ignore[union-attr]
            subsidy = result.detail["subsidy"]
            subsidies.append((float(subsidy["total_cny"]), subsidy["application_date"], result.created_at))
        assert len(scored_in) == 2  # Wujin and Taicang
        paid = [s for s in subsidies if s[0] > 0]
        assert paid and all(date == china_today(at).isoformat() for _, date, at in paid)
        logins = sample_data.logins(session)
        assert len(logins) == 20 and all(login.task for login in logins)
        # People, not logins: every demo user has a Chinese name and title; every order with a provider names
        # its lead (and team) from that provider's users.
        assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}（[\u4e00-\u9fff]+）", login.name) for login in logins)
        assert all(login.organisation and "provider" not in login.organisation for login in logins)
        for order in session.exec(select(DiagnosisOrder)).all():
            staff = orders.staff_of(session=session, order=order)
            if order.provider_id is None:
                assert staff.lead is None, order.number
                continue
            assert staff.lead is not None and staff.members, order.number
            assert {u.provider_id for u in staff.everyone} == {order.provider_id}, order.number
        assert "确认现场诊断" in next(login.task for login in logins if login.username == "ent2")
    engine.dispose()


@pytest.mark.slow
def test_the_plant_scored_on_twelve_minutes_says_insufficient_data(demo_db: Path, tmp_path: Path) -> None:
    """With the demo's history (the collector's backfill), ent2's diagnosis rests on 0.2 h: every time figure
    is 数据不足, none a number."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    with Session(engine) as session:
        order = session.exec(
            select(DiagnosisOrder).join(Enterprise).where(Enterprise.name == sample_data.ENTERPRISES[1][0])
        ).one()
        # The newest: the consultant changed a contradicted rating before submitting, which scored it again.
        result = session.exec(
            select(Result).where(Result.order_id == order.id).order_by(col(Result.id).desc())
        ).first()
        assert result is not None
        end = result.created_at
        enterprise_history(
            session=session, enterprise_id=order.enterprise_id, start=end - timedelta(hours=0.2), end=end
        )
        session.commit()
        snapshot = evidence_snapshot.compute(
            session=session,
            enterprise_id=order.enterprise_id,
            window=evidence_snapshot.evidence_window(end),
            silence_timeout_s=600,
        )
    statuses = {name: f.status for name, f in snapshot.figures.items() if name != "networking_rate"}
    assert set(statuses.values()) == {"insufficient"}, statuses
    assert all(f.value is None for name, f in snapshot.figures.items() if name != "networking_rate")
    assert max(d.observed_s for d in snapshot.devices) == 12 * 60
    engine.dispose()
