"""A device's observed period cut into hour slices ("atoms") of additive figures, from raw samples or from
hourly roll-ups: every device, day and plant figure of the evidence snapshot is a sum of atoms.

Raw samples and roll-ups give the same atoms: a raw part is measured hour by hour exactly as `hourly_aggregates`
measures an hour (state carried in, counters credited to the hour of their later sample, totals kept ≥ 0 and
good ≤ total per hour). A roll-up's planned time is recomputed from today's calendar, which it may predate: so
an hour may be read from its roll-up only when the calendar plans all of it or none of it and no downtime reason
touches it (`rolled_up_hours` says which); other hours are read raw.

Atoms hold time in integer microseconds (the resolution of every stored timestamp and roll-up, so nothing is
rounded): summing a month of hours is integer addition, and the snapshot makes exact Fractions of the sums.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import TypeVar

from scoring.indicators.intervals import Interval, intersect, to_fraction, union
from scoring.indicators.model import (
    STATES,
    UNKNOWN,
    UNSPECIFIED,
    CalendarEntry,
    CounterSample,
    DowntimeReason,
    EnergySample,
    HourlyAggregate,
    Segment,
    StateSample,
    Window,
)
from scoring.indicators.oee import counter_steps, production_steps, time_measures
from scoring.indicators.timeline import known_periods, state_timeline

HOUR = timedelta(hours=1)
MICROSECOND = timedelta(microseconds=1)
US = 1_000_000
HOUR_US = 3_600 * US
Spanned = TypeVar("Spanned", CalendarEntry, DowntimeReason)
# Project default: a device that declared a heartbeat is unknown once it missed this many of them.
HEARTBEAT_MARGIN = 2


@dataclass(frozen=True, slots=True)
class RawPart:
    """Raw samples of one piece of a device's observed period, with the last state, counter and energy sample
    before it (they carry in); `heard` is every message time in it (and shortly before, for a heartbeat)."""

    window: Window
    states: tuple[StateSample, ...] = ()
    counters: tuple[CounterSample, ...] = ()
    energy: tuple[EnergySample, ...] = ()
    heard: tuple[datetime, ...] = ()


@dataclass(frozen=True, slots=True)
class DeviceInput:
    """One networked device of the plant as the snapshot needs it: what it is, when it was observed, and its
    telemetry-derived data as raw parts and/or hourly roll-ups covering the observed period without overlap."""

    external_id: str
    name: str = ""
    kind: str = ""
    ideal_cycle_s: Fraction | None = None
    bottleneck: bool = False
    observed: Window | None = None  # registration or first reading → window end or retirement
    by_exception: bool = False  # presence history (will, Sparkplug) or a declared heartbeat
    heartbeat_s: Fraction | None = None
    online: tuple[Interval, ...] | None = None  # presence periods (None: no presence history)
    sample_interval_s: Fraction | None = None  # declared sampling interval (coverage of a sampling device)
    raw: tuple[RawPart, ...] = ()
    hours: tuple[HourTotals, ...] = ()
    planned_stops: tuple[CalendarEntry, ...] = ()  # explicit planned stops of the plant and of this device
    reasons: tuple[DowntimeReason, ...] = ()


@dataclass(frozen=True, slots=True)
class HourTotals:
    """A stored hourly roll-up as the snapshot reads it: times in integer microseconds, as stored."""

    hour_start: datetime
    run_us: int
    idle_us: int
    down_us: int
    planned_stop_us: int
    off_us: int
    unknown_us: int
    planned_us: int
    count_total: int
    count_good: int
    energy_kwh: Fraction
    sample_count: int
    downtime_by_reason_us: Mapping[str, int] = field(default_factory=dict)
    performance_count: int | None = None  # None: all of count_total (roll-ups stored before this field)
    unknown_planned_us: int | None = None  # None: not kept (roll-ups stored before migration 0022)
    slot_us: int | None = None  # the sampling interval `slots_heard` was counted at (None: not kept)
    slots_heard: int | None = None

    @classmethod
    def of(cls, aggregate: HourlyAggregate) -> HourTotals:
        """The totals of a pure HourlyAggregate (seconds exact) as the store keeps them."""
        return cls(
            hour_start=aggregate.hour_start,
            run_us=to_us(aggregate.run_s),
            idle_us=to_us(aggregate.idle_s),
            down_us=to_us(aggregate.down_s),
            planned_stop_us=to_us(aggregate.planned_stop_s),
            off_us=to_us(aggregate.off_s),
            unknown_us=to_us(aggregate.unknown_s),
            planned_us=to_us(aggregate.planned_s),
            count_total=aggregate.count_total,
            count_good=aggregate.count_good,
            energy_kwh=aggregate.energy_kwh,
            sample_count=aggregate.sample_count,
            downtime_by_reason_us={k: to_us(v) for k, v in aggregate.downtime_by_reason.items()},
            performance_count=aggregate.performance_count,
            unknown_planned_us=None
            if aggregate.unknown_planned_s is None
            else to_us(aggregate.unknown_planned_s),
        )


@dataclass(frozen=True, slots=True)
class Atom:
    """Additive figures of one hour slice [start, end) of a device's observed period (microseconds, exact)."""

    start: datetime
    end: datetime
    by_state_us: Mapping[str, int]
    planned_us: int
    run_us: int
    unknown_planned_us: int
    downtime_by_state_us: Mapping[str, int] = field(default_factory=dict)
    downtime_by_reason_us: Mapping[str, int] = field(default_factory=dict)
    total_count: int = 0
    good_count: int = 0
    performance_count: int = 0
    energy_kwh: Fraction = Fraction(0)
    metered: bool = False  # energy was used in the slice (a meter reports; raw and roll-ups agree)

    @property
    def length_us(self) -> int:
        """Microseconds of the slice."""
        return (self.end - self.start) // MICROSECOND


