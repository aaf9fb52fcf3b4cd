"""Issue #22 at the edges, by hand: unknown time is its own category (a device offline by its will), coverage
means "we know what the device did" (a device reporting by exception online for 48 h), and the one rule per
card is data (figure_rules.json) that the evidence rules never undercut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from scoring.indicators import StateSample, Window
from scoring.indicators.atoms import DeviceInput, RawPart
from scoring.indicators.coverage import sampled_coverage
from scoring.indicators.figures import load_figure_rules
from scoring.indicators.snapshot import SnapshotInput, device_oee, evidence_snapshot
from scoring.maturity.evidence import load_evidence_rules

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def by_exception(hours: int, states: list[tuple[int, str]], online: list[tuple[int, int]]) -> DeviceInput:
    """A device reporting by exception: states at changes only (minutes), online periods (minutes), no rate."""
    window = Window(T0, T0 + timedelta(hours=hours))
    samples = tuple(StateSample(T0 + timedelta(minutes=m), s) for m, s in states)
    periods = tuple((T0 + timedelta(minutes=a), T0 + timedelta(minutes=b)) for a, b in online)
    return DeviceInput(
        "D01",
        ideal_cycle_s=Fraction(30),
        observed=window,
        by_exception=True,
        online=periods,
        raw=(RawPart(window, samples, (), (), tuple(s.ts for s in samples)),),
    )


def test_unknown_time_is_never_downtime() -> None:
    """The issue's case: offline by its will for 40 minutes of a planned hour. Before: downtime_by_reason_s
    {"UNSPECIFIED": 2400}. Now 2,400 s of unknown planned time, apart; the known 20 minutes ran."""
    device = by_exception(1, [(0, "RUN")], [(0, 20)])
    result = device_oee(device, (), silence_timeout_s=600)
    assert result.unknown_planned_s == 2400 and result.unknown_s == 2400
    assert dict(result.downtime_by_reason) == {} and dict(result.downtime_by_state) == {}
    assert result.downtime_s == 0 and result.availability == 1  # 1,200 s run of 1,200 s known planned


def test_a_device_online_48_hours_without_a_rate_is_fully_covered() -> None:
    """Issue #22: reporting by exception, online 48 h, four state changes: coverage 1, not 0.31."""
    device = by_exception(48, [(0, "RUN"), (600, "IDLE"), (1200, "RUN"), (2400, "OFF")], [(0, 48 * 60)])
    snapshot = evidence_snapshot(SnapshotInput(device.observed, (device,)))  # type: ignore[arg-type]
    figures = snapshot.devices[0]
    assert figures.coverage_basis == "exception"
    assert figures.figures["coverage"].value == 1 and snapshot.figures["coverage"].value == 1
    # Offline for 12 of the 48 hours: known-state time over observed time.
    device = by_exception(48, [(0, "RUN")], [(0, 36 * 60)])
    snapshot = evidence_snapshot(SnapshotInput(device.observed, (device,)))  # type: ignore[arg-type]
    assert snapshot.devices[0].figures["coverage"].value == Fraction(36, 48)


def test_the_evidence_rules_never_ask_for_less_data_than_their_figures_card() -> None:
    cards = load_figure_rules()
    for rule in load_evidence_rules():
        if rule.indicator == "has_energy_metering":
            continue  # a flag, not a figure
        card = cards.card_of(rule.indicator)
        assert rule.min_hours >= card.min_hours, rule.id
        assert rule.min_basis == card.basis or card.id == "networking", rule.id
    assert all(card.source for card in cards.cards)


def test_sampling_slots_are_cut_from_each_hour_and_never_straddle_two() -> None:
    # A 7-minute interval cuts each hour into 8 slots of 7 min and one of 4 min (9 a whole hour). Observed
    # 10:30-12:10: 10:30-11:00 overlaps slots 4 (10:28-10:35) to 8 (5), 11:00-12:00 is 9, 12:00-12:10 two.
    start = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    observed = Window(start, start + timedelta(minutes=100))
    heard = [
        start,  # slot 4 of 10:00
        start + timedelta(minutes=1),  # the same slot: counted once
        datetime(2026, 12, 1, 10, 58, tzinfo=UTC),  # the short last slot of 10:00
        datetime(2026, 12, 1, 11, 1, tzinfo=UTC),  # slot 0 of 11:00, not the straddling 10:56-11:03
        datetime(2026, 12, 1, 12, 9, tzinfo=UTC),  # slot 1 of 12:00
        datetime(2026, 12, 1, 12, 10, tzinfo=UTC),  # outside the observed period
    ]
    assert sampled_coverage(heard, observed, 420) == (4, 5 + 9 + 2)
    # A roll-up of 11:00 that heard 7 of its slots stands for that hour; raw messages of it are not counted.
    assert sampled_coverage(heard, observed, 420, {datetime(2026, 12, 1, 11, tzinfo=UTC): 7}) == (10, 16)
    # An interval of an hour or more is one slot an hour.
    assert sampled_coverage(heard, observed, 7200) == (3, 3)
