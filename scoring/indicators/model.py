"""Input and output types of the indicators: frozen dataclasses over plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

# The state is not known (offline by its will, past 2 x its heartbeat, or silent past the silence timeout).
# Unknown time is its own category, shown as 无数据: it is never downtime (docs/scoring.md, "Unknown time").
UNKNOWN = "UNKNOWN"
STATES: tuple[str, ...] = ("RUN", "IDLE", "DOWN", "PLANNED_STOP", "OFF", UNKNOWN)
UNSPECIFIED = "UNSPECIFIED"  # known downtime no DowntimeReason covers


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time interval [start, end) with aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True, slots=True)
class StateSample:
    """A device reported `state` at `ts`; it holds until the next sample or the silence timeout."""

    ts: datetime
    state: str


@dataclass(frozen=True, slots=True)
class CounterSample:
    """Cumulative production counters at `ts`; `seq` orders samples sharing a timestamp."""

    ts: datetime
    seq: int
    count_total: int
    count_good: int
    new_run: bool = False  # first reading after a birth or restart: a new counter run starts here


@dataclass(frozen=True, slots=True)
class EnergySample:
    """Cumulative energy meter reading (kWh) at `ts`."""

    ts: datetime
    energy_kwh: Fraction | int | float | str


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """A shift-calendar entry; only kind "planned_stop" (breaks, no-shift time) removes planned time."""

    start: datetime
    end: datetime
    kind: str = "planned_stop"
    label: str = ""


@dataclass(frozen=True, slots=True)
class DowntimeReason:
    """An operator's reason code for downtime between start and end."""

    start: datetime
    end: datetime
    code: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Segment:
    """A device held `state` over [start, end)."""

    start: datetime
    end: datetime
    state: str


@dataclass(frozen=True, slots=True)
class TimeMeasures:
    """Additive time figures of one window (seconds, exact): what OEE and the hourly roll-up share."""

    window_s: Fraction
    planned_s: Fraction
    run_s: Fraction
    by_state: Mapping[str, Fraction]
    downtime_by_state: Mapping[str, Fraction]  # known downtime by the state the device was in (never UNKNOWN)
    downtime_by_reason: Mapping[str, Fraction]  # known downtime by reason code (UNSPECIFIED: no code)
    unknown_planned_s: Fraction = Fraction(0)  # planned time whose state is unknown: neither run nor downtime

    @property
    def known_planned_s(self) -> Fraction:
        """Planned time whose state is known: availability's denominator."""
        return self.planned_s - self.unknown_planned_s

    @property
    def known_s(self) -> Fraction:
        """Time of the window whose state is known: utilisation's and TEEP's denominator."""
        return self.window_s - self.by_state.get(UNKNOWN, Fraction(0))


@dataclass(frozen=True, slots=True)
class OeeResult:
    """OEE of a device over a window (ISO 22400-2 KPIs: availability, effectiveness, quality)."""

    availability: Fraction | None  # run time over known planned time (unknown planned time is left out)
    performance: Fraction | None
    quality: Fraction | None
    oee: Fraction | None
    planned_s: Fraction
    run_s: Fraction
    total_count: int
    good_count: int
    downtime_s: Fraction = Fraction(0)  # known planned time not run (unknown time is not downtime)
    downtime_by_state: Mapping[str, Fraction] = field(default_factory=dict)
    downtime_by_reason: Mapping[str, Fraction] = field(default_factory=dict)
    teep: Fraction | None = None  # run time over the whole observed window (calendar time) × P × Q
    window_s: Fraction = Fraction(0)  # the observed time the figures cover
    performance_count: int | None = None  # parts performance counted (none made across unknown time)
    flags: tuple[str, ...] = ()  # physically implausible figures (kept, shown, excluded from evidence)
    unknown_planned_s: Fraction = Fraction(0)  # planned time of unknown state (无数据), apart from downtime
    unknown_s: Fraction = Fraction(0)  # all time of unknown state in the window


@dataclass(frozen=True, slots=True)
class HourlyAggregate:
    """One device-hour rolled up; summing these gives the same OEE as the raw samples."""

    hour_start: datetime
    run_s: Fraction
    idle_s: Fraction
    down_s: Fraction
    planned_stop_s: Fraction
    off_s: Fraction
    unknown_s: Fraction
    planned_s: Fraction
    count_total: int
    count_good: int
    energy_kwh: Fraction
    sample_count: int
    downtime_by_reason: Mapping[str, Fraction] = field(default_factory=dict)
    performance_count: int | None = None  # None: all of count_total (roll-ups stored before this field)
    unknown_planned_s: Fraction | None = (
        None  # None: not kept (stored roll-ups; see scoring.indicators.atoms)
    )
    slot_s: Fraction | None = None  # the sampling interval `slots_heard` counts at (None: not kept)
    slots_heard: int | None = None  # sampling slots of the hour with a message (coverage.sampled_coverage)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Data-capture coverage: devices that reported in the window over networked devices, with gaps."""

    coverage: Fraction | None
    reporting: frozenset[str]
    silent: frozenset[str]
    gaps: Mapping[str, tuple[Window, ...]]
