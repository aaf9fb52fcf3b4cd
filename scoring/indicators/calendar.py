"""The enterprise's planned production calendar as planned stops: a weekly pattern (shifts and planned breaks by
weekday), dated exceptions on top of it (a working day with its own shifts, 调休; a shortened day; a non-working
day), and the national holiday notice of a year loaded as data (`holiday_notice`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any

from scoring.china_time import CHINA_TZ
from scoring.indicators.intervals import Interval, intersect, subtract, union
from scoring.indicators.model import CalendarEntry, Window

KINDS = ("shift", "break", "holiday")


@dataclass(frozen=True, slots=True)
class CalendarRuleSpec:
    """One calendar rule (China time "HH:MM"; an end at or before the start runs past midnight).

    * weekly: a shift or planned break on a weekday (`weekday`, 0 = Monday);
    * dated exception: a shift or planned break on one date (`day`). A date with any dated shift or break
      follows only its dated rules, not its weekday's: a makeup working day (调休) with its own shifts, or a
      shortened day;
    * holiday (`day`): a non-working day, nothing planned (it wins over dated shifts of the same date).
    """

    kind: str
    weekday: int | None = None  # 0 = Monday
    day: date | None = None
    start: str | None = None
    end: str | None = None
    label: str = ""

    @property
    def dated(self) -> bool:
        """Whether the rule is a dated exception (or a holiday) rather than part of the weekly pattern."""
        return self.day is not None


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
    if rule.day is None and (rule.weekday is None or not 0 <= rule.weekday <= 6):
        raise ValueError("weekday: 0 (Monday) to 6 (Sunday), or a date for a dated exception")
    if rule.day is not None and rule.weekday is not None:
        raise ValueError("day: a rule is either weekly (weekday) or dated (day), not both")
    if _clock(rule.start, "start") == _clock(rule.end, "end") and rule.kind == "break":
        raise ValueError("end: a break must end after it starts")


WEEK_MINUTES = 7 * 1440


def _minutes(rule: CalendarRuleSpec) -> tuple[int, int]:
    """A shift's or break's start and end in minutes from its own day's midnight (past midnight: end > 1440)."""
    start = _clock(rule.start, "start")
    end = _clock(rule.end, "end")
    a = start.hour * 60 + start.minute
    b = end.hour * 60 + end.minute
    return a, b if b > a else b + 1440


def _overlap(a: tuple[int, int], b: tuple[int, int], period: int | None) -> bool:
    """Whether two half-open spans of minutes meet; a weekly span also meets a span a week before or after."""
    shifts = (0,) if period is None else (-period, 0, period)
    return any(a[0] < b[1] + s and b[0] + s < a[1] for s in shifts)


def overlapping(rule: CalendarRuleSpec, existing: Iterable[CalendarRuleSpec]) -> CalendarRuleSpec | None:
    """The first existing rule `rule` may not be laid beside, or None.

    Two shifts, or two breaks, of the weekly pattern whose times meet (a shift past midnight reaches into the
    next weekday, Sunday's into Monday's); two dated shifts, or dated breaks, whose times meet (a dated shift
    past midnight reaches into the next date); a second day off on the same date. A break inside a shift is
    the point of a break; a dated rule and a weekly one never clash (the date's own shifts replace its
    weekday's). Spans are half-open, so a shift ending at 16:00 and one starting at 16:00 do not overlap."""
    if rule.kind == "holiday":
        return next((r for r in existing if r.kind == "holiday" and r.day == rule.day), None)
    a = _minutes(rule)
    for other in existing:
        if other.kind != rule.kind or other.dated != rule.dated:
            continue
        b = _minutes(other)
        if rule.day is not None and other.day is not None:
            days = (other.day - rule.day).days
            if abs(days) <= 1 and _overlap(a, (b[0] + days * 1440, b[1] + days * 1440), None):
                return other
        elif rule.weekday is not None and other.weekday is not None:
            base_a = rule.weekday * 1440
            base_b = other.weekday * 1440
            if _overlap((a[0] + base_a, a[1] + base_a), (b[0] + base_b, b[1] + base_b), WEEK_MINUTES):
                return other
    return None


def _span(day: date, rule: CalendarRuleSpec) -> Interval:
    start = datetime.combine(day, _clock(rule.start, "start"), CHINA_TZ)
    end = datetime.combine(day, _clock(rule.end, "end"), CHINA_TZ)
    if end <= start:
        end += timedelta(days=1)
    return (start, end)


def rules_of_day(rules: Sequence[CalendarRuleSpec], day: date) -> tuple[list[CalendarRuleSpec], str]:
    """The shifts and breaks that apply on `day`, and why: "holiday" (nothing), "dated" (the date's own shifts
    and breaks replace its weekday's: a makeup working day, a shortened day) or "weekly" (its weekday's pattern,
    with any break dated to it added)."""
    if any(r.kind == "holiday" and r.day == day for r in rules):
        return [], "holiday"
    dated = [r for r in rules if r.kind in ("shift", "break") and r.day == day]
    if any(r.kind == "shift" for r in dated):
        return dated, "dated"
    weekly = [r for r in rules if r.day is None and r.weekday == day.weekday()]
    return weekly + dated, "weekly"


