"""Calendar rules that overlap are found (pure): shifts with shifts, breaks with breaks, days off twice."""

from __future__ import annotations

from datetime import date

import pytest

from scoring.indicators.calendar import CalendarRuleSpec, overlapping

MORNING = CalendarRuleSpec("shift", weekday=0, start="08:00", end="16:00", label="早班")
NIGHT_SUNDAY = CalendarRuleSpec("shift", weekday=6, start="22:00", end="06:00", label="夜班")
LUNCH = CalendarRuleSpec("break", weekday=0, start="12:00", end="12:30")
MAKEUP = CalendarRuleSpec("shift", day=date(2026, 2, 14), start="20:00", end="04:00")
NATIONAL_DAY = CalendarRuleSpec("holiday", day=date(2026, 10, 1))
EXISTING = (MORNING, NIGHT_SUNDAY, LUNCH, MAKEUP, NATIONAL_DAY)


@pytest.mark.parametrize(
    ("rule", "clash"),
    [
        (CalendarRuleSpec("shift", weekday=0, start="15:00", end="23:00"), MORNING),
        (CalendarRuleSpec("shift", weekday=0, start="09:00", end="10:00"), MORNING),  # inside
        (CalendarRuleSpec("shift", weekday=0, start="07:00", end="17:00"), MORNING),  # around
        (CalendarRuleSpec("shift", weekday=0, start="05:00", end="07:00"), NIGHT_SUNDAY),  # Sunday's night
        (CalendarRuleSpec("shift", weekday=6, start="23:00", end="01:00"), NIGHT_SUNDAY),
        (CalendarRuleSpec("break", weekday=0, start="12:15", end="13:00"), LUNCH),
        (CalendarRuleSpec("shift", day=date(2026, 2, 15), start="02:00", end="10:00"), MAKEUP),  # next date
        (CalendarRuleSpec("shift", day=date(2026, 2, 13), start="22:00", end="21:00"), MAKEUP),  # 23 h shift
        (CalendarRuleSpec("holiday", day=date(2026, 10, 1)), NATIONAL_DAY),
    ],
)
def test_an_overlapping_rule_names_the_rule_it_meets(rule: CalendarRuleSpec, clash: CalendarRuleSpec) -> None:
    assert overlapping(rule, EXISTING) == clash


@pytest.mark.parametrize(
    "rule",
    [
        CalendarRuleSpec("shift", weekday=0, start="16:00", end="22:00"),  # starts as the morning shift ends
        CalendarRuleSpec("shift", weekday=0, start="06:00", end="08:00"),  # between Sunday night and morning
        CalendarRuleSpec("shift", weekday=1, start="08:00", end="16:00"),  # another weekday
        CalendarRuleSpec("break", weekday=0, start="10:00", end="10:15"),  # a break inside a shift
        CalendarRuleSpec("break", weekday=1, start="12:00", end="12:30"),
        CalendarRuleSpec("shift", day=date(2026, 2, 16), start="08:00", end="16:00"),
        CalendarRuleSpec("shift", day=date(2026, 2, 14), start="04:00", end="20:00"),  # same date, apart
        CalendarRuleSpec(
            "shift", day=date(2026, 3, 2), start="08:00", end="16:00"
        ),  # a Monday: dated ≠ weekly
        CalendarRuleSpec("holiday", day=date(2026, 10, 2)),
    ],
)
def test_rules_that_only_touch_or_differ_in_kind_or_date_are_laid_side_by_side(
    rule: CalendarRuleSpec,
) -> None:
    assert overlapping(rule, EXISTING) is None


def test_every_weekday_round_the_clock_is_a_week_without_overlap() -> None:
    week: list[CalendarRuleSpec] = []
    for day in range(7):
        rule = CalendarRuleSpec("shift", weekday=day, start="00:00", end="00:00")  # 24 h each day
        assert overlapping(rule, week) is None
        week.append(rule)
    assert overlapping(CalendarRuleSpec("shift", weekday=3, start="11:00", end="12:00"), week) == week[3]
