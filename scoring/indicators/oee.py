"""OEE (availability × performance × quality) with shift calendars, counter resets and reason codes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction

from scoring.indicators.intervals import Interval, intersect, length_s, seconds, subtract, to_fraction, union
from scoring.indicators.model import (
    STATES,
    UNKNOWN,
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

# A cumulative counter that drops to at most this share of its previous reading was reset (device
# restart, counter cleared): the new reading is what was made since. A smaller drop is a correction
# (a re-booked reject, a meter's jitter) and is subtracted. An ambiguous drop therefore under-counts,
# never over-counts. A sample marked `new_run` (a new birth, a restart) always starts a new run.
RESET_SHARE = Fraction(1, 10)
# Performance above 1 is possible only through a wrong ideal cycle time or implausible counts; up to
# this value it is kept as rounding of the ideal cycle time, beyond it the figure is flagged.
PERFORMANCE_TOLERANCE = Fraction(105, 100)


def is_reset(previous: Fraction, value: Fraction, *, new_run: bool = False) -> bool:
    """Whether a counter step from `previous` to `value` starts a new run (see RESET_SHARE)."""
    return new_run or (value < previous and value <= previous * RESET_SHARE)


def counter_steps(
    points: Sequence[tuple[datetime, Fraction, bool]], window: Window
) -> list[tuple[datetime, datetime, Fraction, bool]]:
    """(previous ts, ts, increase, reset) of each step credited to [start, end); `points` sorted by time.

    Each step is credited to the window holding its later sample; a reset credits the new reading,
    any other step the difference (negative for a correction).
    """
    steps: list[tuple[datetime, datetime, Fraction, bool]] = []
    previous: tuple[datetime, Fraction] | None = None
    for ts, value, new_run in points:
        if previous is not None and window.start <= ts < window.end:
            reset = is_reset(previous[1], value, new_run=new_run)
            steps.append((previous[0], ts, value if reset else value - previous[1], reset))
        if ts >= window.end:
            break
        previous = (ts, value)
    return steps


def counter_increase(points: Sequence[tuple[datetime, Fraction]], window: Window) -> Fraction:
    """Net increase of a cumulative counter credited to [start, end) (resets and corrections handled)."""
    steps = counter_steps([(ts, value, False) for ts, value in points], window)
    return sum((step[2] for step in steps), Fraction(0))


def _ordered(counters: Iterable[CounterSample]) -> list[CounterSample]:
    return sorted(set(counters), key=lambda c: (c.ts, c.seq))


def production_steps(
    counters: Iterable[CounterSample], window: Window
) -> list[tuple[datetime, datetime, Fraction, Fraction]]:
    """(previous ts, ts, total made, good made) per step; runs are decided on the total counter."""
    ordered = _ordered(counters)
    steps = counter_steps([(c.ts, Fraction(c.count_total), c.new_run) for c in ordered], window)
    out = []
    positions = [i for i, c in enumerate(ordered) if window.start <= c.ts < window.end and i > 0]
    for (start, ts, total, reset), i in zip(steps, positions, strict=True):
        good = Fraction(ordered[i].count_good)
        good_made = good if reset else good - ordered[i - 1].count_good
        out.append((start, ts, total, good_made))
    return out


def production_counts(counters: Iterable[CounterSample], window: Window) -> tuple[int, int]:
    """(total, good) parts made in the window from cumulative counters (see RESET_SHARE).

    A correction larger than what the window made cannot make it negative: both are kept ≥ 0, and
    good is never more than total.
    """
    steps = production_steps(counters, window)
    total = max(sum((s[2] for s in steps), Fraction(0)), Fraction(0))
    good = min(max(sum((s[3] for s in steps), Fraction(0)), Fraction(0)), total)
    return int(total), int(good)


def performance_count(counters: Iterable[CounterSample], window: Window, unknown: Iterable[Interval]) -> int:
    """Parts that performance may count: those of steps not spanning UNKNOWN time inside the window.

    Parts made across an unknown interval are kept out of performance's numerator, as the unknown
    time is out of its denominator (run time), so silence can inflate neither.
    """
    gaps = union(unknown)
    total = Fraction(0)
    for start, ts, made, _ in production_steps(counters, window):
        if not intersect([(max(start, window.start), ts)], gaps):
            total += made
    return int(max(total, Fraction(0)))


def energy_used_kwh(samples: Iterable[EnergySample], window: Window) -> Fraction:
    """kWh used in the window from a cumulative meter, resets handled."""
    ordered = sorted({(s.ts, to_fraction(s.energy_kwh)) for s in samples})
    return max(counter_increase(ordered, window), Fraction(0))


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
    """Planned time, run time, unknown planned time and the known downtime's breakdowns from a state timeline.

    Unknown time (UNKNOWN segments) is its own category: planned time of unknown state is neither run nor
    downtime, so it is in no downtime breakdown and no reason code claims it (docs/scoring.md).
    """
    whole: list[Interval] = [(window.start, window.end)]
    run = [(s.start, s.end) for s in timeline if s.state == "RUN"]
    unknown = [(s.start, s.end) for s in timeline if s.state == UNKNOWN]
    stops = [(s.start, s.end) for s in timeline if s.state == "PLANNED_STOP"]
    stops += [(c.start, c.end) for c in calendar if c.kind == "planned_stop"]
    # A scheduled break the device ran through was not taken: that time stays planned (and RUN).
    planned = subtract(whole, subtract(intersect(stops, whole), run))
    not_run = subtract(planned, run)
    downtime = subtract(not_run, unknown)
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
        unknown_planned_s=length_s(intersect(not_run, unknown)),
    )


def _by_reason(downtime: list[Interval], reasons: Iterable[DowntimeReason]) -> dict[str, Fraction]:
    """Known downtime per reason code; where reasons overlap the one listed first keeps the time."""
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


def bound_flags(
    availability: Fraction | None,
    performance: Fraction | None,
    quality: Fraction | None,
    oee: Fraction | None,
) -> tuple[str, ...]:
    """Why a figure is physically implausible (empty when all lie in bounds); the figures are kept."""
    flags = [
        f"{name}_out_of_bounds"
        for name, value in (("availability", availability), ("quality", quality))
        if value is not None and not 0 <= value <= 1
    ]
    # OEE above 1 can only come from performance within its tolerance; beyond it both are flagged.
    if oee is not None and not 0 <= oee <= PERFORMANCE_TOLERANCE:
        flags.append("oee_out_of_bounds")
    if performance is not None and not 0 <= performance <= PERFORMANCE_TOLERANCE:
        flags.append("performance_above_tolerance")
    return tuple(flags)


def oee_from_parts(
    measures: TimeMeasures,
    total_count: int,
    good_count: int,
    ideal_cycle_s: Fraction | int | float | str,
    *,
    performance_count: int | None = None,
) -> OeeResult:
    """Combine time measures and counts into OEE and TEEP; a zero denominator gives None, never an error.

    `performance_count` (default: all parts) is what performance counts (see `performance_count`).
    Availability is run time over known planned time, TEEP's time share run time over known time: time of
    unknown state is out of every denominator, as out of performance's (docs/scoring.md, "Unknown time").
    """
    cycle = to_fraction(ideal_cycle_s)
    counted = total_count if performance_count is None else performance_count
    known_planned = measures.known_planned_s
    known = measures.known_s
    availability = measures.run_s / known_planned if known_planned else None
    performance = cycle * counted / measures.run_s if measures.run_s else None
    quality = Fraction(good_count, total_count) if total_count else None
    product: Fraction | None = None
    teep: Fraction | None = None
    if availability is not None and performance is not None and quality is not None:
        product = availability * performance * quality
    if known and performance is not None and quality is not None:
        teep = measures.run_s / known * performance * quality
    return OeeResult(
        availability=availability,
        performance=performance,
        quality=quality,
        oee=product,
        planned_s=measures.planned_s,
        run_s=measures.run_s,
        total_count=total_count,
        good_count=good_count,
        downtime_s=known_planned - measures.run_s,
        downtime_by_state=measures.downtime_by_state,
        downtime_by_reason=measures.downtime_by_reason,
        teep=teep,
        window_s=measures.window_s,
        performance_count=counted,
        flags=bound_flags(availability, performance, quality, product),
        unknown_planned_s=measures.unknown_planned_s,
        unknown_s=measures.by_state.get(UNKNOWN, Fraction(0)),
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
    known: Iterable[Interval] | None = None,
) -> OeeResult:
    """OEE of one device over a window from raw state and counter samples (`known`: see state_timeline)."""
    counters = list(counters)
    timeline = state_timeline(states, window, silence_timeout_s, known=known)
    total, good = production_counts(counters, window)
    unknown = [(s.start, s.end) for s in timeline if s.state == UNKNOWN]
    return oee_from_parts(
        time_measures(timeline, window, calendar, reasons),
        total,
        good,
        ideal_cycle_s,
        performance_count=performance_count(counters, window, unknown),
    )
