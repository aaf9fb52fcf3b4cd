"""Audit fixtures: two bureaus (Wujin, Taicang), one provider, orders with answers, results, devices, telemetry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from diagnose.models import (
    Answer,
    Assessment,
    DiagnosisOrder,
    EnterpriseOutcome,
    ProcurementBatch,
    Result,
    Role,
    Telemetry,
)
from diagnose.services.accounts import orgs
from tests import factories

PASSWORD = "correct-horse-9"


@dataclass(frozen=True)
class World:
    """Ids of what the fixture created."""

    wujin: int
    taicang: int
    provider: int
    good_order: int  # Wujin, telemetry around the visit, claims match
    dark_order: int  # Wujin, claims networked devices, no telemetry at all
    taicang_order: int  # Taicang, no telemetry at all


def _order(
    session: Session, number: str, bureau_id: int, enterprise_id: int, provider_id: int, **kw: object
) -> DiagnosisOrder:
    assigned = datetime(2026, 3, 2, 2, tzinfo=UTC)
    order = DiagnosisOrder(
        number=number,
        bureau_id=bureau_id,
        enterprise_id=enterprise_id,
        provider_id=provider_id,
        kind="factory",
        fee_fen=15_000_000,
        status="accepted",
        assigned_at=assigned,
        due_date=date(2026, 4, 1),
        visit_date=date(2026, 3, 10),
        submitted_at=assigned + timedelta(days=20),
        accepted_at=assigned + timedelta(days=25),
        confirmed_at=assigned + timedelta(days=21),
        rating=4,
        **kw,  # type: ignore[arg-type]
    )
    session.add(order)
    session.flush()
    assessment = Assessment(order_id=order.id or 0)
    session.add(assessment)
    session.flush()
    for rid, rating in (("NW-L2-01", "1"), ("NW-L3-01", "0.8"), ("DT-L2-01", "1"), ("EM-L2-01", "0.5")):
        session.add(
            Answer(
                assessment_id=assessment.id or 0,
                requirement_id=rid,
                rating=rating,
                evidence_note=f"{number} 现场查看",
            )
        )
    session.add(
        Result(
            order_id=order.id or 0,
            level=2,
            score="2.4000",
            level_scores=[],
            detail={},
            model_version="t",
            weights_version="t",
            rule_version="t",
            input_hash="x",
            created_at=order.submitted_at,  # scored when submitted: its evidence is the week before
        )
    )
    return order


@pytest.fixture
def world(engine: Engine) -> World:
    with Session(engine) as session:
        factories.regions(session)
        wujin = orgs.create_bureau(
            session=session, actor="system:test", name="武进区工信局", region_code="320412"
        )
        taicang = orgs.create_bureau(
            session=session, actor="system:test", name="太仓市工信局", region_code="320585"
        )
        provider = orgs.create_provider(
            session=session,
            actor="system:test",
            uscc=factories.uscc("320412", 900),
            name="常州智造咨询有限公司",
            region_code="320412",
        )
        assert wujin.id and taicang.id and provider.id
        for bureau in (wujin, taicang):
            orgs.admit_provider(
                session=session, actor="system:test", bureau_id=bureau.id or 0, provider_id=provider.id
            )
        e_good = factories.enterprise(session, serial=1, name="常州恒锐精密机械有限公司")
        e_dark = factories.enterprise(session, serial=2, name="武进天宇电机有限公司")
        e_tc = factories.enterprise(session, serial=3, region="320585", name="太仓华创纺织有限公司")
        device = factories.device(session, e_good.id or 0, "D01", name="CNC 1号", kind="CNC")
        # It reports every hour through the order: coverage counts the slots cut from each hour that heard a
        # sample (issue #22), so a device sampling less often than hourly can never show full coverage.
        device.sample_interval_s = 3600
        device.created_at = datetime(2026, 3, 1, tzinfo=UTC)
        for n in range(2):
            dark = factories.device(
                session, e_dark.id or 0, f"D0{n + 1}", name=f"注塑机{n + 1}号", kind="IMM"
            )
            dark.created_at = datetime(2026, 3, 1, tzinfo=UTC)  # registered, then never heard from
        factories.device(session, e_tc.id or 0, "D01", name="织机", kind="LOOM")
        start = datetime(2026, 3, 2, 2, tzinfo=UTC)
        for seq in range(20 * 24):
            session.add(
                Telemetry(device_id=device.id or 0, seq=seq, ts=start + timedelta(hours=seq), state="RUN")
            )
        batch = ProcurementBatch(bureau_id=wujin.id, name="2026年第一批", year=2026, budget_fen=100_000_000)
        session.add(batch)
        session.flush()
        good = _order(session, "WJ-2026-0001", wujin.id, e_good.id or 0, provider.id, batch_id=batch.id)
        dark = _order(session, "WJ-2026-0002", wujin.id, e_dark.id or 0, provider.id, batch_id=batch.id)
        tc = _order(session, "TC-2026-0001", taicang.id, e_tc.id or 0, provider.id)
        session.add(
            EnterpriseOutcome(
                enterprise_id=e_good.id or 0,
                kind="retrofit",
                on_date=date(2026, 5, 1),
                source="武进区智改数转项目公示",
            )
        )
        factories.user(session, "wujin", Role.bureau, wujin.id, password=PASSWORD)
        factories.user(session, "taicang", Role.bureau, taicang.id, password=PASSWORD)
        factories.user(session, "provider1", Role.provider, provider.id, password=PASSWORD)
        session.commit()
        return World(wujin.id, taicang.id, provider.id, good.id or 0, dark.id or 0, tc.id or 0)
