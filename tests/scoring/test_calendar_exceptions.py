"""Calendars as plants keep them (issue #22): a weekly pattern, dated exceptions on top (a makeup working day
with its own shifts, a shortened day, a day off) and the year's national holiday notice as cited data."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring.china_time import CHINA_TZ
from scoring.indicators import StateSample, Window, oee
from scoring.indicators.calendar import (
    CalendarRuleSpec,
    holiday_notice,
    notice_rules,
    parse_holiday_notice,
    planned_periods,
    planned_stops,
    shipped_notice_years,
)
from scoring.indicators.intervals import length_s

WEEKDAYS = tuple(CalendarRuleSpec("shift", weekday=d, start="08:00", end="16:00") for d in range(5))
DATA = Path(__file__).parents[2] / "scoring" / "indicators" / "data"


def day_window(day: date) -> Window:
    start = datetime.combine(day, datetime.min.time(), CHINA_TZ)
    return Window(start, start + timedelta(days=1))


def planned_hours(rules: tuple[CalendarRuleSpec, ...], day: date) -> Fraction:
    periods = planned_periods(rules, day_window(day))
    assert periods is not None
    return length_s(periods) / 3600


def saturday_availability(rules: tuple[CalendarRuleSpec, ...]) -> Fraction | None:
    """The issue's case: on Saturday 2026-02-14 a machine runs 08:00-12:00 and is down 12:00-16:00."""
    window = day_window(date(2026, 2, 14))
    at = window.start
    states = [
        StateSample(at + timedelta(hours=h), state)
        for h, state in ((0, "OFF"), (8, "RUN"), (12, "DOWN"), (16, "OFF"))
    ]
    return oee(
        states,
        [],
        window,
        ideal_cycle_s=30,
        silence_timeout_s=86400,
        calendar=planned_stops(rules, window),
    ).availability


def test_a_makeup_working_day_is_planned_with_its_own_shifts() -> None:
    # Weekly pattern only: Saturday plans nothing, the 4 h run are the only planned time, availability 1.
    assert saturday_availability(WEEKDAYS) == 1
    makeup = (*WEEKDAYS, CalendarRuleSpec("shift", day=date(2026, 2, 14), start="08:00", end="16:00"))
    assert planned_hours(makeup, date(2026, 2, 14)) == 8
    assert saturday_availability(makeup) == Fraction(1, 2)


def test_a_shortened_day_a_day_off_and_a_dated_break() -> None:
    monday = date(2026, 11, 23)
    rules = (
        *WEEKDAYS,
        CalendarRuleSpec("break", weekday=0, start="12:00", end="12:30"),
        CalendarRuleSpec("shift", day=monday, start="08:00", end="12:00"),  # shortened: its breaks only
        CalendarRuleSpec("holiday", day=monday + timedelta(days=1)),
        CalendarRuleSpec("break", day=monday + timedelta(days=2), start="10:00", end="11:00"),
    )
    assert planned_hours(rules, monday) == 4  # the weekly 12:00 break does not apply to a dated day
    assert planned_periods(rules, day_window(monday + timedelta(days=1))) == []
    assert planned_hours(rules, monday + timedelta(days=2)) == 7  # a dated break is added to the weekday
    assert planned_hours(rules, monday + timedelta(days=7)) == Fraction(15, 2)  # next Monday: weekly again


def test_the_2026_notice_ships_with_its_citation_and_checked_dates() -> None:
    assert 2026 in shipped_notice_years()
    notice = holiday_notice(2026)
    assert "国务院办公厅" in notice.citation and notice.issued_on == date(2025, 11, 4)
    assert "could not be verified" in notice.verified  # the document number is not cited
    off = {d for d, _ in notice.days_off}
    assert len(off) == 33 and date(2026, 2, 15) in off and date(2026, 10, 7) in off
    assert [d for d, _ in notice.workdays] == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    rules = (*WEEKDAYS, *notice_rules(notice, WEEKDAYS, workday_like=0))
    assert planned_hours(rules, date(2026, 1, 4)) == 8  # a Sunday worked with Monday's shifts
    assert planned_periods(rules, day_window(date(2026, 10, 1))) == []  # National Day, a Thursday


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda raw: raw["festivals"][0]["workdays"].append("2026-01-02"),
            "both a day off and a working day",
        ),
        (lambda raw: raw.update(citation=" "), "citation"),
        (lambda raw: raw["festivals"][1].update(off=["2031-02-15", "2031-02-16"]), "far from"),
    ],
)
def test_a_bad_notice_is_refused_naming_what_is_wrong(change, message) -> None:  # type: ignore[no-untyped-def]
    raw = json.loads((DATA / "holidays_cn_2026.json").read_text(encoding="utf-8"))
    change(raw)
    with pytest.raises(ValueError, match=message):
        parse_holiday_notice(raw)


def test_check_notice_command(tmp_path: Path) -> None:
    from apps.cli import main

    runner = CliRunner()
    good = runner.invoke(main, ["calendar", "check-notice", str(DATA / "holidays_cn_2026.json")])
    assert good.exit_code == 0 and "33 days off, 6 makeup working days" in good.output
    raw = json.loads((DATA / "holidays_cn_2026.json").read_text(encoding="utf-8"))
    raw["festivals"][0]["workdays"].append("2026-01-01")
    bad_file = tmp_path / "holidays_cn_2027.json"
    bad_file.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    bad = runner.invoke(main, ["calendar", "check-notice", str(bad_file)])
    assert bad.exit_code == 1 and "2026-01-01 is both a day off and a working day" in bad.output
