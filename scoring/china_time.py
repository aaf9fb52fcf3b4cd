"""The platform's one time zone: China Standard Time (UTC+8, no daylight saving since 1991)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

# A fixed offset rather than ZoneInfo("Asia/Shanghai"): the same for every date since 1991, and no tzdata needed.
CHINA_TZ = timezone(timedelta(hours=8), "CST")


def to_china(moment: datetime) -> datetime:
    """An aware datetime shown in China time."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware datetimes")
    return moment.astimezone(CHINA_TZ)


def china_today(now: datetime) -> date:
    """The China calendar date of an aware moment."""
    return to_china(now).date()
