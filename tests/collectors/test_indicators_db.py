"""Indicators through the database equal the pure functions on the same data; roll-ups equal raw samples."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from apps.processes import jobs
from collectors.models import Reading
from collectors.store import Incoming, store_batch
from diagnose.models import Device, DeviceHour, DowntimeReasonEntry, ShiftCalendarEntry, Telemetry
from diagnose.services.telemetry import rollups
from diagnose.services.telemetry import telemetry_queries as tq
from diagnose.settings import Settings
from scoring.indicators import CalendarEntry, CounterSample, DowntimeReason, StateSample, Window, oee
from tests import factories

START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
SILENCE_S = 600
CYCLE_S = 30.0
FIELDS = ("availability", "performance", "quality", "oee", "planned_s", "run_s", "total_count", "good_count")


def _readings(uscc: str, seed: int) -> list[Reading]:
    rng = random.Random(seed)
    out, ts, total, good, energy, seq = [], START, 0, 0, 0.0, 0
    while ts < START + timedelta(hours=6):
        seq += 1
        state = rng.choice(["RUN", "RUN", "RUN", "IDLE", "DOWN", "PLANNED_STOP"])
        made = rng.randint(0, 3) if state == "RUN" else 0
        total, good = total + made, good + max(0, made - rng.randint(0, 1))
        if seq == 300:
            total, good = 2, 1  # the counters restarted (power cycle)
        energy += rng.uniform(0, 0.5)
        out.append(
            Reading(uscc, "D01", seq, ts, state=state, count_total=total, count_good=good, energy_kwh=energy)
        )
        # Mostly every ~40 s, now and then a silence longer than the timeout.
        ts += timedelta(
            seconds=rng.choice([37, 41, 43, 1200]) if rng.random() < 0.02 else 40, milliseconds=seq % 7
        )
    return out


@pytest.fixture
def plant(engine: Engine) -> tuple[int, list[Reading], list[CalendarEntry], list[DowntimeReason]]:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        device = factories.device(session, enterprise.id, "D01", ideal_cycle_s=CYCLE_S)
        readings = _readings(enterprise.uscc, 11)
        store_batch(session=session, items=[Incoming("t", b"", r) for r in readings], device_ids={})
        calendar = [
            CalendarEntry(START + timedelta(hours=4), START + timedelta(hours=4, minutes=30), label="lunch")
        ]
        reasons = [
            DowntimeReason(START + timedelta(hours=1), START + timedelta(hours=2, minutes=10), "M01"),
            DowntimeReason(
                START + timedelta(hours=3, minutes=5), START + timedelta(hours=3, minutes=50), "Q02"
            ),
        ]
        for entry in calendar:
            session.add(
                ShiftCalendarEntry(
                    enterprise_id=enterprise.id, start=entry.start, end=entry.end, label="lunch"
                )
            )
        for reason in reasons:
            session.add(
                DowntimeReasonEntry(device_id=device.id, start=reason.start, end=reason.end, code=reason.code)
            )
        session.commit()
        return device.id, readings, calendar, reasons  # type: ignore[return-value]


WINDOWS = [
    (timedelta(hours=0), timedelta(hours=6)),
    (timedelta(minutes=13, seconds=27), timedelta(hours=4, minutes=41, seconds=5)),
    (timedelta(hours=2, minutes=59), timedelta(hours=3, minutes=1)),
    (timedelta(hours=5, minutes=30), timedelta(hours=7)),
]


@pytest.mark.parametrize(("offset", "until"), WINDOWS)
def test_db_oee_equals_the_pure_function(engine: Engine, plant, offset: timedelta, until: timedelta) -> None:  # type: ignore[no-untyped-def]
    device_id, readings, calendar, reasons = plant
    window = Window(START + offset, START + until)
    expected = oee(
        [StateSample(r.ts, r.state) for r in readings if r.state],
        [
            CounterSample(r.ts, r.seq, r.count_total, r.count_good)
            for r in readings
            if r.count_total is not None
        ],
        window,
        ideal_cycle_s=CYCLE_S,
        silence_timeout_s=SILENCE_S,
        calendar=calendar,
        reasons=reasons,
    )
    with Session(engine) as session:
        device = session.get(Device, device_id)
        assert device is not None
        got = tq.device_oee(
            session=session, device=device, window=window, silence_timeout_s=SILENCE_S, use_rollups=False
        )
    assert got == expected
    assert expected.total_count > 0 or until - offset < timedelta(hours=1)


@pytest.mark.parametrize(("offset", "until"), WINDOWS)
def test_rollup_path_equals_raw_path(
    engine: Engine, db_settings: Settings, plant, offset: timedelta, until: timedelta
) -> None:  # type: ignore[no-untyped-def]
    device_id, *_ = plant
    settings = db_settings.model_copy(update={"silence_timeout_s": SILENCE_S})
    written = jobs.rollup_hours(engine, settings, now=START + timedelta(hours=8))
    assert written == 7  # six hours with data and the one after (carry-in)
    # Within the watermark margin a re-run recomputes the same hours: idempotent, same rows.
    assert jobs.rollup_hours(engine, settings, now=START + timedelta(hours=8)) == 7
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(DeviceHour)).one() == 7
    window = Window(START + offset, START + until)
    with Session(engine) as session:
        device = session.get(Device, device_id)
        assert device is not None
        raw = tq.device_oee(
            session=session, device=device, window=window, silence_timeout_s=SILENCE_S, use_rollups=False
        )
        rolled = tq.device_oee(session=session, device=device, window=window, silence_timeout_s=SILENCE_S)
    for name in FIELDS:
        assert getattr(rolled, name) == getattr(raw, name), name
    assert rolled.downtime_by_reason == raw.downtime_by_reason


def test_retention_deletes_only_rolled_up_hours(engine: Engine, db_settings: Settings, plant) -> None:  # type: ignore[no-untyped-def]
    device_id, readings, *_ = plant
    settings = db_settings.model_copy(update={"silence_timeout_s": SILENCE_S, "raw_retention_days": 1})
    later = START + timedelta(days=1, hours=3)
    with Session(engine) as session:
        device = session.get(Device, device_id)
        assert device is not None
        before = tq.device_oee(
            session=session,
            device=device,
            window=Window(START, START + timedelta(hours=3)),
            silence_timeout_s=SILENCE_S,
        )
    assert jobs.apply_retention(engine, settings, now=later) == 0  # nothing rolled up yet: nothing deleted
    with Session(engine) as session:  # roll up hours 0-2 only
        device = session.get(Device, device_id)
        assert device is not None
        for hour in range(3):
            rollups.rollup_device_hour(
                session=session,
                device=device,
                hour=START + timedelta(hours=hour),
                silence_timeout_s=SILENCE_S,
            )
        session.commit()
    deleted = jobs.apply_retention(engine, settings, now=later)
    with Session(engine) as session:
        left = session.exec(select(func.count()).select_from(Telemetry)).one()
        oldest = session.exec(select(func.min(Telemetry.ts))).one()
        device = session.get(Device, device_id)
        assert device is not None
        after = tq.device_oee(
            session=session,
            device=device,
            window=Window(START, START + timedelta(hours=3)),
            silence_timeout_s=SILENCE_S,
        )
        assert session.exec(select(func.count()).select_from(DeviceHour)).one() == 3
    assert deleted == sum(1 for r in readings if r.ts < START + timedelta(hours=3))
    assert left == len(readings) - deleted
    assert oldest is not None and oldest.replace(tzinfo=UTC) >= START + timedelta(hours=3)
    for name in FIELDS:  # the window's hours are rolled up: raw rows gone, same OEE
        assert getattr(after, name) == getattr(before, name), name
    assert before.total_count > 0


def test_batched_rollup_commits_each_batch_and_an_interrupted_run_is_resumed(
    engine: Engine, db_settings: Settings, plant, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    now = START + timedelta(hours=8)
    with Session(engine) as session:  # the one-transaction path, as the reference
        expected = rollups.rollup_pending(session=session, now=now, silence_timeout_s=SILENCE_S)
        reference = {
            (r.hour_start, r.run_us, r.count_total, r.sample_count) for r in session.exec(select(DeviceHour))
        }
        session.rollback()
    real_store, calls = rollups.store_device_hour, []

    def failing_store(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["hour"])
        if len(calls) == 3:
            raise RuntimeError("scheduler killed")
        return real_store(**kwargs)

    monkeypatch.setattr(rollups, "store_device_hour", failing_store)
    with pytest.raises(RuntimeError):
        rollups.rollup_in_batches(engine=engine, now=now, silence_timeout_s=SILENCE_S, batch_seconds=0)
    with Session(engine) as session:  # one hour per batch: the first two batches stayed committed
        assert session.exec(select(func.count()).select_from(DeviceHour)).one() == 2
    monkeypatch.setattr(rollups, "store_device_hour", real_store)
    run = rollups.rollup_in_batches(engine=engine, now=now, silence_timeout_s=SILENCE_S, batch_seconds=0)
    assert (run.written, run.batches) == (expected, expected)  # the watermark had not moved: all redone
    with Session(engine) as session:
        got = {
            (r.hour_start, r.run_us, r.count_total, r.sample_count) for r in session.exec(select(DeviceHour))
        }
    assert got == reference
