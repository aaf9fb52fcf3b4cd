"""Stored figures on SQLite and PostgreSQL (issues #11, #22): observed period, ledger networking rate,
expected-sample coverage, production calendar, unknown time apart from downtime, one minimum per card, bottleneck
OEE, flagged devices kept out; the ledger import's matching."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from diagnose.models import Device, Telemetry
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.diagnosis import evidence_snapshot
from diagnose.services.shopfloor import plant_records
from scoring.indicators import Window
from scoring.indicators.figures import INSUFFICIENT, OK, OUT_OF_BOUNDS
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


def _snapshot(engine: Engine, plant: int):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return evidence_snapshot.compute(
            session=session, enterprise_id=plant, window=WINDOW, silence_timeout_s=7200
        )


def test_plant_figures_from_ledger_calendar_and_unknown_time(engine: Engine, plant: int) -> None:
    found = _snapshot(engine, plant)
    assert found.figures["networking_rate"].value == Fraction(2, 4) and found.has_calendar
    assert found.figures["networking_rate"].population == ("E1", "E2", "E3", "E4")  # not the forklift
    a, b = found.device("A"), found.device("B")
    assert a is not None and b is not None
    # Planned: 8 h shift - 30 min break = 27,000 s. A ran through the break (a break not taken stays planned):
    # 28,800 s planned and run, 479 parts of 1 ideal minute.
    assert a.planned_s == 8 * 3600 and a.figures["availability"].value == 1
    assert a.figures["oee"].value == Fraction(60 * 479, 28800)
    # B ran 2 h, idled 2 h (the 7,200 s timeout), then its state is unknown: 12:00-16:00 less the break is
    # 12,600 s of planned time with no data, neither run nor downtime (issue #22).
    assert b.planned_s == 27000 and b.unknown_planned_s == 12600 and b.known_planned_s == 14400
    assert dict(b.downtime_by_reason) == {"UNSPECIFIED": 7200} and dict(b.downtime_by_state) == {"IDLE": 7200}
    # 4 h of known planned time is below the OEE card's 8 h: every figure of the card is 数据不足 for B.
    assert {b.figures[n].status for n in ("availability", "performance", "quality", "oee", "teep")} == {
        INSUFFICIENT
    }
    assert all(b.figures[n].value is None for n in ("availability", "performance", "quality", "oee"))
    # So the plant's OEE card pools A alone, and says so.
    plant = found.figures
    assert plant["oee"].population == ("A",) and plant["oee"].value == a.figures["oee"].value
    assert (
        plant["oee"].value
        == plant["availability"].value * plant["performance"].value * plant["quality"].value
    )  # type: ignore[operator]
    # Coverage: one message a minute declared; A sent in 481 and B in 122 of the 1,440 minutes each observed.
    assert (a.received, a.expected, b.received, b.expected) == (481, 1440, 122, 1440)
    assert plant["coverage"].value == Fraction(481 + 122, 2 * 1440) and plant["coverage"].status == OK


def test_bottleneck_device_gives_the_plant_oee(engine: Engine, plant: int) -> None:
    with Session(engine) as session:
        device = session.exec(Device.__table__.select().where(Device.external_id == "B")).first()  # type: ignore[attr-defined]
        row = session.get(Device, device.id)
        assert row is not None
        row.bottleneck = True
        session.commit()
    found = _snapshot(engine, plant)
    # The bottleneck is short of data: the plant OEE is 数据不足 (its 4 h of 8), not A's figure.
    assert found.oee_basis == "bottleneck" and found.figures["oee"].status == INSUFFICIENT
    assert found.figures["oee"].value is None and found.figures["oee"].have_s == 14400


def test_observed_period_starts_at_registration(engine: Engine, plant: int) -> None:
    with Session(engine) as session:
        late = factories.device(session, plant, "C", ideal_cycle_s=60.0)
        late.created_at = DAY + timedelta(hours=20)
        session.add(Telemetry(device_id=late.id or 0, seq=1, ts=DAY + timedelta(hours=20), state="OFF"))
        session.commit()
    c = _snapshot(engine, plant).device("C")
    assert c is not None
    assert c.observed == Window(DAY + timedelta(hours=20), WINDOW.end) and c.observed_s == 4 * 3600
    # Its 4 observed hours lie outside the shift: nothing planned, so no OEE, and no 0 % either.
    assert c.planned_s == 0 and c.figures["oee"].status == INSUFFICIENT and c.figures["oee"].value is None


def test_implausible_device_is_kept_flagged_and_left_out(engine: Engine, plant: int) -> None:
    with Session(engine) as session:
        a = session.exec(Device.__table__.select().where(Device.external_id == "A")).first()  # type: ignore[attr-defined]
        row = session.get(Device, a.id)
        assert row is not None
        row.ideal_cycle_s = 600.0  # ten times too slow: performance about 10
        session.commit()
    found = _snapshot(engine, plant)
    flagged = found.device("A")
    assert flagged is not None and "performance_above_tolerance" in flagged.flags
    performance = flagged.figures["performance"]
    assert (
        performance.status == OUT_OF_BOUNDS and performance.value is not None and performance.value > 9
    )  # kept
    # B is short of data and A out of bounds: the plant states no OEE, and says why.
    assert found.figures["oee"].status == OUT_OF_BOUNDS and found.figures["oee"].value is None
    assert found.figures["oee"].flags == ("A: performance_above_tolerance",)


def test_ledger_import_dry_run_lists_every_bad_row_and_stores_nothing(engine: Engine, plant: int) -> None:
    csv = "设备编号,设备名称,生产设备,平台设备ID\nN1,车床,是,\nN2,,是,\nE1,重复,是,\nN3,铣床,也许,\nN4,磨床,是,ZZ\n"
    with Session(engine) as session:
        rows = plant_records.read_rows("ledger.csv", csv.encode("utf-8-sig"))
        before = len(plant_records.equipment_of(session=session, enterprise_id=plant))
        report = plant_records.import_equipment(
            session=session, actor="test", enterprise_id=plant, rows=rows, dry_run=False
        )
        assert [(e.row, e.field) for e in report.errors] == [(3, "name"), (5, "production"), (6, "device_id")]
        # E1 is already in the ledger: the row updates that line (issue #22), and the dry run says so.
        assert [(o.row, o.action, o.line_code) for o in report.outcomes][2] == (4, "update", "E1")
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


def test_ledger_rows_naming_registered_equipment_are_matched_never_counted_twice(
    engine: Engine, plant: int
) -> None:
    """Issue #22: a file re-listing the plant's machines under new asset numbers (by platform device or serial)
    updates their lines; the networking rate keeps its population; conflicting rows are refused with a reason."""
    with Session(engine) as session:
        plant_records.add_equipment(
            session=session,
            actor="t",
            enterprise_id=plant,
            raw={"code": "E5", "name": "钻床", "serial": "SN-5"},
        )
        before = evidence_snapshot.networking(session=session, enterprise_id=plant)
        csv = (
            "资产编号,设备名称,出厂编号,平台设备ID\n"
            "A-100,加工中心,,A\n"  # platform device A: the line E1, re-listed under a new asset number
            "A-200,钻床,SN-5,\n"  # serial SN-5: the line E5
            "A-300,加工中心二,,A\n"  # the same platform device as row 2
            "E3,车床,SN-5,\n"  # asset number E3, serial of E5: two different lines
            "N9,新磨床,,\n"  # a new line
        ).replace("资产编号", "设备编号")
        rows = plant_records.read_rows("ledger.csv", csv.encode("utf-8"))
        report = plant_records.import_equipment(
            session=session, actor="t", enterprise_id=plant, rows=rows, dry_run=True
        )
        actions = [(o.row, o.action, o.line_code) for o in report.outcomes]
        assert actions == [
            (2, "update", "E1"),
            (3, "update", "E5"),
            (4, "refuse", ""),
            (5, "refuse", ""),
            (6, "add", ""),
        ]
        reasons = {o.row: o.message for o in report.outcomes}
        assert "platform device" in reasons[2] and "becomes A-100" in reasons[2]
        assert reasons[4] == "the same equipment as row 2" and "two different ledger lines" in reasons[5]
        # Refused rows store nothing; without them the file updates two lines and adds one.
        stored = plant_records.import_equipment(
            session=session, actor="t", enterprise_id=plant, rows=[rows[0], rows[1], rows[4]], dry_run=False
        )
        session.commit()
        assert (stored.stored, stored.updated) == (1, 2)
        after = evidence_snapshot.networking(session=session, enterprise_id=plant)
        codes = {e.code for e in plant_records.equipment_of(session=session, enterprise_id=plant)}
    assert codes == {"A-100", "E2", "E3", "E4", "A-200", "N9", "O1"}
    # One machine more in the ledger (N9), none counted twice: 2 of 5 before, 2 of 6 after.
    assert (before.value, after.value) == (Fraction(2, 5), Fraction(2, 6))
    assert len(after.population) == 6


def test_form_refuses_equipment_already_in_the_ledger(engine: Engine, plant: int) -> None:
    with Session(engine) as session, pytest.raises(ValidationError) as twice:
        plant_records.add_equipment(
            session=session,
            actor="t",
            enterprise_id=plant,
            raw={"code": "X1", "name": "again", "device_id": "A"},
        )
    assert twice.value.field == "device_id" and "E1" in twice.value.message


def test_the_ledger_says_which_production_equipment_is_digitally_controlled(
    engine: Engine, plant: int
) -> None:
    """Issue #26: 数字控制 yes / no / not stated, from the form or a file; a file that leaves it empty keeps
    what the ledger says; a word that is not yes or no refuses the row."""
    with Session(engine) as session:
        plant_records.add_equipment(
            session=session,
            actor="t",
            enterprise_id=plant,
            raw={"code": "D1", "name": "加工中心", "digital": "1"},
        )
        csv = "设备编号,设备名称,数字控制\nD1,加工中心,\nD2,老式钻床,否\nD3,锯床,\nD4,磨床,也许\n"
        rows = plant_records.read_rows("ledger.csv", csv.encode("utf-8"))
        refused = plant_records.import_equipment(
            session=session, actor="t", enterprise_id=plant, rows=rows, dry_run=True
        )
        assert [(e.row, e.field) for e in refused.errors] == [(5, "digital")]
        plant_records.import_equipment(
            session=session, actor="t", enterprise_id=plant, rows=rows[:3], dry_run=False
        )
        session.commit()
        said = {e.code: e.digital for e in plant_records.equipment_of(session=session, enterprise_id=plant)}
        assert {k: said[k] for k in ("D1", "D2", "D3")} == {"D1": True, "D2": False, "D3": None}
        # The evidence snapshot's ledger carries it to the SME proposals.
        ledger = evidence_snapshot.ledger_lines(session=session, enterprise_id=plant)
        assert {line.code: line.digital for line in ledger if line.code in said} == said
