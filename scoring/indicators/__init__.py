"""Plant indicators as pure functions: state timelines, utilisation, OEE, networking, coverage, energy."""

from scoring.indicators.coverage import data_capture_coverage, networking_rate, silences
from scoring.indicators.model import (
    STATES,
    UNKNOWN,
    UNSPECIFIED,
    CalendarEntry,
    CounterSample,
    Coverage,
    DowntimeReason,
    EnergySample,
    HourlyAggregate,
    OeeResult,
    Segment,
    StateSample,
    TimeMeasures,
    Window,
)
from scoring.indicators.oee import (
    counter_increase,
    energy_per_good_unit,
    energy_used_kwh,
    oee,
    oee_from_parts,
    production_counts,
    time_measures,
)
from scoring.indicators.rollup import hourly_aggregates, oee_from_aggregates
from scoring.indicators.timeline import state_durations, state_timeline, utilisation

__all__ = [
    "STATES",
    "UNKNOWN",
    "UNSPECIFIED",
    "CalendarEntry",
    "CounterSample",
    "Coverage",
    "DowntimeReason",
    "EnergySample",
    "HourlyAggregate",
    "OeeResult",
    "Segment",
    "StateSample",
    "TimeMeasures",
    "Window",
    "counter_increase",
    "data_capture_coverage",
    "energy_per_good_unit",
    "energy_used_kwh",
    "hourly_aggregates",
    "networking_rate",
    "oee",
    "oee_from_aggregates",
    "oee_from_parts",
    "production_counts",
    "silences",
    "state_durations",
    "state_timeline",
    "time_measures",
    "utilisation",
]
