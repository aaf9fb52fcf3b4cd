"""Input and output types of the indicators: frozen dataclasses over plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

UNKNOWN = "UNKNOWN"  # no message for longer than the silence timeout: the state is not known
STATES: tuple[str, ...] = ("RUN", "IDLE", "DOWN", "PLANNED_STOP", "OFF", UNKNOWN)
UNSPECIFIED = "UNSPECIFIED"  # downtime no DowntimeReason covers


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
    downtime_by_state: Mapping[str, Fraction]
    downtime_by_reason: Mapping[str, Fraction]


@dataclass(frozen=True, slots=True)
class OeeResult:
    """OEE of a device over a window (ISO 22400-2 KPIs: availability, effectiveness, quality)."""

    availability: Fraction | None
    performance: Fraction | None
    quality: Fraction | None
    oee: Fraction | None
    planned_s: Fraction
    run_s: Fraction
    total_count: int
    good_count: int
    downtime_s: Fraction = Fraction(0)
    downtime_by_state: Mapping[str, Fraction] = field(default_factory=dict)
    downtime_by_reason: Mapping[str, Fraction] = field(default_factory=dict)
    teep: Fraction | None = None  # run time over the whole observed window (calendar time) × P × Q
    window_s: Fraction = Fraction(0)  # the observed time the figures cover
    performance_count: int | None = None  # parts performance counted (none made across unknown time)
    flags: tuple[str, ...] = ()  # physically implausible figures (kept, shown, excluded from evidence)


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


@dataclass(frozen=True, slots=True)
class Coverage:
    """Data-capture coverage: devices that reported in the window over networked devices, with gaps."""

    coverage: Fraction | None
    reporting: frozenset[str]
    silent: frozenset[str]
    gaps: Mapping[str, tuple[Window, ...]]