def has_shifts(rules: Iterable[CalendarRuleSpec]) -> bool:
    """Whether the calendar plans anything (a weekly or dated shift); without one every hour is planned."""
    return any(r.kind == "shift" for r in rules)


def planned_periods(rules: Iterable[CalendarRuleSpec], window: Window) -> list[Interval] | None:
    """Planned production time inside the window: each day's shifts minus its breaks, none on holidays.

    None when the calendar has no shift at all: then every hour counts as planned (OEE equals TEEP).
    """
    rules = list(rules)
    if not has_shifts(rules):
        return None
    first = window.start.astimezone(CHINA_TZ).date() - timedelta(days=1)
    last = window.end.astimezone(CHINA_TZ).date()
    on: list[Interval] = []
    off: list[Interval] = []
    day = first
    while day <= last:
        todays, _ = rules_of_day(rules, day)
        on += [_span(day, r) for r in todays if r.kind == "shift"]
        off += [_span(day, r) for r in todays if r.kind == "break"]
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


@dataclass(frozen=True, slots=True)
class HolidayNotice:
    """A year's national holiday arrangement (放假调休) as published by the General Office of the State Council."""

    year: int
    version: str
    title: str
    issued_on: date
    citation: str
    verified: str  # how the dates were checked against the published text
    days_off: tuple[tuple[date, str], ...]  # (date, festival) — every day off, weekends of the break included
    workdays: tuple[tuple[date, str], ...]  # (date, festival) — makeup working days (调休上班)


def parse_holiday_notice(raw: dict[str, Any]) -> HolidayNotice:
    """A notice from its JSON form, checked: dates in its year, no date both off and worked, citation given."""
    for name in ("year", "version", "title", "issued_on", "citation", "verified", "festivals"):
        if name not in raw:
            raise ValueError(f"{name}: required in a holiday notice")
    year = int(raw["year"])
    off: list[tuple[date, str]] = []
    work: list[tuple[date, str]] = []
    for festival in raw["festivals"]:
        name = str(festival["name"])
        first, last = date.fromisoformat(festival["off"][0]), date.fromisoformat(festival["off"][1])
        if last < first:
            raise ValueError(f"festivals.{name}.off: ends before it starts")
        day = first
        while day <= last:
            off.append((day, name))
            day += timedelta(days=1)
        work += [(date.fromisoformat(d), name) for d in festival.get("workdays", [])]
    both = {d for d, _ in off} & {d for d, _ in work}
    if both:
        raise ValueError(f"festivals: {min(both).isoformat()} is both a day off and a working day")
    stray = [d for d, _ in (*off, *work) if d.year not in (year, year - 1, year + 1)]
    if stray:
        raise ValueError(f"festivals: {stray[0].isoformat()} is far from the notice's year {year}")
    if not str(raw["citation"]).strip():
        raise ValueError("citation: a holiday notice names its source")
    return HolidayNotice(
        year=year,
        version=str(raw["version"]),
        title=str(raw["title"]),
        issued_on=date.fromisoformat(raw["issued_on"]),
        citation=str(raw["citation"]),
        verified=str(raw["verified"]),
        days_off=tuple(sorted(off)),
        workdays=tuple(sorted(work)),
    )


NOTICE_PREFIX = "holidays_cn_"


def shipped_notice_years() -> tuple[int, ...]:
    """The years whose notice ships with the package (scoring/indicators/data/holidays_cn_YYYY.json)."""
    folder = resources.files("scoring.indicators.data")
    names = [
        p.name for p in folder.iterdir() if p.name.startswith(NOTICE_PREFIX) and p.name.endswith(".json")
    ]
    return tuple(sorted(int(name[len(NOTICE_PREFIX) : -5]) for name in names))


@cache
def holiday_notice(year: int) -> HolidayNotice:
    """The shipped national holiday notice of a year; KeyError when none ships (see docs/scoring.md)."""
    if year not in shipped_notice_years():
        raise KeyError(year)
    path = resources.files("scoring.indicators.data").joinpath(f"{NOTICE_PREFIX}{year}.json")
    return parse_holiday_notice(json.loads(path.read_text(encoding="utf-8")))


def notice_rules(
    notice: HolidayNotice, weekly: Sequence[CalendarRuleSpec], *, workday_like: int = 0
) -> list[CalendarRuleSpec]:
    """The rules a notice adds to a plant's calendar: a holiday for each day off, and for each makeup working
    day the shifts and breaks of the plant's own `workday_like` weekday (0 = Monday) as dated rules."""
    pattern = [r for r in weekly if r.day is None and r.weekday == workday_like]
    out = [
        CalendarRuleSpec("holiday", day=d, label=f"{festival}（{notice.year}年节假日安排）")
        for d, festival in notice.days_off
    ]
    for day, festival in notice.workdays:
        out += [
            CalendarRuleSpec(r.kind, day=day, start=r.start, end=r.end, label=f"{festival}调休上班")
            for r in pattern
        ]
    return out
