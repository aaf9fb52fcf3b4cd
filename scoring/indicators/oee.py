"""OEE (availability × performance × quality) with shift calendars, counter resets and reason codes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction

from scoring.indicators.intervals import Interval, intersect, length_s, seconds, subtract, to_fraction, union
from scoring.indicators.model import (
    STATES,
    UNSPECIFIED,
    CalendarEntry,
    CounterSample,
    DowntimeReason,
    EnergySample,
    OeeResult,
    Segment,
    StateSample,
    TimeMeasures,
    Window,
)
from scoring.indicators.timeline import state_timeline


def counter_increase(points: Sequence[tuple[datetime, Fraction]], window: Window) -> Fraction:
    """Increase of a cumulative counter credited to [start, end); `points` sorted by time.

    Each step is credited to the window holding its later sample. A counter going down restarted
    from zero, so the new value itself is the production since the restart.
    """
    total = Fraction(0)
    previous: Fraction | None = None
    for ts, value in points:
        if previous is not None and window.start <= ts < window.end:
            total += value - previous if value >= previous else value
        if ts >= window.end:
            break
        previous = value
    return total


def production_counts(counters: Iterable[CounterSample], window: Window) -> tuple[int, int]:
    """(total, good) parts made in the window from cumulative counters, resets handled."""
    ordered = sorted(set(counters), key=lambda c: (c.ts, c.seq))
    total = counter_increase([(c.ts, Fraction(c.count_total)) for c in ordered], window)
    good = counter_increase([(c.ts, Fraction(c.count_good)) for c in ordered], window)
    return int(total), int(good)


def energy_used_kwh(samples: Iterable[EnergySample], window: Window) -> Fraction:
    """kWh used in the window from a cumulative meter, resets handled."""
    ordered = sorted({(s.ts, to_fraction(s.energy_kwh)) for s in samples})
    return counter_increase(ordered, window)


def energy_per_good_unit(
    energy: Iterable[EnergySample], counters: Iterable[CounterSample], window: Window
) -> Fraction | None:
    """kWh per good part over the window; None when no good part was made."""
    _, good = production_counts(counters, window)
    return energy_used_kwh(energy, window) / good if good else None


def time_measures(
    timeline: Sequence[Segment],
    window: Window,
    calendar: Iterable[CalendarEntry] = (),
    reasons: Iterable[DowntimeReason] = (),
) -> TimeMeasures:
    """Planned time, run time and downtime breakdowns of a window from its state timeline."""
    whole: list[Interval] = [(window.start, window.end)]
    run = [(s.start, s.end) for s in timeline if s.state == "RUN"]
    stops = [(s.start, s.end) for s in timeline if s.state == "PLANNED_STOP"]
    stops += [(c.start, c.end) for c in calendar if c.kind == "planned_stop"]
    # A scheduled break the device ran through was not taken: that time stays planned (and RUN).
    planned = subtract(whole, subtract(intersect(stops, whole), run))
    downtime = subtract(planned, run)
    by_state = dict.fromkeys(STATES, Fraction(0))
    downtime_by_state: dict[str, Fraction] = {}
    for segment in timeline:
        span = [(segment.start, segment.end)]
        by_state[segment.state] = by_state.get(segment.state, Fraction(0)) + length_s(span)
        lost = length_s(intersect(span, downtime))
        if lost:
            downtime_by_state[segment.state] = downtime_by_state.get(segment.state, Fraction(0)) + lost
    return TimeMeasures(
        window_s=seconds(window.end - window.start),
        planned_s=length_s(planned),
        run_s=length_s(intersect(run, whole)),
        by_state=by_state,
        downtime_by_state=downtime_by_state,
        downtime_by_reason=_by_reason(downtime, reasons),
    )


def _by_reason(downtime: list[Interval], reasons: Iterable[DowntimeReason]) -> dict[str, Fraction]:
    """Downtime per reason code; where reasons overlap the one listed first keeps the time."""
    left = union(downtime)
    out: dict[str, Fraction] = {}
    for reason in reasons:
        claimed = intersect(left, [(reason.start, reason.end)])
        if claimed:
            out[reason.code] = out.get(reason.code, Fraction(0)) + length_s(claimed)
            left = subtract(left, claimed)
    if left:
        out[UNSPECIFIED] = length_s(left)
    return out


def oee_from_parts(
    measures: TimeMeasures, total_count: int, good_count: int, ideal_cycle_s: Fraction | int | float | str
) -> OeeResult:
    """Combine time measures and counts into OEE; a zero denominator gives None, never an error."""
    cycle = to_fraction(ideal_cycle_s)
    availability = measures.run_s / measures.planned_s if measures.planned_s else None
    performance = cycle * total_count / measures.run_s if measures.run_s else None
    quality = Fraction(good_count, total_count) if total_count else None
    product: Fraction | None = None
    if availability is not None and performance is not None and quality is not None:
        product = availability * performance * quality
    return OeeResult(
        availability=availability,
        performance=performance,
        quality=quality,
        oee=product,
        planned_s=measures.planned_s,
        run_s=measures.run_s,
        total_count=total_count,
        good_count=good_count,
        downtime_s=measures.planned_s - measures.run_s,
        downtime_by_state=measures.downtime_by_state,
        downtime_by_reason=measures.downtime_by_reason,
    )


def oee(
    states: Iterable[StateSample],
    counters: Iterable[CounterSample],
    window: Window,
    *,
    ideal_cycle_s: Fraction | int | float | str,
    silence_timeout_s: float | Fraction,
    calendar: Iterable[CalendarEntry] = (),
    reasons: Iterable[DowntimeReason] = (),
) -> OeeResult:
    """OEE of one device over a window from raw state and counter samples."""
    timeline = state_timeline(states, window, silence_timeout_s)
    total, good = production_counts(counters, window)
    return oee_from_parts(time_measures(timeline, window, calendar, reasons), total, good, ideal_cycle_s)
