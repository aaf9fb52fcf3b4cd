"""Hourly roll-up of one device's samples, and OEE rebuilt exactly from the roll-ups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from fractions import Fraction

from scoring.indicators.coverage import slot_step, slots_heard
from scoring.indicators.intervals import to_fraction
from scoring.indicators.model import (
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
)
from scoring.indicators.oee import (
    energy_used_kwh,
    oee_from_parts,
    performance_count,
    production_counts,
    time_measures,
)
from scoring.indicators.timeline import state_timeline

HOUR = timedelta(hours=1)


def hourly_aggregates(
    states: Iterable[StateSample],
    counters: Iterable[CounterSample],
    energy: Iterable[EnergySample],
    hour: datetime,
    *,
    silence_timeout_s: float | Fraction,
    calendar: Iterable[CalendarEntry] = (),
    reasons: Iterable[DowntimeReason] = (),
    heard: Iterable[datetime] | None = None,
    slot_s: float | Fraction | None = None,
) -> HourlyAggregate:
    """Roll up [hour, hour + 1 h); pass samples from before the hour too so state and counters carry in.

    `sample_count` is the number of distinct message times inside the hour: of `heard` (every message, as
    the evidence snapshot's coverage counts raw), else over the three inputs. With `slot_s` (the device's
    sampling interval), `slots_heard` counts the hour's sampling slots that heard a message, as the snapshot's
    coverage counts them from raw samples.
    """
    if hour.minute or hour.second or hour.microsecond:
        raise ValueError(f"hour must start on the hour, got {hour.isoformat()}")
    window = Window(hour, hour + HOUR)
    states, counters, energy = list(states), list(counters), list(energy)
    timeline = state_timeline(states, window, silence_timeout_s)
    measures = time_measures(timeline, window, calendar, reasons)
    total, good = production_counts(counters, window)
    unknown = [(s.start, s.end) for s in timeline if s.state == UNKNOWN]
    heard = list(
        heard
        if heard is not None
        else {s.ts for s in states} | {c.ts for c in counters} | {e.ts for e in energy}
    )
    return HourlyAggregate(
        hour_start=hour,
        run_s=measures.by_state["RUN"],
        idle_s=measures.by_state["IDLE"],
        down_s=measures.by_state["DOWN"],
        planned_stop_s=measures.by_state["PLANNED_STOP"],
        off_s=measures.by_state["OFF"],
        unknown_s=measures.by_state["UNKNOWN"],
        planned_s=measures.planned_s,
        count_total=total,
        count_good=good,
        energy_kwh=energy_used_kwh(energy, window),
        sample_count=sum(1 for ts in heard if window.start <= ts < window.end),
        downtime_by_reason=dict(measures.downtime_by_reason),
        performance_count=performance_count(counters, window, unknown),
        unknown_planned_s=measures.unknown_planned_s,
        slot_s=None if slot_s is None else to_fraction(slot_s),
        slots_heard=None if slot_s is None else slots_heard(heard, hour, slot_step(slot_s)),
    )


def oee_from_aggregates(
    aggregates: Sequence[HourlyAggregate], *, ideal_cycle_s: Fraction | int | float | str
) -> OeeResult:
    """OEE over consecutive hours from their roll-ups: equal to OEE over the raw samples of those hours."""
    by_state = {
        "RUN": _sum(a.run_s for a in aggregates),
        "IDLE": _sum(a.idle_s for a in aggregates),
        "DOWN": _sum(a.down_s for a in aggregates),
        "PLANNED_STOP": _sum(a.planned_stop_s for a in aggregates),
        "OFF": _sum(a.off_s for a in aggregates),
        "UNKNOWN": _sum(a.unknown_s for a in aggregates),
    }
    measures = TimeMeasures(
        window_s=Fraction(len(aggregates) * 3600),
        planned_s=_sum(a.planned_s for a in aggregates),
        run_s=by_state["RUN"],
        by_state={state: by_state.get(state, Fraction(0)) for state in STATES},
        downtime_by_state={},  # not kept per hour: the roll-up stores state times, not their overlap with plans
        downtime_by_reason=_merge(a.downtime_by_reason for a in aggregates),
        # Roll-ups stored before unknown time was kept apart carry None: read as none of it planned.
        unknown_planned_s=_sum(a.unknown_planned_s or Fraction(0) for a in aggregates),
    )
    total = sum(a.count_total for a in aggregates)
    good = sum(a.count_good for a in aggregates)
    counted = sum(a.count_total if a.performance_count is None else a.performance_count for a in aggregates)
    return oee_from_parts(measures, total, good, ideal_cycle_s, performance_count=counted)


def _sum(values: Iterable[Fraction]) -> Fraction:
    return sum(values, Fraction(0))


def _merge(maps: Iterable[Mapping[str, Fraction]]) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    for mapping in maps:
        for key, value in mapping.items():
            out[key] = out.get(key, Fraction(0)) + value
    return out
