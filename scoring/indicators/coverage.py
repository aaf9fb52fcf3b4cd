"""Device networking rate and data-capture coverage: per-device silences, expected samples of a sampling device."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from fractions import Fraction
from itertools import pairwise

from scoring.indicators.model import Coverage, Window


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


def sampled_coverage(
    heard: Iterable[datetime],
    observed: Window,
    interval_s: float | Fraction,
    rolled: Mapping[datetime, int] | None = None,
) -> tuple[int, int]:
    """(received, expected) samples of a sampling device over its observed period, raw and rolled up together.

    The period is cut into slots of `interval_s` from its start (the last one partial counts as one). A slot
    belongs to the hour its start lies in. In an hour read from its roll-up (`rolled`: hour start → messages
    that hour) a slot counts as received up to the roll-up's message count; elsewhere a slot with at least one
    message of `heard` is received. Each slot is counted at most once, so received ≤ expected by construction.
    """
    step = timedelta(seconds=float(interval_s))
    if step <= timedelta(0):
        raise ValueError("interval_s must be positive")
    length = observed.end - observed.start
    expected = int(-(-length // step)) if length > timedelta(0) else 0
    rolled = dict(rolled or {})

    def slot_hour(index: int) -> datetime:
        start = observed.start + index * step
        return start.replace(minute=0, second=0, microsecond=0)

    slots = {
        k
        for k in ((ts - observed.start) // step for ts in heard if observed.start <= ts < observed.end)
        if slot_hour(k) not in rolled
    }
    received = len(slots)
    for hour, messages in rolled.items():
        first = max(0, -(-(hour - observed.start) // step))
        last = min(expected, -(-(hour + timedelta(hours=1) - observed.start) // step))
        received += min(messages, max(0, last - first))
    return received, expected
