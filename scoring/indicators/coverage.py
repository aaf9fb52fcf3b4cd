"""Device networking rate and data-capture coverage with per-device silences."""

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
