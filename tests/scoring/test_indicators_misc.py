"""Networking rate, data-capture coverage, energy per good unit, utilisation, timeline details."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from scoring.indicators import (
    CounterSample,
    EnergySample,
    StateSample,
    Window,
    data_capture_coverage,
    energy_per_good_unit,
    networking_rate,
    state_timeline,
    utilisation,
)

T0 = datetime(2024, 6, 10, 8, tzinfo=UTC)
HOUR = Window(T0, T0 + timedelta(hours=1))


def m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("production", "networked", "expected"),
    [
        ({"a", "b", "c", "d"}, {"a", "b", "x"}, Fraction(1, 2)),
        (set(), {"a"}, None),
        ({"a"}, set(), Fraction(0)),
    ],
)
def test_networking_rate(production: set[str], networked: set[str], expected: Fraction | None) -> None:
    assert networking_rate(production, networked) == expected


def test_coverage_counts_reporting_devices_and_lists_silences() -> None:
    stamps = {"a": [m(-1), m(10), m(20), m(55)], "b": [m(-30)], "z": [m(5)]}
    result = data_capture_coverage({"a", "b", "c"}, stamps, HOUR, silence_timeout_s=900)
    assert result.coverage == Fraction(1, 3)
    assert (result.reporting, result.silent) == (frozenset({"a"}), frozenset({"b", "c"}))
    assert result.gaps["a"] == (Window(m(20), m(55)),)
    assert result.gaps["b"] == (HOUR,) and result.gaps["c"] == (HOUR,)


def test_energy_per_good_unit_handles_meter_and_counter_resets() -> None:
    energy = [
        EnergySample(m(-5), 100.0),
        EnergySample(m(30), 112.5),
        EnergySample(m(40), 2.5),
        EnergySample(m(50), "5"),
    ]
    counters = [CounterSample(m(-5), 1, 10, 10), CounterSample(m(50), 2, 30, 25)]
    # 12.5 + 2.5 (restart) + 2.5 = 17.5 kWh for 15 good parts.
    assert energy_per_good_unit(energy, counters, HOUR) == Fraction(7, 6)
    assert energy_per_good_unit(energy, [], HOUR) is None


def test_utilisation_and_timeline_clip_to_the_window() -> None:
    samples = [StateSample(m(-10), "IDLE"), StateSample(m(15), "RUN"), StateSample(m(75), "OFF")]
    timeline = state_timeline(samples, HOUR, silence_timeout_s=3600)
    assert [(s.start, s.end, s.state) for s in timeline] == [(m(0), m(15), "IDLE"), (m(15), m(60), "RUN")]
    assert utilisation(samples, HOUR, silence_timeout_s=3600) == Fraction(3, 4)
    assert utilisation(samples, Window(T0, T0), silence_timeout_s=60) is None
