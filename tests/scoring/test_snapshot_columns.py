"""The evidence snapshot's vectorised path (issue #24): a month of roll-ups summed as integer columns gives
exactly what one atom an hour gives (`device_atoms`, `aggregate_atom`, the per-atom sums), and the daily OEE's
integer test of a device-day says ok exactly when every figure of the card would."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.china_time import CHINA_TZ
from scoring.indicators import snapshot
from scoring.indicators.atoms import (
    HOUR_US,
    DeviceInput,
    HourBlock,
    HourTotals,
    device_atoms,
    epoch_us,
    rolled_up_hours,
    rollup_rows,
    rollups_of,
)
from scoring.indicators.figures import OK, load_figure_rules
from scoring.indicators.model import UNSPECIFIED, CalendarEntry, DowntimeReason, Window

RULES = load_figure_rules()
BASE = datetime(2026, 10, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
CODES = ("M01", "Q02", UNSPECIFIED)


@st.composite
def hour_totals(draw: st.DrawFn, start: datetime) -> HourTotals:
    us = st.integers(0, HOUR_US)
    run, idle, down, stop, off, unknown = (draw(us) for _ in range(6))
    total = draw(st.integers(0, 5_000))
    return HourTotals(
        hour_start=start,
        run_us=run,
        idle_us=idle,
        down_us=down,
        planned_stop_us=stop,
        off_us=off,
        unknown_us=unknown,
        planned_us=draw(us),
        count_total=total,
        count_good=draw(st.integers(0, total)),
        energy_kwh=draw(st.sampled_from([Fraction(0), Fraction(0), Fraction(7, 3), Fraction(-1, 10)])),
        sample_count=draw(st.integers(0, 100)),
        downtime_by_reason_us=draw(st.dictionaries(st.sampled_from(CODES), us, max_size=3)),
        performance_count=draw(st.none() | st.integers(0, total)),
        unknown_planned_us=draw(st.none() | us),
        slot_us=draw(st.none() | st.sampled_from([60_000_000, 600_000_000])),
        slots_heard=draw(st.none() | st.integers(0, 60)),
    )


@st.composite
def devices(draw: st.DrawFn) -> tuple[DeviceInput, list[CalendarEntry]]:
    zone = draw(st.sampled_from([UTC, CHINA_TZ]))
    offsets = sorted(draw(st.sets(st.integers(0, 60), min_size=0, max_size=30)))
    hours = [draw(hour_totals((BASE + n * HOUR).astimezone(zone))) for n in offsets]
    minutes = st.integers(0, 61 * 60)
    stops = []
    for _ in range(draw(st.integers(0, 6))):
        a, b = sorted((draw(minutes), draw(minutes)))
        if b > a:
            stops.append(CalendarEntry(BASE + timedelta(minutes=a), BASE + timedelta(minutes=b)))
    reasons = tuple(
        DowntimeReason(BASE + timedelta(minutes=a), BASE + timedelta(minutes=a + 90), "M01")
        for a in draw(st.lists(minutes, max_size=2))
    )
    device = DeviceInput(
        external_id="D",
        observed=Window(BASE, BASE + 61 * HOUR),
        by_exception=draw(st.booleans()),
        hours=tuple(draw(st.permutations(hours))),
        reasons=reasons,
    )
    return device, stops


@settings(max_examples=200, deadline=None)
@given(devices())
def test_columns_give_what_one_atom_an_hour_gives(case: tuple[DeviceInput, list[CalendarEntry]]) -> None:
    device, stops = case
    atoms = device_atoms(device, stops, silence_timeout_s=600)
    block = rollups_of(device)
    # Exactly the roll-ups (a performance count not kept reads as the hour's total, as `aggregate_atom` reads it).
    kept = [
        replace(h, performance_count=h.count_total if h.performance_count is None else h.performance_count)
        for h in sorted(device.hours, key=lambda h: h.hour_start)
    ]
    assert block.totals() == kept
    slices = snapshot._slices(device, block, (), stops, Fraction(600))
    assert slices.totals() == snapshot._sums(atoms)
    assert snapshot._seconds_of(slices.downtime_by_state_us) == snapshot._merged(
        a.downtime_by_state_us for a in atoms
    )
    assert snapshot._seconds_of(slices.downtime_by_reason_us) == snapshot._merged(
        a.downtime_by_reason_us for a in atoms
    )
    timeline = snapshot._slice_timeline(slices)
    assert timeline == snapshot._timeline(atoms)
    assert [s.start.isoformat() for s in timeline] == [s.start.isoformat() for s in snapshot._timeline(atoms)]
    # The same roll-ups given as a block (as the database edge gives them) are the same input.
    as_block = DeviceInput(external_id="D", observed=device.observed, block=HourBlock.of(device.hours))
    assert rollups_of(as_block) == block and as_block.rolled_up == device.rolled_up == len(device.hours)
    # Which hours may be read from their roll-ups: the vectorised test and the one an hour agree.
    raw_since = BASE + 20 * HOUR
    mask = rollup_rows(device, stops, block.hour_us, raw_since=raw_since)
    chosen = {
        epoch_us(h)
        for h in rolled_up_hours(device, stops, [h.hour_start for h in device.hours], raw_since=raw_since)
    }
    assert {int(us) for us, ok in zip(block.hour_us, mask, strict=True) if ok} == chosen


day_totals = st.lists(st.integers(-3 * HOUR_US, 30 * HOUR_US), min_size=12, max_size=12)


@settings(max_examples=500, deadline=None)
@given(
    t=day_totals,
    cycle=st.none() | st.fractions(min_value=Fraction(-1), max_value=Fraction(200), max_denominator=1000),
    counts=st.tuples(st.integers(-5, 50_000), st.integers(-5, 50_000), st.integers(-5, 50_000)),
)
def test_the_daily_integer_test_says_ok_exactly_when_every_figure_does(
    t: list[int], cycle: Fraction | None, counts: tuple[int, int, int]
) -> None:
    t[9], t[10], t[11] = counts  # total, good and counted parts: counts, not microseconds
    card = RULES.card("oee")
    figures, _ = snapshot._device_figures("D", snapshot._day_sums(t), cycle, None, RULES, (card,))
    assert snapshot.oee_card_ok(card, t, cycle) == all(f.status == OK for f in figures.values())


def test_the_daily_integer_test_on_a_plain_day() -> None:
    card = RULES.card("oee")
    day = [
        24 * HOUR_US,
        20 * HOUR_US,
        2 * HOUR_US,
        2 * HOUR_US,
        0,
        0,
        0,
        24 * HOUR_US,
        0,
        2_000,
        1_900,
        2_000,
    ]
    assert snapshot.oee_card_ok(card, day, Fraction(30))  # 20 h run of 24: 2,000 parts at 30 s = 16.7 h
    assert not snapshot.oee_card_ok(card, day, Fraction(40))  # 22.2 h of parts in 20 h run: above tolerance
    assert not snapshot.oee_card_ok(card, day, None)  # no cycle time: no performance
    short = [*day[:7], 7 * HOUR_US, *day[8:]]
    assert not snapshot.oee_card_ok(card, short, Fraction(30))  # 7 h planned: below the card's 8 h