def to_us(value: Fraction | int) -> int:
    """Seconds as integer microseconds; every time here is a whole number of them (stored resolution)."""
    us = value * US
    if isinstance(us, Fraction):
        if us.denominator != 1:
            raise ValueError(f"{value} s is not a whole number of microseconds")
        return us.numerator
    return int(us)


def _us_map(values: Mapping[str, Fraction]) -> dict[str, int]:
    return {k: to_us(v) for k, v in values.items()}


def hour_slices(window: Window) -> list[Window]:
    """The window cut at every full hour (UTC hours are China hours too: UTC+8 has no half hours)."""
    out: list[Window] = []
    cursor = window.start
    while cursor < window.end:
        edge = min(cursor.replace(minute=0, second=0, microsecond=0) + HOUR, window.end)
        out.append(Window(cursor, edge))
        cursor = edge
    return out


def _clip(segments: Sequence[Segment], starts: Sequence[datetime], window: Window) -> list[Segment]:
    first = max(0, bisect_right(starts, window.start) - 1)
    out = []
    for segment in segments[first:]:
        if segment.start >= window.end:
            break
        start, end = max(segment.start, window.start), min(segment.end, window.end)
        if end > start:
            out.append(Segment(start, end, segment.state))
    return out


def _overlapping(entries: Iterable[Spanned], window: Window) -> list[Spanned]:
    return [e for e in entries if e.start < window.end and e.end > window.start]


def raw_atoms(
    device: DeviceInput,
    part: RawPart,
    stops: Sequence[CalendarEntry],
    *,
    silence_timeout_s: float | Fraction,
) -> list[Atom]:
    """One atom per hour slice of a raw part: its timeline held while known (report by exception) or up to
    the silence timeout, measured against the planned stops and reason codes of the slice."""
    known = None
    if device.by_exception:
        known = known_periods(
            part.heard,
            part.window,
            online=device.online,
            heartbeat_s=device.heartbeat_s,
            margin=HEARTBEAT_MARGIN,
        )
    timeline = state_timeline(part.states, part.window, silence_timeout_s, known=known)
    starts = [s.start for s in timeline]
    steps = production_steps(part.counters, part.window)
    energy_points = sorted({(e.ts, to_fraction(e.energy_kwh)) for e in part.energy})
    energy_steps = counter_steps([(ts, value, False) for ts, value in energy_points], part.window)
    atoms = []
    for piece in hour_slices(part.window):
        clipped = _clip(timeline, starts, piece)
        measures = time_measures(
            clipped, piece, _overlapping(stops, piece), _overlapping(device.reasons, piece)
        )
        unknown = [(s.start, s.end) for s in clipped if s.state == UNKNOWN]
        mine = [s for s in steps if piece.start <= s[1] < piece.end]
        total = max(sum((s[2] for s in mine), Fraction(0)), Fraction(0))
        good = min(max(sum((s[3] for s in mine), Fraction(0)), Fraction(0)), total)
        counted = sum(
            (s[2] for s in mine if not intersect([(max(s[0], piece.start), s[1])], unknown)), Fraction(0)
        )
        energy = sum((s[2] for s in energy_steps if piece.start <= s[1] < piece.end), Fraction(0))
        atoms.append(
            Atom(
                start=piece.start,
                end=piece.end,
                by_state_us=_us_map(measures.by_state),
                planned_us=to_us(measures.planned_s),
                run_us=to_us(measures.run_s),
                unknown_planned_us=to_us(measures.unknown_planned_s),
                downtime_by_state_us=_us_map(measures.downtime_by_state),
                downtime_by_reason_us=_us_map(measures.downtime_by_reason),
                total_count=int(total),
                good_count=int(good),
                performance_count=int(max(counted, Fraction(0))),
                energy_kwh=max(energy, Fraction(0)),
                metered=energy > 0,  # as a roll-up can tell: energy was used in the slice
            )
        )
    return atoms


