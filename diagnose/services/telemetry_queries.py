"""Indicators' I/O edge: load samples and roll-ups from the database and call the pure scoring.indicators."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from diagnose.models import (
    CalendarRule,
    Device,
    DeviceHour,
    DevicePresence,
    DowntimeReasonEntry,
    ShiftCalendarEntry,
    Telemetry,
)
from scoring.indicators import (
    STATES,
    UNKNOWN,
    CalendarEntry,
    CounterSample,
    DowntimeReason,
    EnergySample,
    HourlyAggregate,
    OeeResult,
    StateSample,
    TimeMeasures,
    Window,
    energy_used_kwh,
    known_periods,
    oee_from_parts,
    performance_count,
    production_counts,
    state_timeline,
    time_measures,
)
from scoring.indicators.calendar import CalendarRuleSpec, planned_stops
from scoring.indicators.intervals import Interval

HOUR = timedelta(hours=1)
US = 1_000_000
STATE_FIELD = {"RUN": "run_us", "IDLE": "idle_us", "DOWN": "down_us"}
STATE_FIELD |= {"PLANNED_STOP": "planned_stop_us", "OFF": "off_us", "UNKNOWN": "unknown_us"}
# Project default: a device that declared a heartbeat is unknown once it missed this many of them.
HEARTBEAT_MARGIN = 2


@dataclass(frozen=True, slots=True)
class DeviceSamples:
    """A device's samples for a window, including the last one before it (state and counters carry in)."""

    states: tuple[StateSample, ...]
    counters: tuple[CounterSample, ...]
    energy: tuple[EnergySample, ...]
    calendar: tuple[CalendarEntry, ...]
    reasons: tuple[DowntimeReason, ...]
    known: tuple[Interval, ...] | None = None  # report by exception: when the last state still holds


@dataclass(frozen=True, slots=True)
class DeviceFigures:
    """Additive figures of one device over a window: time measures, counts, energy."""

    measures: TimeMeasures
    total_count: int
    good_count: int
    energy_kwh: Fraction
    performance_count: int | None = None  # parts performance counts (None: all, as in old roll-ups)


def floor_hour(moment: datetime) -> datetime:
    """The start of the hour holding `moment`."""
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    """The first hour start at or after `moment`."""
    floored = floor_hour(moment)
    return floored if floored == moment else floored + HOUR


def load_samples(
    *, session: Session, device: Device, window: Window, infer_dumb_states: bool = True
) -> DeviceSamples:
    """Samples in [start, end) plus the last state, counter and energy sample before start."""
    columns: tuple[Any, ...] = (Telemetry.ts, Telemetry.seq, Telemetry.state, Telemetry.count_total)
    columns += (Telemetry.count_good, Telemetry.energy_kwh, Telemetry.current_a)
    base = select(*columns).where(Telemetry.device_id == device.id)
    inside = session.exec(
        base.where(col(Telemetry.ts) >= window.start, col(Telemetry.ts) < window.end).order_by(
            col(Telemetry.ts), col(Telemetry.seq)
        )
    ).all()
    before: list[Any] = []
    for column in (Telemetry.state, Telemetry.count_total, Telemetry.energy_kwh):
        row = session.exec(
            base.where(col(Telemetry.ts) < window.start, col(column).is_not(None))
            .order_by(col(Telemetry.ts).desc(), col(Telemetry.seq).desc())
            .limit(1)
        ).first()
        if row is not None:
            before.append(row)
    rows = sorted({(r[0], r[1]): r for r in [*before, *inside]}.values(), key=lambda r: (r[0], r[1]))
    states = [StateSample(r[0], r[2]) for r in rows if r[2] is not None]
    if infer_dumb_states and not states and device.sensor != "full":
        states = _inferred_states(session, device, rows)
    counters = [
        CounterSample(r[0], r[1], r[3], r[4] if r[4] is not None else r[3]) for r in rows if r[3] is not None
    ]
    energy = [EnergySample(r[0], r[5]) for r in rows if r[5] is not None]
    known = known_for(session=session, device=device, window=window, heard=[r[0] for r in rows])
    return DeviceSamples(
        tuple(states),
        tuple(counters),
        tuple(energy),
        tuple(load_calendar(session=session, device=device, window=window)),
        tuple(load_reasons(session=session, device_id=_id(device), window=window)),
        None if known is None else tuple(known),
    )


