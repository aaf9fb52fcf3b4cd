"""Issue #11 semantics: counter resets vs corrections (property tests), bounds and flags, report by exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.indicators import (
    CounterSample,
    EnergySample,
    StateSample,
    Window,
    energy_used_kwh,
    known_periods,
    oee,
    production_counts,
    state_timeline,
)

T0 = datetime(2024, 6, 10, 0, tzinfo=UTC)


def m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# One event of a counter stream: ("add", total, good), ("correct", n) good parts re-booked as rejects,
# ("reset",) a restart to zero (marked or not, as a device that lost its birth would look).
events = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 500), st.integers(0, 500)),
        st.tuples(st.just("correct"), st.integers(1, 3)),
        st.tuples(st.just("reset"), st.booleans()),
    ),
    max_size=60,
)


def stream(script: list[tuple]) -> tuple[list[CounterSample], int, int]:
    """Counter samples of a script and the parts actually added (total, good), corrections netted out."""
    total = good = added_total = added_good = 0
    samples = [CounterSample(m(0), 0, 0, 0)]
    for i, event in enumerate(script, start=1):
        new_run = False
        if event[0] == "add":
            made = event[1]
            ok = min(event[2], made)
            total, good = total + made, good + ok
            added_total, added_good = added_total + made, added_good + ok
        elif event[0] == "correct":
            # A correction is small next to the reading (well above RESET_SHARE of it).
            n = min(event[1], good // 20)
            good, added_good = good - n, added_good - n
        else:
            total = good = 0
            new_run = event[1]
        samples.append(CounterSample(m(i), i, total, good, new_run))
    return samples, added_total, added_good


@settings(max_examples=300, deadline=None)
@given(events)
def test_counts_never_exceed_parts_added_and_quality_never_exceeds_one(script: list[tuple]) -> None:
    samples, added_total, added_good = stream(script)
    window = Window(m(0), m(len(script) + 1))
    total, good = production_counts(samples, window)
    assert 0 <= good <= total <= added_total
    assert good <= added_good or good <= total  # good is bounded by total in any case
    result = oee([StateSample(m(0), "RUN")], samples, window, ideal_cycle_s=0.001, silence_timeout_s=10**9)
    assert result.quality is None or 0 <= result.quality <= 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=40), st.data())
def test_split_windows_add_up(increments: list[int], data: st.DataObject) -> None:
    """Counts credited to consecutive windows add up to the counts over their union."""
    values = [sum(increments[: i + 1]) for i in range(len(increments))]
    samples = [CounterSample(m(i), i, v, v) for i, v in enumerate(values)]
    cut = data.draw(st.integers(0, len(values)))
    whole = production_counts(samples, Window(m(0), m(len(values))))
    left = production_counts(samples, Window(m(0), m(cut)))
    right = production_counts(samples, Window(m(cut), m(len(values))))
    assert whole == (left[0] + right[0], left[1] + right[1])


def test_energy_meter_jitter_down_is_a_correction() -> None:
    readings = [EnergySample(m(0), "88123.5"), EnergySample(m(1), "88123.4"), EnergySample(m(2), "88125.0")]
    assert energy_used_kwh(readings, Window(m(0), m(3))) == Fraction("1.5")


def test_marked_restart_starts_a_new_run() -> None:
    samples = [CounterSample(m(0), 1, 500, 500), CounterSample(m(1), 2, 480, 480, new_run=True)]
    assert production_counts(samples, Window(m(0), m(2))) == (480, 480)


def test_implausible_performance_is_kept_and_flagged() -> None:
    # 60 parts in 10 minutes of RUN at an ideal 22.6 s cycle: performance 2.26 (a wrong cycle time).
    counters = [CounterSample(m(0), 1, 0, 0), CounterSample(m(9.5), 2, 60, 60)]
    result = oee(
        [StateSample(m(0), "RUN")],
        counters,
        Window(m(0), m(10)),
        ideal_cycle_s="22.6",
        silence_timeout_s=3600,
    )
    assert result.performance == Fraction("2.26")
    assert result.flags == ("oee_out_of_bounds", "performance_above_tolerance")


def test_performance_within_tolerance_is_not_flagged() -> None:
    counters = [CounterSample(m(0), 1, 0, 0), CounterSample(m(9.5), 2, 61, 61)]
    result = oee(
        [StateSample(m(0), "RUN")], counters, Window(m(0), m(10)), ideal_cycle_s=10, silence_timeout_s=3600
    )
    assert result.performance == Fraction(61, 60) and result.flags == ()


def test_report_by_exception_holds_state_while_online() -> None:
    """A 30-minute planned stop announced by one message stays planned while the device is online."""
    states = [StateSample(m(0), "RUN"), StateSample(m(60), "PLANNED_STOP"), StateSample(m(90), "RUN")]
    window = Window(m(0), m(120))
    online = [(m(0), m(110))]  # NDEATH / will at 01:50
    known = known_periods([], window, online=online)
    timeline = state_timeline(states, window, 600, known=known)
    assert [(s.start, s.end, s.state) for s in timeline] == [
        (m(0), m(60), "RUN"),
        (m(60), m(90), "PLANNED_STOP"),
        (m(90), m(110), "RUN"),
        (m(110), m(120), "UNKNOWN"),
    ]
    # The silence timeout (600 s) alone would have lost 20 of the 30 planned minutes.
    legacy = state_timeline(states, window, 600)
    assert sum(((s.end - s.start) for s in legacy if s.state == "PLANNED_STOP"), timedelta()) == timedelta(
        minutes=10
    )


def test_missed_heartbeat_makes_time_unknown() -> None:
    heard = [m(0), m(1), m(2), m(10)]  # heartbeat every minute declared; silent 2..10
    known = known_periods(heard, Window(m(0), m(12)), heartbeat_s=60, margin=2)
    assert known == [(m(0), m(4)), (m(10), m(12))]


def test_silence_keeps_parts_out_of_performance_not_out_of_quality() -> None:
    states = [StateSample(m(0), "RUN")]
    counters = [CounterSample(m(0), 1, 0, 0), CounterSample(m(5), 2, 10, 10), CounterSample(m(29), 3, 20, 18)]
    result = oee(states, counters, Window(m(0), m(30)), ideal_cycle_s=30, silence_timeout_s=600)
    # RUN 0-10 (timeout), UNKNOWN 10-30; the 5..30 step spans unknown time: its 10 parts leave performance.
    assert result.run_s == 600 and result.performance_count == 10
    assert result.performance == Fraction(30 * 10, 600)
    assert result.quality == Fraction(18, 20)