def calendar_cover(stops: Sequence[CalendarEntry], hour: Window) -> str:
    """How the planned stops lie on an hour: "none" of it stopped, "all" of it, or "part"."""
    return StopCover(stops).cover(hour)


class StopCover:
    """The planned stops merged once, so the cover of each of a month's hours is a binary search."""

    def __init__(self, stops: Sequence[CalendarEntry]) -> None:
        self._spans = union((e.start, e.end) for e in stops if e.kind == "planned_stop")
        self._starts = [start for start, _ in self._spans]

    def cover(self, hour: Window) -> str:
        """ "none" of the hour stopped, "all" of it, or "part"."""
        i = max(0, bisect_right(self._starts, hour.start) - 1)
        stopped = timedelta(0)
        for start, end in self._spans[i:]:
            if start >= hour.end:
                break
            if end > hour.start:
                stopped += min(end, hour.end) - max(start, hour.start)
        if not stopped:
            return "none"
        return "all" if stopped == hour.end - hour.start else "part"


def rolled_up_hours(
    device: DeviceInput,
    stops: Sequence[CalendarEntry],
    hours: Iterable[datetime],
    *,
    raw_since: datetime | None = None,
) -> set[datetime]:
    """Which of these complete hours may be read from their roll-ups: the calendar plans all of the hour or
    none of it and no downtime reason touches it (else raw samples give the exact figures), or its raw samples
    are gone (retention: an hour ending before `raw_since`, the oldest raw sample kept). A device reporting by
    exception is read raw while its samples are kept (roll-ups hold the silence timeout's timeline)."""
    covers = StopCover(stops)
    out = set()
    for hour in hours:
        window = Window(hour, hour + HOUR)
        if (raw_since is not None and window.end <= raw_since) or (
            not device.by_exception
            and covers.cover(window) != "part"
            and not _overlapping(device.reasons, window)
        ):
            out.add(hour)
    return out


def aggregate_atom(aggregate: HourTotals, cover: str) -> Atom:
    """An atom from an hour's roll-up, given how the calendar covers the hour (`StopCover.cover`). Where the
    calendar plans all of the hour or none of it, its planned time is recomputed from today's calendar (which
    the roll-up may predate), exactly; otherwise (an hour whose raw samples are gone) the roll-up's own planned
    time stands. Reason codes are the roll-up's; the rest of the known downtime is UNSPECIFIED."""
    hour_start = aggregate.hour_start
    run = aggregate.run_us
    by_state = {
        "RUN": run,
        "IDLE": aggregate.idle_us,
        "DOWN": aggregate.down_us,
        "PLANNED_STOP": aggregate.planned_stop_us,
        "OFF": aggregate.off_us,
        UNKNOWN: aggregate.unknown_us,
    }
    lost: dict[str, int] = {}
    if cover == "none":  # all planned but the device's own planned stops
        planned, unknown_planned = HOUR_US - aggregate.planned_stop_us, aggregate.unknown_us
        lost = {s: by_state[s] for s in ("IDLE", "DOWN", "OFF") if by_state[s]}
    elif cover == "all":  # the calendar stops the whole hour: only time run through it stays planned
        planned, unknown_planned = run, 0
    else:  # kept as rolled up (roll-ups before migration 0022 did not keep unknown planned time apart)
        planned = aggregate.planned_us
        kept = aggregate.unknown_planned_us
        unknown_planned = min(aggregate.unknown_us, planned - run) if kept is None else kept
    downtime = planned - run - unknown_planned
    reasons: dict[str, int] = {}
    claimed = 0
    for code, us in aggregate.downtime_by_reason_us.items():
        if code != UNSPECIFIED and us and claimed < downtime:
            reasons[code] = min(us, downtime - claimed)
            claimed += reasons[code]
    if downtime - claimed:
        reasons[UNSPECIFIED] = downtime - claimed
    return Atom(
        start=hour_start,
        end=hour_start + HOUR,
        by_state_us={state: by_state.get(state, 0) for state in STATES},
        planned_us=planned,
        run_us=run,
        unknown_planned_us=unknown_planned,
        downtime_by_state_us=lost,
        downtime_by_reason_us=reasons,
        total_count=aggregate.count_total,
        good_count=aggregate.count_good,
        performance_count=aggregate.count_total
        if aggregate.performance_count is None
        else aggregate.performance_count,
        energy_kwh=aggregate.energy_kwh,
        metered=aggregate.energy_kwh > 0,
    )


def device_atoms(
    device: DeviceInput, stops: Sequence[CalendarEntry], *, silence_timeout_s: float | Fraction
) -> list[Atom]:
    """Every atom of a device's observed period, in time order (raw parts and roll-ups together)."""
    covers = StopCover(stops)
    atoms = [aggregate_atom(a, covers.cover(Window(a.hour_start, a.hour_start + HOUR))) for a in device.hours]
    for part in device.raw:
        atoms += raw_atoms(device, part, stops, silence_timeout_s=silence_timeout_s)
    return sorted(atoms, key=lambda a: a.start)
