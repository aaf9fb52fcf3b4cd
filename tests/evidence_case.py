"""An evidence case (tests/cases/evidence/*.json) as the messages its devices send, as pure snapshot inputs and
as database rows: the worked example of docs/scoring.md is checked both ways from the one file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlmodel import Session

from diagnose.models import Device, DevicePresence, Telemetry
from diagnose.services.shopfloor import plant_records
from scoring.china_time import CHINA_TZ
from scoring.indicators import CounterSample, StateSample, Window
from scoring.indicators.atoms import DeviceInput, RawPart
from scoring.indicators.calendar import CalendarRuleSpec
from scoring.indicators.snapshot import LedgerLine, SnapshotInput
from tests import factories

CASES = Path(__file__).parent / "cases" / "evidence"


def load(name: str) -> dict[str, Any]:
    """A case by file stem."""
    case: dict[str, Any] = json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))
    return case


@dataclass(frozen=True)
class Message:
    ts: datetime
    seq: int
    state: str | None = None
    total: int | None = None
    good: int | None = None


def window_of(case: dict[str, Any]) -> Window:
    start, end = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in case["window"])
    return Window(start, end)


def _at(day: datetime, clock: str) -> datetime:
    """China-time clock of the case's day, as UTC (24:00 is the next midnight)."""
    if clock == "24:00":
        return day + timedelta(days=1)
    return datetime.combine(day.date(), time.fromisoformat(clock), CHINA_TZ).astimezone(UTC)


def messages(case: dict[str, Any], device: dict[str, Any]) -> list[Message]:
    """What one device of the case sends: a state message at each change (and every `every_s` for a sampling
    device), counter readings through its runs, heartbeats (ts and seq only) while online."""
    window = window_of(case)
    day = window.start.astimezone(CHINA_TZ)
    changes = [(_at(day, clock), state) for clock, state in device["states"]]
    offline = [(_at(day, a), _at(day, b)) for a, b in device.get("offline", [])]
    counts: dict[datetime, tuple[int, int]] = {}
    spec = device.get("counts")
    if spec:
        total = 0
        step = timedelta(seconds=spec["every_s"])
        for a, b in spec["runs"]:
            moment, end = _at(day, a), _at(day, b)
            counts[moment] = (total, total - total // spec["reject_every"])
            while moment < end:
                moment += step
                total += spec["parts"]
                counts[moment] = (total, total - total // spec["reject_every"])
    every = timedelta(seconds=device["every_s"])
    out: dict[datetime, Message] = {}
    moment = window.start
    while moment < window.end:
        if not any(a <= moment < b for a, b in offline):
            state = None if device.get("by_exception") else [s for t, s in changes if t <= moment][-1]
            out[moment] = Message(moment, 0, state)
        moment += every
    for ts, state in changes:
        out[ts] = Message(ts, 0, state)
    for ts, (total, good) in counts.items():
        known = out.get(ts)
        out[ts] = Message(ts, 0, known.state if known else None, total, good)
    ordered = sorted(out.values(), key=lambda m: m.ts)
    return [
        Message(m.ts, i + 1, m.state, m.total, m.good) for i, m in enumerate(ordered) if m.ts < window.end
    ]


def presence(case: dict[str, Any], device: dict[str, Any]) -> list[tuple[datetime, bool]]:
    """A device reporting by exception: online from before the window, offline (its will) and back."""
    if not device.get("by_exception"):
        return []
    window = window_of(case)
    day = window.start.astimezone(CHINA_TZ)
    events = [(window.start - timedelta(hours=1), True)]
    for a, b in device.get("offline", []):
        events += [(_at(day, a), False), (_at(day, b), True)]
    return events


def _calendar(case: dict[str, Any]) -> tuple[CalendarRuleSpec, ...]:
    return tuple(
        CalendarRuleSpec(r["kind"], weekday=r.get("weekday"), start=r.get("start"), end=r.get("end"))
        for r in case["calendar"]
    )


def pure_input(case: dict[str, Any]) -> SnapshotInput:
    """The case as the pure snapshot's input (no database)."""
    window = window_of(case)
    devices = []
    for d in case["devices"]:
        sent = messages(case, d)
        online = None
        if d.get("by_exception"):
            events = presence(case, d)
            periods, since = [], None
            for ts, up in events:
                if up and since is None:
                    since = max(ts, window.start)
                elif not up and since is not None:
                    periods.append((since, ts))
                    since = None
            if since is not None:
                periods.append((since, window.end))
            online = tuple(periods)
        heard = tuple(
            sorted({m.ts for m in sent} | {ts for ts, _ in presence(case, d) if ts >= window.start})
        )
        devices.append(
            DeviceInput(
                external_id=d["id"],
                ideal_cycle_s=Fraction(d["ideal_cycle_s"]) if "ideal_cycle_s" in d else None,
                observed=window,
                by_exception=bool(d.get("by_exception")),
                heartbeat_s=Fraction(d["heartbeat_s"]) if "heartbeat_s" in d else None,
                online=online,
                sample_interval_s=Fraction(d["sample_interval_s"]) if "sample_interval_s" in d else None,
                raw=(
                    RawPart(
                        window,
                        tuple(StateSample(m.ts, m.state) for m in sent if m.state),
                        tuple(
                            CounterSample(m.ts, m.seq, m.total, m.good or 0)
                            for m in sent
                            if m.total is not None
                        ),
                        (),
                        heard,
                    ),
                ),
            )
        )
    ledger = tuple(
        LedgerLine(x["code"], x["name"], x.get("production", True), False, x.get("device"))
        for x in case["ledger"]
    )
    return SnapshotInput(
        window=window,
        devices=tuple(devices),
        calendar=_calendar(case),
        ledger=ledger,
        silence_timeout_s=Fraction(case["silence_timeout_s"]),
    )


def store(session: Session, case: dict[str, Any]) -> int:
    """The case as database rows (enterprise, devices, telemetry, presence, calendar, ledger); its id."""
    factories.regions(session)
    enterprise = factories.enterprise(session)
    eid = enterprise.id or 0
    window = window_of(case)
    for d in case["devices"]:
        device: Device = factories.device(
            session, eid, d["id"], ideal_cycle_s=float(d["ideal_cycle_s"]) if "ideal_cycle_s" in d else None
        )
        device.created_at = window.start  # observed from the window start, in any longer window too
        device.sample_interval_s = float(d["sample_interval_s"]) if "sample_interval_s" in d else None
        device.heartbeat_s = float(d["heartbeat_s"]) if "heartbeat_s" in d else None
        session.add(device)
        session.flush()
        for m in messages(case, d):
            session.add(
                Telemetry(
                    device_id=device.id or 0,
                    seq=m.seq,
                    ts=m.ts,
                    state=m.state,
                    count_total=m.total,
                    count_good=m.good,
                )
            )
        for ts, up in presence(case, d):
            session.add(DevicePresence(device_id=device.id or 0, ts=ts, online=up, source="status"))
    for rule in case["calendar"]:
        plant_records.add_calendar_rule(
            session=session, actor="test", enterprise_id=eid, raw={**rule, "weekday": str(rule["weekday"])}
        )
    for line in case["ledger"]:
        plant_records.add_equipment(
            session=session,
            actor="test",
            enterprise_id=eid,
            raw={
                "code": line["code"],
                "name": line["name"],
                "device_id": line.get("device", ""),
                "production": "1" if line.get("production", True) else "0",
            },
        )
    session.flush()
    return eid
