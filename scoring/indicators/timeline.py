"""Device state timeline from state messages: hold-until-next, silence timeout, window clipping."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from fractions import Fraction

from scoring.indicators.intervals import Interval, intersect, seconds, subtract, union
from scoring.indicators.model import STATES, UNKNOWN, Segment, StateSample, Window


def dedupe_states(samples: Iterable[StateSample]) -> list[StateSample]:
    """Sorted by time, one sample per timestamp (a later duplicate in input order replaces an earlier one)."""
    by_ts: dict[datetime, StateSample] = {}
    for sample in samples:
        by_ts[sample.ts] = sample
    return [by_ts[ts] for ts in sorted(by_ts)]


def state_timeline(
    samples: Iterable[StateSample],
    window: Window,
    silence_timeout_s: float | Fraction,
    *,
    known: Iterable[Interval] | None = None,
) -> tuple[Segment, ...]:
    """Segments covering the whole window, UNKNOWN where the device was silent longer than the timeout.

    A sample holds until the next one, but at most `silence_timeout_s`; the last sample at or before
    the window start carries its state into the window. Samples may be unsorted and duplicated.

    With `known` (report by exception: the periods the device is known to be online and within its
    declared heartbeat, from `known_periods`), a state holds until the next sample however long that
    is, and only time outside `known` is UNKNOWN; the silence timeout is not used.
    """
    ordered = dedupe_states(samples)
    if known is not None:
        return _held_while_known(ordered, window, list(known))
    timeout = timedelta(seconds=float(silence_timeout_s))
    carried = [s for s in ordered if s.ts <= window.start][-1:]
    inside = [s for s in ordered if window.start < s.ts < window.end]
    relevant = carried + inside
    raw: list[Segment] = []
    cursor = window.start
    for index, sample in enumerate(relevant):
        if sample.ts > cursor:
            raw.append(Segment(cursor, sample.ts, UNKNOWN))  # nothing known before the first sample
        next_ts = relevant[index + 1].ts if index + 1 < len(relevant) else window.end
        held_until = min(next_ts, sample.ts + timeout)
        raw.append(Segment(max(sample.ts, window.start), max(held_until, window.start), sample.state))
        cursor = max(held_until, window.start)
        if next_ts > cursor:
            raw.append(Segment(cursor, next_ts, UNKNOWN))  # silence longer than the timeout
            cursor = next_ts
    if cursor < window.end:
        raw.append(Segment(cursor, window.end, UNKNOWN))
    return _merge(seg for seg in raw if seg.end > seg.start)


def known_periods(
    heard: Iterable[datetime],
    window: Window,
    *,
    online: Iterable[Interval] | None = None,
    heartbeat_s: float | Fraction | None = None,
    margin: float | Fraction = 2,
) -> list[Interval]:
    """When a report-by-exception device's last state is known to still hold, inside the window.

    `online` are the periods the device was online (Sparkplug BIRTH..DEATH, MQTT status/will);
    `heartbeat_s` is the interval the device declared in its birth: a device that has sent nothing
    for `margin` × heartbeat is no longer known. With both, both must hold; with neither there is
    nothing to go on and the caller should use the silence timeout instead.
    """
    whole: list[Interval] = [(window.start, window.end)]
    periods = whole if online is None else intersect(online, whole)
    if heartbeat_s is not None:
        reach = timedelta(seconds=float(heartbeat_s) * float(margin))
        alive = union((ts, ts + reach) for ts in heard)
        periods = intersect(periods, alive)
    return periods


def _held_while_known(
    ordered: list[StateSample], window: Window, known: list[Interval]
) -> tuple[Segment, ...]:
    carried = [s for s in ordered if s.ts <= window.start][-1:]
    relevant = carried + [s for s in ordered if window.start < s.ts < window.end]
    raw: list[Segment] = []
    if not relevant or relevant[0].ts > window.start:
        first = relevant[0].ts if relevant else window.end
        raw.append(Segment(window.start, first, UNKNOWN))
    for index, sample in enumerate(relevant):
        start = max(sample.ts, window.start)
        end = relevant[index + 1].ts if index + 1 < len(relevant) else window.end
        span: list[Interval] = [(start, end)]
        pieces = [(a, b, sample.state) for a, b in intersect(span, known)]
        pieces += [(a, b, UNKNOWN) for a, b in subtract(span, known)]
        raw.extend(Segment(a, b, state) for a, b, state in sorted(pieces))
    return _merge(seg for seg in raw if seg.end > seg.start)


def state_durations(
    samples: Iterable[StateSample], window: Window, silence_timeout_s: float | Fraction
) -> dict[str, Fraction]:
    """Seconds spent in each state over the window (every known state listed, zeros included)."""
    durations = dict.fromkeys(STATES, Fraction(0))
    for segment in state_timeline(samples, window, silence_timeout_s):
        durations[segment.state] = durations.get(segment.state, Fraction(0)) + seconds(
            segment.end - segment.start
        )
    return durations


def utilisation(
    samples: Iterable[StateSample], window: Window, silence_timeout_s: float | Fraction
) -> Fraction | None:
    """RUN time over window length; None for an empty window."""
    window_s = seconds(window.end - window.start)
    if window_s == 0:
        return None
    return state_durations(samples, window, silence_timeout_s)["RUN"] / window_s


def _merge(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].state == segment.state and merged[-1].end == segment.start:
            merged[-1] = Segment(merged[-1].start, segment.end, segment.state)
        else:
            merged.append(segment)
    return tuple(merged)
