"""The demo's simulated past week goes through the collector's parser and store, and measures like live data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, func, select

from collectors.backfill import backfill, enterprise_history
from collectors.simulator import SimDevice
from diagnose.models import Device, Telemetry
from diagnose.services.diagnosis import evidence_snapshot
from scoring.indicators import Window
from tests import factories

END = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _setup(session: Session) -> int:
    factories.regions(session)
    enterprise = factories.enterprise(session)
    factories.device(session, enterprise.id, "D01", kind="CNC", ideal_cycle_s=40.0)  # type: ignore[arg-type]
    factories.device(session, enterprise.id, "D02", kind="注塑机", ideal_cycle_s=28.0, sensor="current")  # type: ignore[arg-type]
    factories.device(session, enterprise.id, "SP1", protocol="sparkplug")  # type: ignore[arg-type]
    factories.device(session, enterprise.id, "OLD", networked=False)  # type: ignore[arg-type]
    session.commit()
    return enterprise.id  # type: ignore[return-value]


def _rows(session: Session, external_id: str) -> list[Telemetry]:
    return list(
        session.exec(
            select(Telemetry)
            .join(Device)
            .where(Device.external_id == external_id)
            .order_by(col(Telemetry.seq))
        ).all()
    )


@pytest.mark.slow
def test_a_day_of_history_for_networked_json_devices_only(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        enterprise_id = _setup(session)
        stored = enterprise_history(session=session, enterprise_id=enterprise_id, end=END, days=1, step_s=600)
        session.commit()
        assert stored == 2 * 144  # D01 and D02, one message every 10 minutes for 24 hours
        d01, d02 = _rows(session, "D01"), _rows(session, "D02")
        assert len(d01) == len(d02) == 144
        assert _rows(session, "SP1") == [] and _rows(session, "OLD") == []
        # Sequence numbers rise with time and stay below the live simulator's (the wall clock in ms).
        assert [r.seq for r in d01] == sorted(r.seq for r in d01)
        assert d01[-1].seq < int(END.timestamp() * 1000)
        assert min(r.ts for r in d01) >= END - timedelta(days=1) and max(r.ts for r in d01) < END
        assert {r.state for r in d01} >= {"RUN", "OFF"}  # night shift off, day shift running
        assert all(
            r.current_a is not None and r.state is None for r in d02
        )  # the dumb device: a current clamp
        device = session.exec(select(Device).where(Device.external_id == "D01")).one()
        assert device.online and device.last_seen_at is not None

        found = evidence_snapshot.compute(
            session=session,
            enterprise_id=enterprise_id,
            window=Window(END - timedelta(days=1), END),
            silence_timeout_s=900,
        )
        # Issue #11: the networking rate's denominator is the equipment ledger; none was recorded here.
        networking = found.figures["networking_rate"]
        assert networking.value is None and networking.reason == "no_ledger"
        assert len([d for d in found.devices if d.observed is not None]) == 2  # D01, D02 were heard
        oee = found.figures["oee"]
        assert oee.status == "ok" and oee.value is not None and 0 < oee.value < 1


def test_running_it_again_stores_nothing_twice(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        enterprise_id = _setup(session)
        first = enterprise_history(session=session, enterprise_id=enterprise_id, end=END, days=1, step_s=3600)
        second = enterprise_history(
            session=session, enterprise_id=enterprise_id, end=END, days=1, step_s=3600
        )
        session.commit()
        assert first == 48 and second == 0
        assert session.exec(select(func.count()).select_from(Telemetry)).one() == 48


def test_a_window_that_is_empty_or_backwards_is_refused() -> None:
    device = SimDevice(uscc=factories.uscc(), device_id="D01")
    with pytest.raises(ValueError, match="start < end"):
        backfill(session=None, devices=[device], start=END, end=END)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive step"):
        backfill(session=None, devices=[device], start=END - timedelta(hours=1), end=END, step_s=0)  # type: ignore[arg-type]