def reports_by_exception(*, session: Session, device: Device) -> bool:
    """Whether the device's online state is known (presence history, Sparkplug) or it declared a heartbeat."""
    if device.heartbeat_s is not None:
        return True
    row = session.exec(
        select(DevicePresence.id).where(DevicePresence.device_id == device.id).limit(1)
    ).first()
    return row is not None


def online_periods(*, session: Session, device: Device, window: Window) -> list[Interval] | None:
    """When the device was online inside the window, from its presence history; None without any."""
    before = session.exec(
        select(DevicePresence)
        .where(DevicePresence.device_id == device.id, col(DevicePresence.ts) <= window.start)
        .order_by(col(DevicePresence.ts).desc(), col(DevicePresence.id).desc())
        .limit(1)
    ).first()
    inside = session.exec(
        select(DevicePresence)
        .where(
            DevicePresence.device_id == device.id,
            col(DevicePresence.ts) > window.start,
            col(DevicePresence.ts) < window.end,
        )
        .order_by(col(DevicePresence.ts), col(DevicePresence.id))
    ).all()
    if before is None and not inside:
        return None
    periods: list[Interval] = []
    since = window.start if before is not None and before.online else None
    for row in inside:
        if row.online and since is None:
            since = row.ts
        elif not row.online and since is not None:
            periods.append((since, row.ts))
            since = None
    if since is not None:
        periods.append((since, window.end))
    return periods


def known_for(
    *, session: Session, device: Device, window: Window, heard: Sequence[datetime]
) -> list[Interval] | None:
    """Report by exception: when the device's last state still holds (None: use the silence timeout)."""
    online = online_periods(session=session, device=device, window=window)
    if online is None and device.heartbeat_s is None:
        return None
    presence = session.exec(
        select(DevicePresence.ts).where(
            DevicePresence.device_id == device.id,
            col(DevicePresence.ts) >= window.start - timedelta(seconds=float(device.heartbeat_s or 0) * 2),
            col(DevicePresence.ts) < window.end,
        )
    ).all()
    return known_periods(
        [*heard, *presence], window, online=online, heartbeat_s=device.heartbeat_s, margin=HEARTBEAT_MARGIN
    )


def observed_window(*, session: Session, device: Device, window: Window) -> Window | None:
    """The part of the window the device was observed: from its registration or first reading (whichever
    is earlier), to the window's end or its retirement; None when it does not overlap the window."""
    first = session.exec(select(func.min(Telemetry.ts)).where(Telemetry.device_id == device.id)).one()
    begin = min(device.created_at, first) if first is not None else device.created_at
    start = max(window.start, begin)
    end = min(window.end, device.retired_at) if device.retired_at is not None else window.end
    return Window(start, end) if end > start else None


def _inferred_states(session: Session, device: Device, rows: Sequence[Any]) -> list[StateSample]:
    """A dumb device's states from its current clamp, by its stored state model (diagnose.services.state_models)."""
    from diagnose.services import state_models
    from scoring.ml.state_inference import infer_states

    current = [(r[0], float(r[6])) for r in rows if r[6] is not None]
    if not current:
        return []
    model = state_models.model_for(session=session, device=device)
    if model is None:
        return []
    inferred = infer_states(model, [value for _, value in current])
    return [StateSample(ts, state) for (ts, _), state in zip(current, inferred, strict=True)]


def load_calendar(*, session: Session, device: Device, window: Window) -> list[CalendarEntry]:
    """Planned stops of the device's enterprise (and of the device itself) overlapping the window."""
    rows = session.exec(
        select(ShiftCalendarEntry).where(
            ShiftCalendarEntry.enterprise_id == device.enterprise_id,
            or_(col(ShiftCalendarEntry.device_id).is_(None), col(ShiftCalendarEntry.device_id) == device.id),
            col(ShiftCalendarEntry.start) < window.end,
            col(ShiftCalendarEntry.end) > window.start,
        )
    ).all()
    entries = [CalendarEntry(r.start, r.end, r.kind, r.label) for r in rows]
    return entries + planned_stops(
        calendar_rules(session=session, enterprise_id=device.enterprise_id), window
    )


