"""A device's observed period cut into hour slices ("atoms") of additive figures, from raw samples or from
hourly roll-ups: every device, day and plant figure of the evidence snapshot is a sum of atoms.

Raw samples and roll-ups give the same atoms: a raw part is measured hour by hour exactly as `hourly_aggregates`
measures an hour (state carried in, counters credited to the hour of their later sample, totals kept ≥ 0 and
good ≤ total per hour). A roll-up's planned time is recomputed from today's calendar, which it may predate: so
an hour may be read from its roll-up only when the calendar plans all of it or none of it and no downtime reason
touches it (`rolled_up_hours` says which); other hours are read raw.

Atoms hold time in integer microseconds (the resolution of every stored timestamp and roll-up, so nothing is
rounded): summing a month of hours is integer addition, and the snapshot makes exact Fractions of the sums. A
month of roll-ups comes as columns (`HourBlock`) and is summed as integer arrays, hour for hour what
`aggregate_atom` gives (`StopCover.covers`, `rollup_rows`: the vectorised `cover` and `rolled_up_hours`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

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
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Spanned = TypeVar("Spanned", CalendarEntry, DowntimeReason)
Ints = NDArray[np.int64]
# Columns of HourBlock.values: the six states' times (in STATES order), then the rest of a roll-up.
PLANNED, UNKNOWN_PLANNED, TOTAL, GOOD, COUNTED, SAMPLES, SLOT, SLOTS_HEARD = range(6, 14)
BLOCK_COLUMNS = 14
# How the calendar's planned stops cover an hour (StopCover.covers).
COVER_NONE, COVER_PART, COVER_ALL = 0, 1, 2
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
    block: HourBlock | None = None  # more roll-ups, as columns (what the database edge gives)

    @property
    def rolled_up(self) -> int:
        """How many hours are read from roll-ups (`hours` and `block`)."""
        return len(self.hours) + (len(self.block) if self.block is not None else 0)

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


def epoch_us(moment: datetime) -> int:
    """An aware moment as integer microseconds since 1970-01-01 UTC."""
    return (moment - EPOCH) // MICROSECOND


def from_epoch_us(us: int, zone: tzinfo) -> datetime:
    """Microseconds since 1970-01-01 UTC as an aware moment in `zone`."""
    return (EPOCH + timedelta(microseconds=us)).astimezone(zone)


@dataclass(frozen=True, slots=True, eq=False)
class HourBlock:
    """Hourly roll-ups as columns, one row an hour in ascending order: what a month of a device's roll-ups
    is read as, so their figures are summed by vectorised integer arithmetic instead of an object an hour.

    `values` holds integer microseconds and counts (columns: the six states of STATES, then PLANNED,
    UNKNOWN_PLANNED (-1: not kept), TOTAL, GOOD, COUNTED (the total where not kept), SAMPLES, SLOT (-1: not
    kept), SLOTS_HEARD (-1: not kept)); the rare energy and reason codes are kept by row. Exactly the
    HourTotals it stands for (`HourBlock.of`, `totals`)."""

    hour_us: Ints  # hour starts, microseconds since 1970-01-01 UTC
    values: Ints  # shape (hours, BLOCK_COLUMNS)
    energy_kwh: Mapping[int, Fraction] = field(default_factory=dict)  # row → energy, where not zero
    reasons_us: Mapping[int, Mapping[str, int]] = field(default_factory=dict)  # row → reasons, where any
    zone: tzinfo = UTC  # the zone hour starts are given back in

    def __len__(self) -> int:
        return len(self.hour_us)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HourBlock):
            return NotImplemented
        return (
            np.array_equal(self.hour_us, other.hour_us)
            and np.array_equal(self.values, other.values)
            and dict(self.energy_kwh) == dict(other.energy_kwh)
            and {k: dict(v) for k, v in self.reasons_us.items()}
            == {k: dict(v) for k, v in other.reasons_us.items()}
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def of(cls, hours: Sequence[HourTotals]) -> HourBlock:
        """The columns of these roll-ups (any order; given back in hour order)."""
        ordered = sorted(hours, key=lambda h: h.hour_start)
        zones = {h.hour_start.utcoffset() for h in ordered}
        if len(zones) > 1:
            raise ValueError("roll-ups of one block give their hours in one time zone")
        rows = [
            (
                h.run_us, h.idle_us, h.down_us, h.planned_stop_us, h.off_us, h.unknown_us, h.planned_us,
                -1 if h.unknown_planned_us is None else h.unknown_planned_us,
                h.count_total, h.count_good,
                h.count_total if h.performance_count is None else h.performance_count,
                h.sample_count,
                -1 if h.slot_us is None else h.slot_us,
                -1 if h.slots_heard is None else h.slots_heard,
            )
            for h in ordered
        ]  # fmt: skip
        return cls(
            hour_us=np.array([epoch_us(h.hour_start) for h in ordered], dtype=np.int64),
            values=np.array(rows, dtype=np.int64).reshape(len(rows), BLOCK_COLUMNS),
            energy_kwh={i: h.energy_kwh for i, h in enumerate(ordered) if h.energy_kwh},
            reasons_us={
                i: dict(h.downtime_by_reason_us) for i, h in enumerate(ordered) if h.downtime_by_reason_us
            },
            zone=ordered[0].hour_start.tzinfo or UTC if ordered else UTC,
        )

    def take(self, rows: NDArray[Any]) -> HourBlock:
        """The block of these rows (indices in ascending order, or a mask)."""
        index = np.flatnonzero(rows) if rows.dtype == np.bool_ else np.asarray(rows, dtype=np.int64)
        where = {int(old): new for new, old in enumerate(index)}
        return HourBlock(
            hour_us=self.hour_us[index],
            values=self.values[index],
            energy_kwh={where[i]: v for i, v in self.energy_kwh.items() if i in where},
            reasons_us={where[i]: v for i, v in self.reasons_us.items() if i in where},
            zone=self.zone,
        )

    @staticmethod
    def join(blocks: Sequence[HourBlock]) -> HourBlock:
        """Several blocks as one, in hour order."""
        blocks = [b for b in blocks if len(b)]
        if len(blocks) == 1:
            return blocks[0]
        if not blocks:
            return HourBlock(np.zeros(0, np.int64), np.zeros((0, BLOCK_COLUMNS), np.int64))
        offsets = np.cumsum([0, *(len(b) for b in blocks)])
        hour_us = np.concatenate([b.hour_us for b in blocks])
        order = np.argsort(hour_us, kind="stable")
        joined = HourBlock(
            hour_us=hour_us,
            values=np.concatenate([b.values for b in blocks]),
            energy_kwh={
                int(o) + i: v for b, o in zip(blocks, offsets, strict=False) for i, v in b.energy_kwh.items()
            },
            reasons_us={
                int(o) + i: v for b, o in zip(blocks, offsets, strict=False) for i, v in b.reasons_us.items()
            },
            zone=blocks[0].zone,
        )
        return joined.take(order)

    def hour_start(self, row: int) -> datetime:
        """The start of a row's hour."""
        return from_epoch_us(int(self.hour_us[row]), self.zone)

    def totals(self) -> list[HourTotals]:
        """The rows as HourTotals again."""
        out = []
        for i, row in enumerate(self.values.tolist()):
            out.append(
                HourTotals(
                    hour_start=self.hour_start(i),
                    run_us=row[0],
                    idle_us=row[1],
                    down_us=row[2],
                    planned_stop_us=row[3],
                    off_us=row[4],
                    unknown_us=row[5],
                    planned_us=row[PLANNED],
                    count_total=row[TOTAL],
                    count_good=row[GOOD],
                    energy_kwh=self.energy_kwh.get(i, Fraction(0)),
                    sample_count=row[SAMPLES],
                    downtime_by_reason_us=dict(self.reasons_us.get(i, {})),
                    performance_count=row[COUNTED],
                    unknown_planned_us=None if row[UNKNOWN_PLANNED] < 0 else row[UNKNOWN_PLANNED],
                    slot_us=None if row[SLOT] < 0 else row[SLOT],
                    slots_heard=None if row[SLOTS_HEARD] < 0 else row[SLOTS_HEARD],
                )
            )
        return out


