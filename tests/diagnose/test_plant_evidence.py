"""Stored figures on SQLite and PostgreSQL (issue #11): observed period, ledger networking rate, expected-sample
coverage, production calendar, planned-time-weighted and bottleneck OEE, flagged devices kept out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from diagnose.models import Device, Telemetry
from diagnose.services import plant_evidence, plant_records
from diagnose.services.orgs import ValidationError
from scoring.indicators import Window
from tests import factories

# Monday 2026-11-23, 00:00 China time = Sunday 16:00 UTC.
DAY = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
WINDOW = Window(DAY, DAY + timedelta(days=1))


def _run(
    session: Session, device: Device, start: datetime, hours: int, parts_per_min: int, every_s: int
) -> None:
    """RUN from `start` for `hours`, one message every `every_s` with counters (parts_per_min)."""
    for step in range(hours * 3600 // every_s):
        at = start + timedelta(seconds=step * every_s)
        count = step * every_s // 60 * parts_per_min
        session.add(
            Telemetry(
                device_id=device.id or 0, seq=step, ts=at, state="RUN", count_total=count, count_good=count
            )
        )


@pytest.fixture
def plant(engine: Engine) -> int:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        eid = enterprise.id or 0
        a = factories.device(session, eid, "A", ideal_cycle_s=60.0)  # 1 part a minute is ideal
        b = factories.device(session, eid, "B", ideal_cycle_s=30.0)  # 2 parts a minute is ideal
        for device in (a, b):
            device.created_at = DAY - timedelta(days=30)
            device.sample_interval_s = 60
        # Shift Monday 08:00-16:00 China time (00:00-08:00 UTC) with a 12:00-12:30 break.
        for raw in (
            {"kind": "shift", "weekday": "0", "start": "08:00", "end": "16:00"},
            {"kind": "break", "weekday": "0", "start": "12:00", "end": "12:30"},
            {"kind": "holiday", "day": "2026-11-24"},
        ):
            plant_records.add_calendar_rule(session=session, actor="test", enterprise_id=eid, raw=raw)
        # A runs the whole shift at its ideal rate, B only 2 of its 7.5 planned hours at half its rate.
        shift = DAY + timedelta(hours=8)
        _run(session, a, shift, 8, 1, 60)
        _run(session, b, shift, 2, 1, 60)
        session.add(Telemetry(device_id=b.id or 0, seq=10_000, ts=shift + timedelta(hours=2), state="IDLE"))
        for device in (a, b):  # switched off at the end of the shift
            session.add(
                Telemetry(device_id=device.id or 0, seq=20_000, ts=shift + timedelta(hours=8), state="OFF")
            )
        for code, device_id in (("E1", "A"), ("E2", "B"), ("E3", ""), ("E4", "")):
            plant_records.add_equipment(
                session=session,
                actor="test",
                enterprise_id=eid,
                raw={"code": code, "name": code, "device_id": device_id},
            )
        plant_records.add_equipment(
            session=session,
            actor="test",
            enterprise_id=eid,
            raw={"code": "O1", "name": "forklift", "production": "否"},
        )
        session.commit()
        return eid


def test_plant_figures_from_ledger_calendar_and_planned_time(engine: Engine, plant: int) -> None:
    with Session(engine) as session:
        found = plant_evidence.enterprise_evidence(
            session=session, enterprise_id=plant, window=WINDOW, silence_timeout_s=7200
        )
    assert found.networking_basis == "ledger" and found.networking_rate == Fraction(2, 4)
    assert found.has_calendar
    a, b = found.oee_by_device["A"], found.oee_by_device["B"]
    # Planned: 8 h shift - 30 min break = 27,000 s. A ran through the break (a break not taken stays planned):
    # 28,800 s planned and run, 479 parts of 1 ideal minute. B ran 2 h (119 parts of 30 s), idled, went unknown.
    assert a.planned_s == 8 * 3600 and a.availability == 1 and a.oee == Fraction(60 * 479, 28800)
    assert b.planned_s == 27000 and b.availability == Fraction(7200, 27000)
    assert b.performance == Fraction(30 * 119, 7200)
    # Weighted by planned time, not the plain mean of the two.
    expected = (a.oee * a.planned_s + b.oee * b.planned_s) / (a.planned_s + b.planned_s)
    assert found.oee == expected and found.oee != (a.oee + b.oee) / 2
    # TEEP over the 24 observed hours, weighted by them (docs/scoring.md works it by hand: 0.18698).
    assert found.teep == (Fraction(28800, 86400) * a.performance + Fraction(7200, 86400) * b.performance) / 2
    # Coverage: one message a minute declared; A sent in 481 and B in 122 of the 1,440 minutes each observed.
    assert found.coverage == Fraction(481 + 122, 2 * 1440)
    assert found.observed_s == 24 * 3600 and found.planned_s == 8 * 3600


def test_bottleneck_device_gives_the_plant_oee(engine: Engine, plant: int) -> None:
    with Session(engine) as session:
        device = session.exec(Device.__table__.select().where(Device.external_id == "B")).first()  # type: ignore[attr-defined]
        row = session.get(Device, device.id)
        assert row is not None
        row.bottleneck = True
        session.commit()
        found = plant_evidence.enterprise_evidence(
            session=session, enterprise_id=plant, window=WINDOW, silence_timeout_s=7200
        )
    assert found.oee_basis == "bottleneck" and found.oee == found.oee_by_device["B"].oee


def test_observed_period_starts_at_registration(engine: Engine, plant: int) -> None:
    with Session(engine) as session:
        late = factories.device(session, plant, "C", ideal_cycle_s=60.0)
        late.created_at = DAY + timedelta(hours=20)
        session.add(Telemetry(device_id=late.id or 0, seq=1, ts=DAY + timedelta(hours=20), state="OFF"))
        session.commit()
        found = plant_evidence.enterprise_evidence(
            session=session, enterprise_id=plant, window=WINDOW, silence_timeout_s=7200
        )
    c = next(d for d in found.devices if d.external_id == "C")
    assert c.observed == Window(DAY + timedelta(hours=20), WINDOW.end) and c.observed_s == 4 * 3600
    # Its 4 observed hours lie outside the shift: nothing planned, so no OEE, and no 0 % either.
    assert c.result is not None and c.result.planned_s == 0 and c.result.oee is None


def test_implausible_device_is_kept_flagged_and_left_out(engine: Engine, plant: int) -> None:
    with Session(engine) as session:
        a = session.exec(Device.__table__.select().where(Device.external_id == "A")).first()  # type: ignore[attr-defined]
        row = session.get(Device, a.id)
        assert row is not None
        row.ideal_cycle_s = 600.0  # ten times too slow: performance about 10
        session.commit()
        found = plant_evidence.enterprise_evidence(
            session=session, enterprise_id=plant, window=WINDOW, silence_timeout_s=7200
        )
    flagged = found.oee_by_device["A"]
    assert "performance_above_tolerance" in flagged.flags and flagged.performance > 9  # kept, flagged
    assert found.oee == found.oee_by_device["B"].oee  # the plant figure rests on B alone


def test_ledger_import_dry_run_lists_every_bad_row_and_stores_nothing(engine: Engine, plant: int) -> None:
    csv = "设备编号,设备名称,生产设备,平台设备ID\nN1,车床,是,\nN2,,是,\nE1,重复,是,\nN3,铣床,也许,\nN4,磨床,是,ZZ\n"
    with Session(engine) as session:
        rows = plant_records.read_rows("ledger.csv", csv.encode("utf-8-sig"))
        before = len(plant_records.equipment_of(session=session, enterprise_id=plant))
        report = plant_records.import_equipment(
            session=session, actor="test", enterprise_id=plant, rows=rows, dry_run=False
        )
        assert [(e.row, e.field) for e in report.errors] == [
            (3, "name"),
            (4, "code"),
            (5, "production"),
            (6, "device_id"),
        ]
        assert (
            report.stored == 0
            and len(plant_records.equipment_of(session=session, enterprise_id=plant)) == before
        )
        good = plant_records.import_equipment(
            session=session, actor="test", enterprise_id=plant, rows=rows[:1], dry_run=True
        )
        assert good.errors == [] and good.stored == 0 and len(good.rows) == 1
        stored = plant_records.import_equipment(
            session=session, actor="test", enterprise_id=plant, rows=rows[:1], dry_run=False
        )
        session.commit()
        assert stored.stored == 1
        assert len(plant_records.equipment_of(session=session, enterprise_id=plant)) == before + 1


def test_xlsx_ledger_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "kind", "connected"])
    sheet.append(["X1", "Press", "PRESS", "yes"])
    path = tmp_path / "l.xlsx"
    book.save(path)
    rows = plant_records.read_rows("l.xlsx", path.read_bytes())
    assert rows == [{"code": "X1", "name": "Press", "kind": "PRESS", "connected": "yes"}]


def test_calendar_refuses_a_bad_rule_with_the_field(engine: Engine, plant: int) -> None:
    with Session(engine) as session:
        with pytest.raises(ValidationError) as bad:
            plant_records.add_calendar_rule(
                session=session,
                actor="t",
                enterprise_id=plant,
                raw={"kind": "shift", "weekday": "0", "start": "8h"},
            )
        assert bad.value.field == "start"
        rules = plant_records.calendar_of(session=session, enterprise_id=plant)
        assert [r.kind for r in rules] == ["shift", "break", "holiday"] and rules[2].day == date(2026, 11, 24)