def calendar_rules(*, session: Session, enterprise_id: int) -> list[CalendarRuleSpec]:
    """The enterprise's production calendar (shifts, breaks, holidays) as the pure rule specs."""
    rows = session.exec(
        select(CalendarRule).where(CalendarRule.enterprise_id == enterprise_id).order_by(col(CalendarRule.id))
    ).all()
    return [CalendarRuleSpec(r.kind, r.weekday, r.day, r.start, r.end, r.label) for r in rows]


def load_reasons(*, session: Session, device_id: int, window: Window) -> list[DowntimeReason]:
    """The device's downtime reason codes overlapping the window, oldest first (first listed wins)."""
    rows = session.exec(
        select(DowntimeReasonEntry)
        .where(
            DowntimeReasonEntry.device_id == device_id,
            col(DowntimeReasonEntry.start) < window.end,
            col(DowntimeReasonEntry.end) > window.start,
        )
        .order_by(col(DowntimeReasonEntry.id))
    ).all()
    return [DowntimeReason(r.start, r.end, r.code, r.label) for r in rows]


def raw_figures(samples: DeviceSamples, window: Window, *, silence_timeout_s: float) -> DeviceFigures:
    """Figures of a window straight from raw samples (pure functions)."""
    timeline = state_timeline(samples.states, window, silence_timeout_s, known=samples.known)
    measures = time_measures(timeline, window, samples.calendar, samples.reasons)
    total, good = production_counts(samples.counters, window)
    unknown = [(s.start, s.end) for s in timeline if s.state == UNKNOWN]
    counted = performance_count(samples.counters, window, unknown)
    return DeviceFigures(measures, total, good, energy_used_kwh(samples.energy, window), counted)


def aggregate_from_row(row: DeviceHour) -> HourlyAggregate:
    """A stored roll-up back as the pure HourlyAggregate."""
    reasons = {code: Fraction(us, US) for code, us in (row.downtime_by_reason_us or {}).items()}
    return HourlyAggregate(
        hour_start=row.hour_start,
        run_s=Fraction(row.run_us, US),
        idle_s=Fraction(row.idle_us, US),
        down_s=Fraction(row.down_us, US),
        planned_stop_s=Fraction(row.planned_stop_us, US),
        off_s=Fraction(row.off_us, US),
        unknown_s=Fraction(row.unknown_us, US),
        planned_s=Fraction(row.planned_us, US),
        count_total=row.count_total,
        count_good=row.count_good,
        energy_kwh=Fraction(row.energy_kwh),
        sample_count=row.sample_count,
        downtime_by_reason=reasons,
        performance_count=row.performance_count,
    )


def _aggregate_figures(aggregate: HourlyAggregate) -> DeviceFigures:
    by_state = {state: getattr(aggregate, STATE_FIELD[state].replace("_us", "_s")) for state in STATES}
    measures = TimeMeasures(
        window_s=Fraction(3600),
        planned_s=aggregate.planned_s,
        run_s=aggregate.run_s,
        by_state=by_state,
        downtime_by_state={},
        downtime_by_reason=dict(aggregate.downtime_by_reason),
    )
    return DeviceFigures(
        measures,
        aggregate.count_total,
        aggregate.count_good,
        aggregate.energy_kwh,
        aggregate.performance_count,
    )


