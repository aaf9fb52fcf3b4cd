"""The enterprise's planned production calendar (shifts by weekday, planned breaks, holidays) as planned stops."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from scoring.china_time import CHINA_TZ
from scoring.indicators.intervals import Interval, intersect, subtract, union
from scoring.indicators.model import CalendarEntry, Window

KINDS = ("shift", "break", "holiday")


@dataclass(frozen=True, slots=True)
class CalendarRuleSpec:
    """A shift or planned break on a weekday (China time "HH:MM"; end ≤ start runs past midnight), or a holiday."""

    kind: str
    weekday: int | None = None  # 0 = Monday
    day: date | None = None
    start: str | None = None
    end: str | None = None
    label: str = ""


def _clock(text: str | None, what: str) -> time:
    if text is None:
        raise ValueError(f"{what}: a time HH:MM is required")
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a time HH:MM") from None


def validate(rule: CalendarRuleSpec) -> None:
    """Refuse a rule that cannot be laid on the calendar, naming the field."""
    if rule.kind not in KINDS:
        raise ValueError(f"kind: {rule.kind!r} is not one of {', '.join(KINDS)}")
    if rule.kind == "holiday":
        if rule.day is None:
            raise ValueError("day: a holiday needs a date")
        return
    if rule.weekday is None or not 0 <= rule.weekday <= 6:
        raise ValueError("weekday: 0 (Monday) to 6 (Sunday)")
    if _clock(rule.start, "start") == _clock(rule.end, "end") and rule.kind == "break":
        raise ValueError("end: a break must end after it starts")


def _span(day: date, rule: CalendarRuleSpec) -> Interval:
    start = datetime.combine(day, _clock(rule.start, "start"), CHINA_TZ)
    end = datetime.combine(day, _clock(rule.end, "end"), CHINA_TZ)
    if end <= start:
        end += timedelta(days=1)
    return (start, end)


def planned_periods(rules: Iterable[CalendarRuleSpec], window: Window) -> list[Interval] | None:
    """Planned production time inside the window: shifts minus breaks, none on holidays.

    None when the calendar has no shift at all: then every hour counts as planned (OEE equals TEEP).
    """
    rules = list(rules)
    shifts = [r for r in rules if r.kind == "shift"]
    if not shifts:
        return None
    holidays = {r.day for r in rules if r.kind == "holiday"}
    breaks = [r for r in rules if r.kind == "break"]
    first = window.start.astimezone(CHINA_TZ).date() - timedelta(days=1)
    last = window.end.astimezone(CHINA_TZ).date()
    on: list[Interval] = []
    off: list[Interval] = []
    day = first
    while day <= last:
        if day not in holidays:
            on += [_span(day, r) for r in shifts if r.weekday == day.weekday()]
            off += [_span(day, r) for r in breaks if r.weekday == day.weekday()]
        day += timedelta(days=1)
    return intersect(subtract(union(on), off), [(window.start, window.end)])


def planned_stops(rules: Iterable[CalendarRuleSpec], window: Window) -> list[CalendarEntry]:
    """The calendar's non-production time inside the window as planned-stop entries (OEE's input)."""
    planned = planned_periods(rules, window)
    if planned is None:
        return []
    return [
        CalendarEntry(a, b, "planned_stop", "calendar")
        for a, b in subtract([(window.start, window.end)], planned)
    ]
