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

from diagnose.models import Device, DeviceHour, DowntimeReasonEntry, ShiftCalendarEntry, Telemetry
from scoring.indicators import (
    STATES,
    CalendarEntry,
    CounterSample,
    DowntimeReason,
    EnergySample,
    HourlyAggregate,
    OeeResult,
    StateSample,
    TimeMeasures,
    Window,
    data_capture_coverage,
    energy_used_kwh,
    networking_rate,
    oee_from_parts,
    production_counts,
    state_timeline,
    time_measures,
)

HOUR = timedelta(hours=1)
US = 1_000_000
MIN_SAMPLES_TO_INFER = 10
STATE_FIELD = {"RUN": "run_us", "IDLE": "idle_us", "DOWN": "down_us"}
STATE_FIELD |= {"PLANNED_STOP": "planned_stop_us", "OFF": "off_us", "UNKNOWN": "unknown_us"}


@dataclass(frozen=True, slots=True)
class DeviceSamples:
    """A device's samples for a window, including the last one before it (state and counters carry in)."""

    states: tuple[StateSample, ...]
    counters: tuple[CounterSample, ...]
    energy: tuple[EnergySample, ...]
    calendar: tuple[CalendarEntry, ...]
    reasons: tuple[DowntimeReason, ...]


@dataclass(frozen=True, slots=True)
class DeviceFigures:
    """Additive figures of one device over a window: time measures, counts, energy."""

    measures: TimeMeasures
    total_count: int
    good_count: int
    energy_kwh: Fraction


@dataclass(frozen=True, slots=True)
class EnterpriseEvidence:
    """An enterprise's measured evidence for a diagnosis window (what the scoring's evidence proposals use)."""

    window: Window
    devices_total: int
    devices_networked: int
    networking_rate: Fraction | None
    coverage: Fraction | None
    oee: Fraction | None  # mean over devices with a defined OEE
    utilisation: Fraction | None  # mean RUN share of the window over reporting networked devices
    energy_per_good_unit_kwh: Fraction | None
    oee_by_device: dict[str, OeeResult]


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
        states = _inferred_states(rows)
    counters = [
        CounterSample(r[0], r[1], r[3], r[4] if r[4] is not None else r[3]) for r in rows if r[3] is not None
    ]
    energy = [EnergySample(r[0], r[5]) for r in rows if r[5] is not None]
    return DeviceSamples(
        tuple(states),
        tuple(counters),
        tuple(energy),
        tuple(load_calendar(session=session, device=device, window=window)),
        tuple(load_reasons(session=session, device_id=_id(device), window=window)),
    )


def _inferred_states(rows: Sequence[Any]) -> list[StateSample]:
    """A dumb device's states from its current clamp (Gaussian mixture, scoring.ml)."""
    from scoring.ml.state_inference import fit_state_model, infer_states

    current = [(r[0], float(r[6])) for r in rows if r[6] is not None]
    if len(current) < MIN_SAMPLES_TO_INFER or len({value for _, value in current}) < 2:
        return []
    model = fit_state_model([value for _, value in current])
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
    return [CalendarEntry(r.start, r.end, r.kind, r.label) for r in rows]


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
    timeline = state_timeline(samples.states, window, silence_timeout_s)
    measures = time_measures(timeline, window, samples.calendar, samples.reasons)
    total, good = production_counts(samples.counters, window)
    return DeviceFigures(measures, total, good, energy_used_kwh(samples.energy, window))


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
    return DeviceFigures(measures, aggregate.count_total, aggregate.count_good, aggregate.energy_kwh)


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
    )


def device_figures(
    *, session: Session, device: Device, window: Window, silence_timeout_s: float, use_rollups: bool = True
) -> DeviceFigures:
    """Figures over the window: stored hourly roll-ups for complete hours, raw samples for the rest."""
    rolled: dict[datetime, DeviceHour] = {}
    first, last = ceil_hour(window.start), floor_hour(window.end)
    if use_rollups and first < last:
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
    result = oee_from_parts(figures.measures, figures.total_count, figures.good_count, ideal_cycle_s or 0)
    if ideal_cycle_s is None:
        result = dataclasses.replace(result, performance=None, oee=None)
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
    """The enterprise's registered devices (pending and retired ones excluded)."""
    statement = select(Device).where(
        Device.enterprise_id == enterprise_id, col(Device.registry_status).not_in(["pending", "retired"])
    )
    return list(session.exec(statement.order_by(col(Device.external_id))).all())


def enterprise_evidence(
    *, session: Session, enterprise_id: int, window: Window, silence_timeout_s: float
) -> EnterpriseEvidence:
    """Networking rate, coverage, mean OEE, utilisation and energy per good unit of an enterprise's plant."""
    devices = enterprise_devices(session=session, enterprise_id=enterprise_id)
    production = [d.external_id for d in devices if d.production]
    networked = [d.external_id for d in devices if d.networked and d.protocol != "none"]
    spans = session.exec(
        select(Telemetry.device_id, func.min(Telemetry.ts), func.max(Telemetry.ts))
        .where(col(Telemetry.ts) >= window.start, col(Telemetry.ts) < window.end)
        .where(col(Telemetry.device_id).in_([d.id for d in devices]))
        .group_by(col(Telemetry.device_id))
    ).all()
    by_id = {d.id: d.external_id for d in devices}
    heard = {by_id[device_id]: [low, high] for device_id, low, high in spans}
    for row in session.exec(
        select(DeviceHour.device_id, DeviceHour.hour_start).where(
            col(DeviceHour.device_id).in_([d.id for d in devices]),
            DeviceHour.sample_count > 0,
            col(DeviceHour.hour_start) >= window.start,
            col(DeviceHour.hour_start) < window.end,
        )
    ).all():
        heard.setdefault(by_id[row[0]], []).append(row[1])  # raw rows may be gone after retention
    coverage = data_capture_coverage(networked, heard, window, silence_timeout_s)
    results: dict[str, OeeResult] = {}
    utilisations: list[Fraction] = []
    energy, good = Fraction(0), 0
    for device in devices:
        if device.external_id not in networked or device.external_id not in heard:
            continue
        figures = device_figures(
            session=session, device=device, window=window, silence_timeout_s=silence_timeout_s
        )
        results[device.external_id] = oee_of(figures, device.ideal_cycle_s)
        if figures.measures.window_s:
            utilisations.append(figures.measures.run_s / figures.measures.window_s)
        if figures.good_count:
            energy += figures.energy_kwh
            good += figures.good_count
    defined = [r.oee for r in results.values() if r.oee is not None]
    return EnterpriseEvidence(
        window=window,
        devices_total=len(devices),
        devices_networked=len(networked),
        networking_rate=networking_rate(production, networked),
        coverage=coverage.coverage,
        oee=sum(defined, Fraction(0)) / len(defined) if defined else None,
        utilisation=sum(utilisations, Fraction(0)) / len(utilisations) if utilisations else None,
        energy_per_good_unit_kwh=energy / good if good else None,
        oee_by_device=results,
    )


def _id(device: Device) -> int:
    assert device.id is not None
    return device.id