def rollups_of(device: DeviceInput) -> HourBlock:
    """All of a device's roll-ups as one block (its `hours` and its `block`)."""
    parts = [HourBlock.of(device.hours)] if device.hours else []
    return HourBlock.join([*parts, *([device.block] if device.block is not None else [])])


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

    def covers(self, hour_us: Ints) -> NDArray[np.int8]:
        """`cover` of many whole hours at once (starts in microseconds since the epoch): COVER_NONE, COVER_PART
        or COVER_ALL, from the stopped time before each instant, by binary search over the merged stops."""
        if not self._spans:
            return np.zeros(len(hour_us), dtype=np.int8)
        starts = np.array([epoch_us(a) for a, _ in self._spans], dtype=np.int64)
        ends = np.array([epoch_us(b) for _, b in self._spans], dtype=np.int64)
        lengths = ends - starts
        before = np.concatenate([[0], np.cumsum(lengths)])  # stopped time before each span

        def stopped_until(t: Ints) -> Ints:
            i = np.searchsorted(starts, t, side="right") - 1
            inside = np.minimum(t - starts[np.maximum(i, 0)], lengths[np.maximum(i, 0)])
            return np.where(i >= 0, before[np.maximum(i, 0)] + inside, 0)

        stopped = stopped_until(hour_us + HOUR_US) - stopped_until(hour_us)
        return np.where(stopped == 0, COVER_NONE, np.where(stopped == HOUR_US, COVER_ALL, COVER_PART)).astype(
            np.int8
        )


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


def rollup_rows(
    device: DeviceInput,
    stops: Sequence[CalendarEntry],
    hour_us: Ints,
    *,
    raw_since: datetime | None = None,
) -> NDArray[np.bool_]:
    """`rolled_up_hours` for many hours at once (starts in microseconds since the epoch): which may be read
    from their roll-ups."""
    gone = (
        hour_us + HOUR_US <= epoch_us(raw_since)
        if raw_since is not None
        else np.zeros(len(hour_us), dtype=np.bool_)
    )
    if device.by_exception:
        return gone
    ok: NDArray[np.bool_] = StopCover(stops).covers(hour_us) != COVER_PART
    for reason in device.reasons:
        ok &= ~((hour_us < epoch_us(reason.end)) & (hour_us + HOUR_US > epoch_us(reason.start)))
    return np.logical_or(gone, ok)


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
