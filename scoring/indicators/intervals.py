"""Exact interval arithmetic on aware datetimes: union, intersection, difference, length in seconds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from fractions import Fraction

Interval = tuple[datetime, datetime]
_MICROSECOND = timedelta(microseconds=1)


def seconds(delta: timedelta) -> Fraction:
    """A timedelta as an exact Fraction of seconds (microsecond resolution)."""
    return Fraction(delta // _MICROSECOND, 1_000_000)


def to_fraction(value: Fraction | int | float | str) -> Fraction:
    """Exact Fraction of a number; floats by their shortest decimal text (0.1 -> 1/10)."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint, non-empty intervals covering the same time."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def intersect(left: Iterable[Interval], right: Iterable[Interval]) -> list[Interval]:
    """The time covered by both."""
    a, b = union(left), union(right)
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(left: Iterable[Interval], right: Iterable[Interval]) -> list[Interval]:
    """The time covered by `left` and not by `right`."""
    out: list[Interval] = []
    cuts = union(right)
    for start, end in union(left):
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                out.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def length_s(intervals: Iterable[Interval]) -> Fraction:
    """Total seconds covered (overlaps counted once)."""
    return sum((seconds(end - start) for start, end in union(intervals)), Fraction(0))
