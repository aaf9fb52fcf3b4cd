"""Device networking rate and data-capture coverage: per-device silences, expected samples of a sampling device."""

from __future__ import annotations

from collections.abc import Collection, Container, Iterable, Mapping
from datetime import datetime, timedelta
from fractions import Fraction
from itertools import pairwise

from scoring.indicators.model import Coverage, Window

HOUR = timedelta(hours=1)


def networking_rate(
    production_device_ids: Collection[str], networked_device_ids: Collection[str]
) -> Fraction | None:
    """Networked production devices over all production devices; None when there are none."""
    production = set(production_device_ids)
    if not production:
        return None
    return Fraction(len(production & set(networked_device_ids)), len(production))


def silences(
    timestamps: Iterable[datetime], window: Window, silence_timeout_s: float | Fraction
) -> tuple[Window, ...]:
    """Spans inside the window with no message for longer than the timeout (from the last message heard)."""
    timeout = timedelta(seconds=float(silence_timeout_s))
    ordered = sorted(set(timestamps))
    before = [ts for ts in ordered if ts <= window.start][-1:]
    inside = [ts for ts in ordered if window.start < ts < window.end]
    edges = [*(before or [window.start]), *inside, window.end]
    gaps: list[Window] = []
    for left, right in pairwise(edges):
        if right - left > timeout:
            gaps.append(Window(max(left, window.start), right))
    return tuple(gaps)


def data_capture_coverage(
    networked_device_ids: Collection[str],
    timestamps_by_device: Mapping[str, Iterable[datetime]],
    window: Window,
    silence_timeout_s: float | Fraction,
) -> Coverage:
    """Share of networked devices that reported in the window, and each networked device's silences."""
    networked = frozenset(networked_device_ids)
    reporting: set[str] = set()
    gaps: dict[str, tuple[Window, ...]] = {}
    for device in sorted(networked):
        stamps = list(timestamps_by_device.get(device, ()))
        if any(window.start <= ts < window.end for ts in stamps):
            reporting.add(device)
        device_gaps = silences(stamps, window, silence_timeout_s)
        if device_gaps:
            gaps[device] = device_gaps
    coverage = Fraction(len(reporting), len(networked)) if networked else None
    return Coverage(coverage, frozenset(reporting), networked - reporting, gaps)


def expected_sample_coverage(
    timestamps: Iterable[datetime], observed: Window, interval_s: float | Fraction
) -> tuple[int, int]:
    """(received, expected) samples over the observed period at the device's declared interval.

    The period is cut into slots of `interval_s` (the last one partial counts as one); a slot with at
    least one message is received. A chatty device therefore cannot exceed its expectation.
    """
    step = timedelta(seconds=float(interval_s))
    if step <= timedelta(0):
        raise ValueError("interval_s must be positive")
    length = observed.end - observed.start
    expected = -(-length // step) if length > timedelta(0) else 0
    slots = {(ts - observed.start) // step for ts in timestamps if observed.start <= ts < observed.end}
    return len(slots), int(expected)


def slot_step(interval_s: float | Fraction) -> timedelta:
    """A sampling interval as the slots it cuts each hour into (an hour or more: one slot an hour)."""
    if Fraction(interval_s) <= 0:
        raise ValueError("interval_s must be positive")
    return HOUR if Fraction(interval_s) >= 3600 else timedelta(seconds=float(interval_s))


def hour_slot(ts: datetime, step: timedelta) -> tuple[datetime, int]:
    """The sampling slot a message time lies in: its hour and the slot's index within the hour."""
    hour = ts.replace(minute=0, second=0, microsecond=0)
    return hour, (ts - hour) // step


def slots_heard(heard: Iterable[datetime], hour: datetime, step: timedelta) -> int:
    """Distinct sampling slots of `step` in [hour, hour + 1 h) with at least one message (a roll-up keeps it)."""
    end = hour + HOUR
    return len({(ts - hour) // step for ts in heard if hour <= ts < end})


def _slots_overlapping(hour: datetime, step: timedelta, window: Window) -> int:
    """Slots of the hour (cut from its start, the last one short) that overlap the window."""
    start, end = max(hour, window.start), min(hour + HOUR, window.end)
    if end <= start:
        return 0
    last = min(-(-HOUR // step), -(-(end - hour) // step))  # one past the slot holding end's last instant
    return last - (start - hour) // step


def sampled_coverage(
    heard: Iterable[datetime],
    observed: Window,
    interval_s: float | Fraction,
    rolled: Mapping[datetime, int] | None = None,
) -> tuple[int, int]:
    """(received, expected) samples of a sampling device over its observed period, raw and rolled up together.

    Every hour is cut into slots of `interval_s` from the hour's start (the last one short; an interval of an
    hour or more is one slot an hour), so a slot never straddles two hours and a roll-up can keep the count of
    its hour's slots that heard a message (`rolled`: hour start → slots heard, at this interval). Expected: the
    slots overlapping the observed period; received: those with a message of `heard` (raw) or counted by the
    hour's roll-up. Each slot counts once, so received ≤ expected, and raw samples and roll-ups agree.
    """
    rolled = dict(rolled or {})
    return sampled_coverage_of(heard, observed, interval_s, rolled, sum(rolled.values()))


def sampled_coverage_of(
    heard: Iterable[datetime],
    observed: Window,
    interval_s: float | Fraction,
    rolled: Container[datetime],
    rolled_received: int,
) -> tuple[int, int]:
    """`sampled_coverage` given the rolled-up hours (`rolled`: a container of hour starts) and the slots their
    roll-ups heard in all (`rolled_received`), so a month of roll-ups need not be a mapping."""
    step = slot_step(interval_s)
    first = observed.start.replace(minute=0, second=0, microsecond=0)
    last = observed.end.replace(
        minute=0, second=0, microsecond=0
    )  # the hour holding the end, if it is inside
    if last == first:
        expected = _slots_overlapping(first, step, observed)
    else:  # the two edge hours, and the whole hours between them at a full hour's slots each
        whole = (last - first) // HOUR - 1
        expected = _slots_overlapping(first, step, observed) + whole * -(-HOUR // step)
        expected += _slots_overlapping(last, step, observed)
    slots = {
        hour_slot(ts, step)
        for ts in heard
        if observed.start <= ts < observed.end and ts.replace(minute=0, second=0, microsecond=0) not in rolled
    }
    return len(slots) + rolled_received, expected
