"""Random plants for the evidence snapshot's property tests (issue #22): devices with and without counts, ideal
cycle times, heartbeats, wills (presence), silences, registration inside the window, calendars with dated
exceptions, ledgers; short and long windows. One plant gives the pure input and the database rows alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st
from sqlmodel import Session

from diagnose.models import DevicePresence, Telemetry
from diagnose.services.shopfloor import plant_records
from scoring.china_time import CHINA_TZ
from scoring.indicators import CounterSample, EnergySample, StateSample, Window
from scoring.indicators.atoms import DeviceInput, RawPart
from scoring.indicators.calendar import CalendarRuleSpec
from scoring.indicators.snapshot import LedgerLine, SnapshotInput
from tests import factories

START = datetime(2026, 11, 23, 0, 0, tzinfo=CHINA_TZ).astimezone(UTC)  # a Monday, China time
STATES = ("RUN", "IDLE", "DOWN", "PLANNED_STOP", "OFF")


@dataclass(frozen=True)
class Msg:
    ts: datetime
    seq: int
    state: str | None
    total: int | None
    good: int | None
    energy: Fraction | None


@dataclass(frozen=True)
class DeviceSpec:
    external_id: str
    created_at: datetime
    ideal_cycle_s: int | None
    sample_interval_s: int | None
    heartbeat_s: int | None
    messages: tuple[Msg, ...]
    presence: tuple[tuple[datetime, bool], ...] = ()
    bottleneck: bool = False

    @property
    def by_exception(self) -> bool:
        return self.heartbeat_s is not None or bool(self.presence)


@dataclass(frozen=True)
class Plant:
    window: Window
    devices: tuple[DeviceSpec, ...]
    calendar: tuple[CalendarRuleSpec, ...] = ()
    ledger: tuple[LedgerLine, ...] = ()
    silence_timeout_s: int = 600
    extra: dict[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:  # hypothesis prints failing examples: keep it short
        kinds = ", ".join(
            f"{d.external_id}({len(d.messages)} msgs, hb={d.heartbeat_s}, will={bool(d.presence)}, "
            f"cycle={d.ideal_cycle_s}, every={d.sample_interval_s})"
            for d in self.devices
        )
        return f"Plant({self.window.start.isoformat()}+{self.window.end - self.window.start}, {kinds}, {len(self.calendar)} rules)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis's printer, which skips __repr__
        printer.text(repr(self))


@st.composite
def devices(draw: st.DrawFn, external_id: str, window: Window) -> DeviceSpec:
    """One device: its registration, a run of states (some silent), messages while it speaks (every sampling
    interval, or at each change and heartbeat when it reports by exception), counters with resets and
    corrections, energy; for a device with a will, its presence (online, offline, back)."""
    length_s = int((window.end - window.start).total_seconds())
    created = window.start + timedelta(
        seconds=draw(st.sampled_from([-86400, 0, length_s // 3, length_s // 2]))
    )
    counts = draw(st.booleans())
    metered = draw(st.booleans())
    kind = draw(st.sampled_from(["sampling", "heartbeat", "will", "both"]))
    heartbeat = draw(st.sampled_from([600, 1800])) if kind in ("heartbeat", "both") else None
    every = draw(st.sampled_from([60, 300] if length_s <= 86400 else [600, 1800]))
    cycle = draw(st.sampled_from([None, 5, 30, 90]))
    # Segments of state over [window.start - 1 h, window.end): (state or None for silence, seconds).
    segments = draw(
        st.lists(
            st.tuples(
                st.sampled_from((*STATES, "RUN", "RUN", None)), st.integers(60, max(120, length_s // 3))
            ),
            min_size=1,
            max_size=12,
        )
    )
    out: list[Msg] = []
    total = good = 0
    energy = Fraction(draw(st.integers(0, 1000)))
    moment, seq = window.start - timedelta(hours=1), 0
    for state, seconds in segments * (1 + length_s // max(1, sum(x[1] for x in segments))):
        end = min(moment + timedelta(seconds=seconds), window.end)
        if state is not None:
            step = every if kind == "sampling" else (heartbeat or seconds)
            tick, first = moment, True
            while tick < end:
                if tick >= created:
                    if state == "RUN" and counts:
                        made = int(step * draw(st.sampled_from([0.5, 0.9, 1.0])) / (cycle or 30))
                        if draw(st.integers(0, 40)) == 0:
                            total = good = draw(st.integers(0, 3))  # a restart
                        else:
                            total += made
                            good = max(0, min(total, good + made - draw(st.integers(-1, 2))))
                    energy += Fraction(draw(st.integers(0, 20)), 10) if state == "RUN" else 0
                    seq += 1
                    sends_state = kind == "sampling" or first
                    out.append(
                        Msg(
                            tick,
                            seq,
                            state if sends_state else None,
                            total if counts else None,
                            good if counts else None,
                            energy if metered else None,
                        )
                    )
                first = False
                tick += timedelta(seconds=step)
        moment = end
        if moment >= window.end:
            break
    presence: list[tuple[datetime, bool]] = []
    if kind in ("will", "both"):
        presence.append((created - timedelta(minutes=5), True))
        for offset in sorted(draw(st.lists(st.integers(0, max(1, length_s - 1)), max_size=4, unique=True))):
            at = window.start + timedelta(seconds=offset)
            if at > presence[-1][0]:  # in time order, after it came online (a will, then back)
                presence.append((at, not presence[-1][1]))
    return DeviceSpec(
        external_id=external_id,
        created_at=created,
        ideal_cycle_s=cycle,
        sample_interval_s=draw(st.sampled_from([None, every, 600, 7200])),
        heartbeat_s=heartbeat,
        messages=tuple(out),
        presence=tuple(presence),
    )


@st.composite
def calendars(draw: st.DrawFn) -> tuple[CalendarRuleSpec, ...]:
    """No calendar, a weekly pattern, or one with dated exceptions and days off."""
    shape = draw(st.sampled_from(["none", "weekly", "exceptions"]))
    if shape == "none":
        return ()
    start, end = draw(st.sampled_from([("08:00", "16:00"), ("22:00", "06:00"), ("00:00", "00:00")]))
    rules = [
        CalendarRuleSpec("shift", weekday=d, start=start, end=end) for d in range(draw(st.integers(1, 7)))
    ]
    rules.append(CalendarRuleSpec("break", weekday=0, start="12:00", end="12:30"))
    if shape == "exceptions":
        day = date(2026, 11, 23) + timedelta(days=draw(st.integers(0, 9)))
        rules.append(CalendarRuleSpec("shift", day=day, start="09:00", end="13:00"))
        rules.append(CalendarRuleSpec("holiday", day=day + timedelta(days=draw(st.integers(1, 3)))))
    return tuple(rules)


@st.composite
def plants(draw: st.DrawFn, *, max_devices: int = 4) -> Plant:
    """A plant over a short (minutes) or long (days) window."""
    length = draw(
        st.sampled_from(
            [
                timedelta(minutes=12),
                timedelta(hours=5),
                timedelta(days=1),
                timedelta(days=2),
                timedelta(days=8),
            ]
        )
    )
    offset = timedelta(minutes=draw(st.sampled_from([0, 17, 60 * 9 + 30])))
    window = Window(START + offset, START + offset + length)
    count = draw(st.integers(1, max_devices))
    specs = [draw(devices(f"D{i:02d}", window)) for i in range(1, count + 1)]
    if draw(st.booleans()):
        specs[0] = DeviceSpec(**{**specs[0].__dict__, "bottleneck": True})
    ledger = tuple(
        LedgerLine(f"SB-{i:03d}", f"设备{i}", draw(st.booleans()), draw(st.booleans()), None)
        for i in range(draw(st.integers(0, 5)))
    )
    return Plant(window, tuple(specs), draw(calendars()), ledger, draw(st.sampled_from([300, 600, 3600])))


def observed(plant: Plant, device: DeviceSpec) -> Window | None:
    """As the database edge reads it: registration or first reading, whichever is earlier, to the end."""
    first = min((m.ts for m in device.messages), default=None)
    begin = min(device.created_at, first) if first is not None else device.created_at
    start = max(plant.window.start, begin)
    return Window(start, plant.window.end) if plant.window.end > start else None


def _online(plant: Plant, device: DeviceSpec, window: Window) -> tuple[tuple[datetime, datetime], ...] | None:
    if not device.presence:
        return None
    periods, since = [], None
    before = [up for ts, up in device.presence if ts <= window.start]
    if before and before[-1]:
        since = window.start
    for ts, up in device.presence:
        if not window.start < ts < window.end:
            continue
        if up and since is None:
            since = ts
        elif not up and since is not None:
            periods.append((since, ts))
            since = None
    if since is not None:
        periods.append((since, window.end))
    return tuple(periods)


def pure_input(plant: Plant) -> SnapshotInput:
    """The plant as the pure snapshot's input, read raw."""
    inputs = []
    for d in plant.devices:
        seen = observed(plant, d)
        raw = ()
        online = None
        if seen is not None:
            reach = timedelta(seconds=2 * (d.heartbeat_s or 0))
            heard = {m.ts for m in d.messages if m.ts < seen.end}
            if d.by_exception:
                heard |= {ts for ts, _ in d.presence if seen.start - reach <= ts < seen.end}
            heard = {ts for ts in heard if ts >= seen.start - reach or not d.by_exception}
            raw = (
                RawPart(
                    seen,
                    tuple(StateSample(m.ts, m.state) for m in d.messages if m.state and m.ts < seen.end),
                    tuple(
                        CounterSample(m.ts, m.seq, m.total, m.good or 0)
                        for m in d.messages
                        if m.total is not None and m.ts < seen.end
                    ),
                    tuple(
                        EnergySample(m.ts, m.energy)
                        for m in d.messages
                        if m.energy is not None and m.ts < seen.end
                    ),
                    tuple(sorted(heard)),
                ),
            )
            online = _online(plant, d, seen) if d.by_exception else None
        inputs.append(
            DeviceInput(
                external_id=d.external_id,
                name=d.external_id,  # the registry's default name
                ideal_cycle_s=None if d.ideal_cycle_s is None else Fraction(d.ideal_cycle_s),
                bottleneck=d.bottleneck,
                observed=seen,
                by_exception=d.by_exception,
                heartbeat_s=None if d.heartbeat_s is None else Fraction(d.heartbeat_s),
                online=online,
                sample_interval_s=None if d.sample_interval_s is None else Fraction(d.sample_interval_s),
                raw=raw,
            )
        )
    return SnapshotInput(
        window=plant.window,
        devices=tuple(inputs),
        calendar=plant.calendar,
        ledger=plant.ledger,
        silence_timeout_s=Fraction(plant.silence_timeout_s),
    )