def combine(parts: Iterable[DeviceFigures]) -> DeviceFigures:
    """Sum figures of disjoint consecutive windows (every figure is additive)."""
    parts = list(parts)

    def merged(maps: Iterable[Any]) -> dict[str, Fraction]:
        out: dict[str, Fraction] = {}
        for mapping in maps:
            for key, value in mapping.items():
                out[key] = out.get(key, Fraction(0)) + value
        return out

    measures = TimeMeasures(
        window_s=sum((p.measures.window_s for p in parts), Fraction(0)),
        planned_s=sum((p.measures.planned_s for p in parts), Fraction(0)),
        run_s=sum((p.measures.run_s for p in parts), Fraction(0)),
        by_state=merged(p.measures.by_state for p in parts),
        downtime_by_state=merged(p.measures.downtime_by_state for p in parts),
        downtime_by_reason=merged(p.measures.downtime_by_reason for p in parts),
    )
    return DeviceFigures(
        measures,
        sum(p.total_count for p in parts),
        sum(p.good_count for p in parts),
        sum((p.energy_kwh for p in parts), Fraction(0)),
        sum(p.total_count if p.performance_count is None else p.performance_count for p in parts),
    )


def device_figures(
    *, session: Session, device: Device, window: Window, silence_timeout_s: float, use_rollups: bool = True
) -> DeviceFigures:
    """Figures over the window: stored hourly roll-ups for complete hours, raw samples for the rest."""
    rolled: dict[datetime, DeviceHour] = {}
    first, last = ceil_hour(window.start), floor_hour(window.end)
    # Roll-ups are computed with the silence timeout: a device reporting by exception is read raw.
    if use_rollups and first < last and not reports_by_exception(session=session, device=device):
        rows = session.exec(
            select(DeviceHour).where(
                DeviceHour.device_id == device.id,
                col(DeviceHour.hour_start) >= first,
                col(DeviceHour.hour_start) < last,
            )
        ).all()
        rolled = {row.hour_start: row for row in rows}
    parts: list[DeviceFigures] = []
    raw_start = window.start
    hour = first
    while hour < last:
        row = rolled.get(hour)
        if row is not None:
            if raw_start < hour:
                parts.append(_raw(session, device, Window(raw_start, hour), silence_timeout_s))
            parts.append(_aggregate_figures(aggregate_from_row(row)))
            raw_start = hour + HOUR
        hour += HOUR
    if raw_start < window.end or not parts:
        parts.append(_raw(session, device, Window(raw_start, window.end), silence_timeout_s))
    return combine(parts)


def _raw(session: Session, device: Device, window: Window, silence_timeout_s: float) -> DeviceFigures:
    samples = load_samples(session=session, device=device, window=window)
    return raw_figures(samples, window, silence_timeout_s=silence_timeout_s)


def oee_of(figures: DeviceFigures, ideal_cycle_s: float | None) -> OeeResult:
    """OEE from figures; without an ideal cycle time performance (and so OEE) is unknown."""
    result = oee_from_parts(
        figures.measures,
        figures.total_count,
        figures.good_count,
        ideal_cycle_s or 0,
        performance_count=figures.performance_count,
    )
    if ideal_cycle_s is None:
        result = dataclasses.replace(result, performance=None, oee=None, teep=None, flags=())
    return result


def device_oee(
    *, session: Session, device: Device, window: Window, silence_timeout_s: float, use_rollups: bool = True
) -> OeeResult:
    """OEE of one device over a window through the database."""
    figures = device_figures(
        session=session,
        device=device,
        window=window,
        silence_timeout_s=silence_timeout_s,
        use_rollups=use_rollups,
    )
    return oee_of(figures, device.ideal_cycle_s)


def enterprise_devices(*, session: Session, enterprise_id: int) -> list[Device]:
    """The enterprise's registered devices (pending ones excluded; retired ones count up to retirement)."""
    statement = select(Device).where(
        Device.enterprise_id == enterprise_id, col(Device.registry_status) != "pending"
    )
    devices = session.exec(statement.order_by(col(Device.external_id))).all()
    return [d for d in devices if d.registry_status != "retired" or d.retired_at is not None]


def enterprise_evidence(
    *, session: Session, enterprise_id: int, window: Window, silence_timeout_s: float
) -> Any:
    """See diagnose.services.plant_evidence.enterprise_evidence (kept here for callers)."""
    from diagnose.services import plant_evidence

    return plant_evidence.enterprise_evidence(
        session=session, enterprise_id=enterprise_id, window=window, silence_timeout_s=silence_timeout_s
    )


def _id(device: Device) -> int:
    assert device.id is not None
    return device.id