def store(session: Session, plant: Plant, serial: int) -> int:
    """The plant as database rows (an enterprise of its own); its id."""
    enterprise = factories.enterprise(session, serial=serial, name=f"随机工厂{serial}")
    eid = enterprise.id or 0
    for d in plant.devices:
        device = factories.device(session, eid, d.external_id, ideal_cycle_s=d.ideal_cycle_s)
        device.created_at = d.created_at
        device.sample_interval_s = d.sample_interval_s
        device.heartbeat_s = d.heartbeat_s
        device.bottleneck = d.bottleneck
        session.add(device)
        session.flush()
        for m in d.messages:
            session.add(
                Telemetry(
                    device_id=device.id or 0,
                    seq=m.seq,
                    ts=m.ts,
                    state=m.state,
                    count_total=m.total,
                    count_good=m.good,
                    energy_kwh=None if m.energy is None else float(m.energy),
                )
            )
        for ts, up in d.presence:
            session.add(DevicePresence(device_id=device.id or 0, ts=ts, online=up, source="status"))
    for rule in plant.calendar:
        plant_records.add_calendar_rule(
            session=session,
            actor="test",
            enterprise_id=eid,
            raw={
                "kind": rule.kind,
                "weekday": "" if rule.weekday is None else str(rule.weekday),
                "day": rule.day.isoformat() if rule.day else "",
                "start": rule.start or "",
                "end": rule.end or "",
            },
        )
    for line in plant.ledger:
        plant_records.add_equipment(
            session=session,
            actor="test",
            enterprise_id=eid,
            raw={
                "code": line.code,
                "name": line.name,
                "production": "1" if line.production else "0",
                "connected": "1" if line.connected else "0",
            },
        )
    session.flush()
    return eid
