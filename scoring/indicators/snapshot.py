"""The evidence snapshot of a diagnosis: every device and plant figure of one window, computed in one place.

`evidence_snapshot(SnapshotInput) -> EvidenceSnapshot` is the only code that computes a plant figure; pages,
the report, the API, the CLI, supervision and the scoring read its result (docs/scoring.md, "Measured
evidence"). A plant figure pools the devices whose own figure is ok under the card's one minimum of data
(data/figure_rules.json), over the same devices and weights for every figure of a card, so the plant OEE is
the product of the plant availability, performance and quality shown beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from scoring.china_time import CHINA_TZ
from scoring.indicators.atoms import (
    COUNTED,
    COVER_ALL,
    COVER_NONE,
    GOOD,
    HOUR_US,
    PLANNED,
    SAMPLES,
    SLOT,
    SLOTS_HEARD,
    TOTAL,
    UNKNOWN_PLANNED,
    US,
    Atom,
    DeviceInput,
    HourBlock,
    RawPart,
    StopCover,
    epoch_us,
    from_epoch_us,
    raw_atoms,
    rollups_of,
)
from scoring.indicators.calendar import CalendarRuleSpec, has_shifts, planned_stops
from scoring.indicators.coverage import HOUR, sampled_coverage_of, slot_step
from scoring.indicators.figures import (
    INSUFFICIENT,
    OK,
    OUT_OF_BOUNDS,
    UNAVAILABLE,
    Card,
    Figure,
    FigureRules,
    load_figure_rules,
)
from scoring.indicators.intervals import seconds
from scoring.indicators.model import STATES, UNKNOWN, UNSPECIFIED, CalendarEntry, OeeResult, Segment, Window
from scoring.indicators.oee import PERFORMANCE_TOLERANCE, bound_flags

SNAPSHOT_VERSION = "evidence-snapshot-1"


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One line of the plant's equipment ledger (设备台账)."""

    code: str
    name: str
    production: bool = True
    connected: bool = False  # marked connected, or naming a registered platform device
    device_external_id: str | None = None
    digital: bool | None = None  # digitally controlled (设备数字化率); None: the ledger does not say


@dataclass(frozen=True, slots=True)
class SnapshotInput:
    """Everything a snapshot is computed from: plain data gathered at the edge (diagnose/services)."""

    window: Window
    devices: tuple[DeviceInput, ...]  # the plant's networked devices
    calendar: tuple[CalendarRuleSpec, ...] = ()
    ledger: tuple[LedgerLine, ...] = ()
    silence_timeout_s: Fraction = Fraction(600)
    rules: FigureRules | None = None  # default: the packaged figure rules


@dataclass(frozen=True, slots=True)
class DeviceFigures:
    """One device's figures over its observed period, with the time and counts they rest on (seconds exact)."""

    external_id: str
    name: str
    kind: str
    bottleneck: bool
    observed: Window | None
    observed_s: Fraction
    known_s: Fraction  # observed time whose state is known
    planned_s: Fraction
    unknown_planned_s: Fraction  # planned time of unknown state: 无数据, neither run nor downtime
    run_s: Fraction
    by_state: Mapping[str, Fraction]
    downtime_by_state: Mapping[str, Fraction]
    downtime_by_reason: Mapping[str, Fraction]
    total_count: int
    good_count: int
    performance_count: int
    energy_kwh: Fraction
    metered: bool
    coverage_basis: str  # exception (known-state time) | sampling (samples received over expected)
    received: int
    expected: int
    flags: tuple[str, ...]
    figures: Mapping[str, Figure]
    timeline: tuple[Segment, ...] = ()  # the longest state of each hour, runs merged
    ideal_cycle_s: Fraction | None = None

    @property
    def known_planned_s(self) -> Fraction:
        """Availability's denominator."""
        return self.planned_s - self.unknown_planned_s

    @property
    def downtime_s(self) -> Fraction:
        """Known planned time not run."""
        return self.known_planned_s - self.run_s


@dataclass(frozen=True, slots=True)
class EvidenceSnapshot:
    """The measured evidence of one window: per-device figures, plant figures, the OEE of each day."""

    version: str
    rules_version: str
    window: Window
    silence_timeout_s: Fraction
    has_calendar: bool
    oee_basis: str  # pooled | bottleneck
    devices: tuple[DeviceFigures, ...]
    figures: Mapping[str, Figure]
    ledger: tuple[LedgerLine, ...] = ()
    daily: tuple[tuple[str, Figure], ...] = ()  # (China date, plant OEE of that day)

    def device(self, external_id: str) -> DeviceFigures | None:
        """One device's figures."""
        return next((d for d in self.devices if d.external_id == external_id), None)


@dataclass(frozen=True, slots=True)
class _Sums:
    observed_s: Fraction
    known_s: Fraction
    planned_s: Fraction
    unknown_planned_s: Fraction
    run_s: Fraction
    total: int
    good: int
    counted: int
    energy: Fraction
    metered: bool

    @property
    def known_planned_s(self) -> Fraction:
        return self.planned_s - self.unknown_planned_s


def _sums(atoms: Sequence[Atom]) -> _Sums:
    """The atoms' totals: integer microseconds added, then made exact seconds once (one atom an hour: the
    reference `_Slices.totals` is tested against, with `_merged` and `_timeline`)."""
    observed = unknown = planned = unknown_planned = run = 0
    total = good = counted = 0
    energy = Fraction(0)
    metered = False
    for a in atoms:
        length = a.length_us
        observed += length
        unknown += a.by_state_us.get(UNKNOWN, 0)
        planned += a.planned_us
        unknown_planned += a.unknown_planned_us
        run += a.run_us
        total += a.total_count
        good += a.good_count
        counted += a.performance_count
        if a.energy_kwh:
            energy += a.energy_kwh
        metered = metered or a.metered
    return _Sums(
        observed_s=Fraction(observed, US),
        known_s=Fraction(observed - unknown, US),
        planned_s=Fraction(planned, US),
        unknown_planned_s=Fraction(unknown_planned, US),
        run_s=Fraction(run, US),
        total=total,
        good=good,
        counted=counted,
        energy=energy,
        metered=metered,
    )


def _merged(maps: Iterable[Mapping[str, int]]) -> dict[str, Fraction]:
    """Microsecond maps added key by key, as exact seconds (zero entries left out)."""
    out: dict[str, int] = {}
    for mapping in maps:
        for key, value in mapping.items():
            out[key] = out.get(key, 0) + value
    return {k: Fraction(v, US) for k, v in out.items() if v}


def _have(card: Card, sums: _Sums) -> Fraction:
    if card.basis == "known_planned":
        return sums.known_planned_s
    return sums.known_s if card.basis == "known" else sums.observed_s


def _device_values(sums: _Sums, cycle: Fraction | None) -> dict[str, tuple[Fraction | None, str]]:
    """Each figure's value, or None with the reason."""
    a = sums.run_s / sums.known_planned_s if sums.known_planned_s else None
    if cycle is None:
        p, p_why = None, "no_cycle_time"
    else:
        p, p_why = (cycle * sums.counted / sums.run_s, "") if sums.run_s else (None, "no_run")
    q = Fraction(sums.good, sums.total) if sums.total else None
    why = "nothing_planned" if a is None else p_why if p is None else "no_counts" if q is None else ""
    oee = a * p * q if a is not None and p is not None and q is not None else None
    teep = sums.run_s / sums.known_s * p * q if sums.known_s and p is not None and q is not None else None
    energy = sums.energy / sums.good if sums.metered and sums.good else None
    return {
        "availability": (a, "nothing_planned"),
        "performance": (p, p_why),
        "quality": (q, "no_counts"),
        "oee": (oee, why),
        "teep": (teep, why or "no_state"),
        "utilisation": (sums.run_s / sums.known_s if sums.known_s else None, "no_state"),
        "energy_per_unit_kwh": (energy, "no_energy" if not sums.metered else "no_good_parts"),
    }


def _flagged(flags: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Which figures a device's bound flags concern."""
    out: dict[str, list[str]] = {}
    for flag in flags:
        names = {
            "performance_above_tolerance": ("performance", "oee", "teep"),
            "oee_out_of_bounds": ("oee", "teep"),
            "availability_out_of_bounds": ("availability", "oee", "teep"),
            "quality_out_of_bounds": ("quality", "oee", "teep"),
        }.get(flag, ())
        for name in names:
            out.setdefault(name, []).append(flag)
    return {k: tuple(v) for k, v in out.items()}


def _device_figures(
    external_id: str,
    sums: _Sums,
    cycle: Fraction | None,
    coverage: Fraction | None,
    rules: FigureRules,
    cards: Sequence[Card] | None = None,
) -> tuple[dict[str, Figure], tuple[str, ...]]:
    values = _device_values(sums, cycle)
    values["coverage"] = (coverage, "no_state")
    v = {k: x[0] for k, x in values.items()}
    flags = bound_flags(v["availability"], v["performance"], v["quality"], v["oee"])
    flagged = _flagged(flags)
    out: dict[str, Figure] = {}
    for card in rules.cards if cards is None else cards:
        if card.id == "networking":
            continue
        have = _have(card, sums)
        for name in card.figures:
            value, why = values[name]
            base = (name, (external_id,), have, card.need_s, card.basis)
            if have < card.need_s:
                out[name] = Figure(name, None, INSUFFICIENT, *base[1:])
            elif value is None:
                out[name] = Figure(name, None, UNAVAILABLE, *base[1:], reason=why)
            elif name in flagged:
                out[name] = Figure(name, value, OUT_OF_BOUNDS, *base[1:], flags=flagged[name])
            else:
                out[name] = Figure(name, value, OK, *base[1:])
    return out, flags


def _card_status(card: Card, device: Mapping[str, Figure]) -> Figure:
    """The device's one status for a whole card (the worst of its figures: insufficient, out of bounds,
    unavailable), as a figure carrying the card's have and reason."""
    figures = [device[name] for name in card.figures]
    for status in (INSUFFICIENT, OUT_OF_BOUNDS, UNAVAILABLE):
        hit = next((f for f in figures if f.status == status), None)
        if hit is not None:
            return hit
    return figures[0]


def _pooled(card: Card, pop: Sequence[tuple[DeviceFigures, _Sums]]) -> dict[str, Fraction]:
    """The plant value of each figure of a card over its population (same devices, same weights)."""
    s = [x[1] for x in pop]
    run = sum((x.run_s for x in s), Fraction(0))
    if card.id == "oee":
        a = run / sum((x.known_planned_s for x in s), Fraction(0))
        cycled = sum(((d.ideal_cycle_s or Fraction(0)) * x.counted for d, x in pop), Fraction(0))
        p = cycled / run
        q = Fraction(sum(x.good for x in s), sum(x.total for x in s))
        known = sum((x.known_s for x in s), Fraction(0))
        return {
            "availability": a,
            "performance": p,
            "quality": q,
            "oee": a * p * q,
            "teep": run / known * p * q,
        }
    if card.id == "utilisation":
        return {"utilisation": run / sum((x.known_s for x in s), Fraction(0))}
    if card.id == "coverage":
        observed = sum((x.observed_s for x in s), Fraction(0))
        covered = sum(
            ((d.figures["coverage"].value or Fraction(0)) * x.observed_s for d, x in pop), Fraction(0)
        )
        return {"coverage": covered / observed}
    energy = sum((x.energy for x in s), Fraction(0))
    return {"energy_per_unit_kwh": energy / sum(x.good for x in s)}


def _plant_card(
    card: Card, devices: Sequence[tuple[DeviceFigures, _Sums]], bottleneck: str | None
) -> dict[str, Figure]:
    """The plant figures of one card: pooled over the devices whose whole card is ok, or why there are none."""
    chosen = [d for d in devices if d[0].external_id == bottleneck] if bottleneck else list(devices)
    pop = [d for d in chosen if all(d[0].figures[n].status == OK for n in card.figures)]
    names = tuple(d.external_id for d, _ in pop)
    if pop:
        values = _pooled(card, pop)
        have = max(_have(card, x) for _, x in pop)
        return {n: Figure(n, values[n], OK, names, have, card.need_s, card.basis) for n in card.figures}
    statuses = [(d, _card_status(card, d.figures)) for d, _ in chosen]
    bad = [(d, f) for d, f in statuses if f.status == OUT_OF_BOUNDS]
    short = [(d, f) for d, f in statuses if f.status == INSUFFICIENT]
    if bad:
        flags = tuple(f"{d.external_id}: {flag}" for d, f in bad for flag in f.flags)
        have = max(f.have_s for _, f in bad)
        status, reason = OUT_OF_BOUNDS, ""
    elif short:
        flags, have, status, reason = (), max(f.have_s for _, f in short), INSUFFICIENT, ""
    else:
        flags, have, status = (), max((f.have_s for _, f in statuses), default=Fraction(0)), UNAVAILABLE
        reason = statuses[0][1].reason if statuses else "no_devices"
    return {
        n: Figure(n, None, status, (), have, card.need_s, card.basis, reason, flags) for n in card.figures
    }


def networking_figure(ledger: Sequence[LedgerLine], rules: FigureRules | None = None) -> Figure:
    """Connected production equipment of the ledger over production equipment of the ledger."""
    card = (rules or load_figure_rules()).card("networking")
    production = [line for line in ledger if line.production]
    names = tuple(line.code for line in production)
    if not production:
        reason = "no_production_lines" if ledger else "no_ledger"
        return Figure("networking_rate", None, UNAVAILABLE, (), Fraction(0), card.need_s, card.basis, reason)
    connected = sum(1 for line in production if line.connected or line.device_external_id)
    value = Fraction(connected, len(production))
    return Figure("networking_rate", value, OK, names, Fraction(0), card.need_s, card.basis)


def _timeline(atoms: Sequence[Atom]) -> tuple[Segment, ...]:
    runs: list[Segment] = []
    for atom in atoms:
        by_state = atom.by_state_us
        state, longest = STATES[0], by_state.get(STATES[0], 0)
        for other in STATES[1:]:  # the longest state of the hour; the first listed on a tie
            if by_state.get(other, 0) > longest:
                state, longest = other, by_state[other]
        if runs and runs[-1].state == state and runs[-1].end == atom.start:
            runs[-1] = Segment(runs[-1].start, atom.end, state)
        else:
            runs.append(Segment(atom.start, atom.end, state))
    return tuple(runs)


class _Hours:
    """The hours of a block, as `sampled_coverage` asks whether a message's hour was rolled up."""

    def __init__(self, hour_us: NDArray[np.int64]) -> None:
        self._us = set(hour_us.tolist())

    def __contains__(self, hour: object) -> bool:
        return isinstance(hour, datetime) and epoch_us(hour) in self._us


def _coverage(
    device: DeviceInput, block: HourBlock, sums: _Sums, timeout: Fraction
) -> tuple[str, int, int, Fraction | None]:
    """(basis, received, expected, ratio): known-state time over observed time for a device reporting by
    exception; samples received over expected at its declared interval (else the silence timeout) otherwise."""
    if device.by_exception:
        ratio = sums.known_s / sums.observed_s if sums.observed_s else None
        return "exception", 0, 0, ratio
    if device.observed is None:
        return "sampling", 0, 0, None
    interval = device.sample_interval_s or timeout
    heard = [ts for part in device.raw for ts in part.heard if part.window.start <= ts < part.window.end]
    per_hour = -(-HOUR // slot_step(interval))
    # A roll-up counted its slots at this interval: exact. One from before 0028, or at another interval, is
    # read only where the raw samples are gone (the edge reads raw otherwise): its messages, up to the hour's
    # slots.
    v = block.values
    exact = (v[:, SLOTS_HEARD] >= 0) & (v[:, SLOT] == round(interval * US))
    rolled = int(np.where(exact, v[:, SLOTS_HEARD], np.minimum(v[:, SAMPLES], per_hour)).sum())
    received, expected = sampled_coverage_of(heard, device.observed, interval, _Hours(block.hour_us), rolled)
    return "sampling", received, expected, Fraction(received, expected) if expected else None


def _days(window: Window) -> list[tuple[str, Window]]:
    out: list[tuple[str, Window]] = []
    day = window.start.astimezone(CHINA_TZ).date()
    while True:
        start = datetime.combine(day, datetime.min.time(), CHINA_TZ)
        if start >= window.end:
            return out
        piece = Window(max(start, window.start), min(start + timedelta(days=1), window.end))
        if piece.end > piece.start:
            out.append((day.isoformat(), piece))
        day += timedelta(days=1)


# Columns of a device's slices (one row an hour slice, raw or rolled up, in time order): its length, the time
# in each of the six STATES, then planned, unknown planned, total, good and performance counts.
_LENGTH, _PLANNED, _UNKNOWN_PLANNED, _TOTAL, _GOOD, _COUNTED = 0, 7, 8, 9, 10, 11
_COLUMNS = 12


@dataclass(frozen=True, slots=True, eq=False)
class _Slices:
    """A device's atoms as integer columns (the additive figures) and their sparse parts, in time order."""

    start_us: NDArray[np.int64]
    values: NDArray[np.int64]  # shape (slices, _COLUMNS)
    raw: Mapping[int, Atom]  # row → the raw atom (its own datetimes); other rows are whole rolled-up hours
    zone: tzinfo
    downtime_by_state_us: Mapping[str, int]
    downtime_by_reason_us: Mapping[str, int]
    energy_kwh: Fraction
    metered: bool

    def totals(self) -> _Sums:
        t = self.values.sum(axis=0).tolist() if len(self.values) else [0] * _COLUMNS
        return _Sums(
            observed_s=Fraction(t[_LENGTH], US),
            known_s=Fraction(t[_LENGTH] - t[1 + STATES.index(UNKNOWN)], US),
            planned_s=Fraction(t[_PLANNED], US),
            unknown_planned_s=Fraction(t[_UNKNOWN_PLANNED], US),
            run_s=Fraction(t[1], US),
            total=t[_TOTAL],
            good=t[_GOOD],
            counted=t[_COUNTED],
            energy=self.energy_kwh,
            metered=self.metered,
        )

    def edge(self, row: int, end: bool) -> datetime:
        atom = self.raw.get(row)
        if atom is not None:
            return atom.end if end else atom.start
        return from_epoch_us(int(self.start_us[row]) + (HOUR_US if end else 0), self.zone)


def _add(into: dict[str, int], mapping: Mapping[str, int]) -> None:
    for key, value in mapping.items():
        into[key] = into.get(key, 0) + value


def _slices(
    device: DeviceInput,
    block: HourBlock,
    raw: Sequence[RawPart],
    stops: Sequence[CalendarEntry],
    timeout: Fraction | float,
) -> _Slices:
    """The device's atoms (`device_atoms`), the rolled-up hours computed as whole columns: the same integers,
    summed the same way, so every figure made of them is the same to the microsecond."""
    atoms = [a for part in raw for a in raw_atoms(device, part, stops, silence_timeout_s=timeout)]
    by_state: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    energy = Fraction(0)
    metered = False
    # Rolled-up hours (`aggregate_atom`, vectorised).
    v = block.values
    cover = StopCover(stops).covers(block.hour_us)
    none, whole = cover == COVER_NONE, cover == COVER_ALL
    run, unknown = v[:, 0], v[:, 5]
    kept = v[:, UNKNOWN_PLANNED]
    planned = np.where(none, HOUR_US - v[:, 3], np.where(whole, run, v[:, PLANNED]))
    unknown_planned = np.where(
        none,
        unknown,
        np.where(whole, 0, np.where(kept >= 0, kept, np.minimum(unknown, v[:, PLANNED] - run))),
    )
    downtime = planned - run - unknown_planned
    lost = v[none][:, [1, 2, 4]].sum(axis=0).tolist() if len(v) else [0, 0, 0]
    for state, us in zip(("IDLE", "DOWN", "OFF"), lost, strict=True):
        if us:
            by_state[state] = us
    unspecified = int(downtime.sum())
    for row, codes in block.reasons_us.items():
        left = int(downtime[row])
        claimed = 0
        for code, us in codes.items():
            if code != UNSPECIFIED and us and claimed < left:
                take = min(us, left - claimed)
                by_reason[code] = by_reason.get(code, 0) + take
                claimed += take
        unspecified -= claimed
    if unspecified:
        by_reason[UNSPECIFIED] = unspecified
    for value in block.energy_kwh.values():
        energy += value
        metered = metered or value > 0
    rolled = np.empty((len(block), _COLUMNS), dtype=np.int64)
    rolled[:, _LENGTH] = HOUR_US
    rolled[:, 1:7] = v[:, 0:6]
    rolled[:, _PLANNED] = planned
    rolled[:, _UNKNOWN_PLANNED] = unknown_planned
    rolled[:, _TOTAL] = v[:, TOTAL]
    rolled[:, _GOOD] = v[:, GOOD]
    rolled[:, _COUNTED] = v[:, COUNTED]
    # Raw slices, as they are.
    raw_rows = []
    for a in atoms:
        raw_rows.append(
            [
                a.length_us,
                *(a.by_state_us.get(state, 0) for state in STATES),
                a.planned_us,
                a.unknown_planned_us,
                a.total_count,
                a.good_count,
                a.performance_count,
            ]
        )
        _add(by_state, a.downtime_by_state_us)
        _add(by_reason, a.downtime_by_reason_us)
        if a.energy_kwh:
            energy += a.energy_kwh
        metered = metered or a.metered
    starts = np.concatenate([block.hour_us, np.array([epoch_us(a.start) for a in atoms], dtype=np.int64)])
    values = np.concatenate([rolled, np.array(raw_rows, dtype=np.int64).reshape(len(atoms), _COLUMNS)])
    order = np.argsort(starts, kind="stable")
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    return _Slices(
        start_us=starts[order],
        values=values[order],
        raw={int(position[len(block) + i]): a for i, a in enumerate(atoms)},
        zone=block.zone,
        downtime_by_state_us=by_state,
        downtime_by_reason_us=by_reason,
        energy_kwh=energy,
        metered=metered,
    )


def _seconds_of(mapping: Mapping[str, int]) -> dict[str, Fraction]:
    """Microsecond totals as exact seconds (zero entries left out), as `_merged`."""
    return {k: Fraction(v, US) for k, v in mapping.items() if v}


def _slice_timeline(slices: _Slices) -> tuple[Segment, ...]:
    """`_timeline` of the slices: the longest state of each (the first listed on a tie), runs merged."""
    if not len(slices.start_us):
        return ()
    state = np.argmax(slices.values[:, 1:7], axis=1)
    ends = slices.start_us + slices.values[:, _LENGTH]
    new = np.ones(len(state), dtype=np.bool_)
    new[1:] = (state[1:] != state[:-1]) | (slices.start_us[1:] != ends[:-1])
    first = np.flatnonzero(new).tolist()
    last = [*(i - 1 for i in first[1:]), len(state) - 1]
    return tuple(
        Segment(slices.edge(a, False), slices.edge(b, True), STATES[int(state[a])])
        for a, b in zip(first, last, strict=True)
    )


def _by_day(
    slices: _Slices, day_start_us: NDArray[np.int64], day_end_us: NDArray[np.int64]
) -> NDArray[np.int64]:
    """The slices' columns summed by the day each starts in."""
    out = np.zeros((len(day_start_us), _COLUMNS), dtype=np.int64)
    i = np.searchsorted(day_start_us, slices.start_us, side="right") - 1
    inside = (i >= 0) & (slices.start_us < day_end_us[np.maximum(i, 0)])
    np.add.at(out, i[inside], slices.values[inside])
    return out


def evidence_snapshot(inp: SnapshotInput) -> EvidenceSnapshot:
    """Every figure of the window: per device over its observed period, then the plant's (see module doc)."""
    rules = inp.rules or load_figure_rules()
    days = _days(inp.window)
    day_start_us = np.array([epoch_us(piece.start) for _, piece in days], dtype=np.int64)
    day_end_us = np.array([epoch_us(piece.end) for _, piece in days], dtype=np.int64)
    rows: list[tuple[DeviceFigures, _Sums, NDArray[np.int64]]] = []
    for device in sorted(inp.devices, key=lambda d: d.external_id):
        stops: list[CalendarEntry] = list(device.planned_stops)
        if device.observed is not None:
            stops += planned_stops(inp.calendar, device.observed)
        block = rollups_of(device) if device.observed else HourBlock.join([])
        raw = device.raw if device.observed else ()
        slices = _slices(device, block, raw, stops, inp.silence_timeout_s)
        sums = slices.totals()
        basis, received, expected, ratio = _coverage(device, block, sums, inp.silence_timeout_s)
        figures, flags = _device_figures(device.external_id, sums, device.ideal_cycle_s, ratio, rules)
        t = slices.values[:, 1:7].sum(axis=0).tolist() if len(slices.values) else [0] * 6
        row = DeviceFigures(
            external_id=device.external_id,
            name=device.name,
            kind=device.kind,
            bottleneck=device.bottleneck,
            observed=device.observed,
            observed_s=sums.observed_s,
            known_s=sums.known_s,
            planned_s=sums.planned_s,
            unknown_planned_s=sums.unknown_planned_s,
            run_s=sums.run_s,
            by_state={s: Fraction(us, US) for s, us in zip(STATES, t, strict=True)},
            downtime_by_state=_seconds_of(slices.downtime_by_state_us),
            downtime_by_reason=_seconds_of(slices.downtime_by_reason_us),
            total_count=sums.total,
            good_count=sums.good,
            performance_count=sums.counted,
            energy_kwh=sums.energy,
            metered=sums.metered,
            coverage_basis=basis,
            received=received,
            expected=expected,
            flags=flags,
            figures=figures,
            timeline=_slice_timeline(slices),
            ideal_cycle_s=device.ideal_cycle_s,
        )
        rows.append((row, sums, _by_day(slices, day_start_us, day_end_us)))
    bottleneck = next((d.external_id for d, _, _ in rows if d.bottleneck), None)
    plant: dict[str, Figure] = {"networking_rate": networking_figure(inp.ledger, rules)}
    pairs = [(d, s) for d, s, _ in rows]
    for card in rules.cards:
        if card.id != "networking":
            plant.update(_plant_card(card, pairs, bottleneck if card.id == "oee" else None))
    return EvidenceSnapshot(
        version=SNAPSHOT_VERSION,
        rules_version=rules.version,
        window=inp.window,
        silence_timeout_s=inp.silence_timeout_s,
        has_calendar=has_shifts(inp.calendar),
        oee_basis="bottleneck" if bottleneck else "pooled",
        devices=tuple(d for d, _, _ in rows),
        figures=plant,
        ledger=tuple(inp.ledger),
        daily=_daily(days, [(d, day) for d, _, day in rows], rules, bottleneck),
    )


def _day_sums(t: Sequence[int]) -> _Sums:
    return _Sums(
        observed_s=Fraction(t[_LENGTH], US),
        known_s=Fraction(t[_LENGTH] - t[1 + STATES.index(UNKNOWN)], US),
        planned_s=Fraction(t[_PLANNED], US),
        unknown_planned_s=Fraction(t[_UNKNOWN_PLANNED], US),
        run_s=Fraction(t[1], US),
        total=t[_TOTAL],
        good=t[_GOOD],
        counted=t[_COUNTED],
        energy=Fraction(0),  # not a figure of the OEE card
        metered=False,
    )


OEE_FIGURES = ("availability", "performance", "quality", "oee", "teep")


def _in_bounds(numerator: int, denominator: int, high: Fraction) -> bool:
    """0 <= numerator / denominator <= high, in integers (denominator not zero)."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    return numerator >= 0 and numerator * high.denominator <= high.numerator * denominator


def _have_us(card: Card, t: Sequence[int]) -> int:
    known = t[_LENGTH] - t[1 + STATES.index(UNKNOWN)]
    if card.basis == "known_planned":
        return t[_PLANNED] - t[_UNKNOWN_PLANNED]
    return known if card.basis == "known" else t[_LENGTH]


def oee_card_ok(card: Card, t: Sequence[int], cycle: Fraction | None) -> bool:
    """Whether every figure of the OEE card of these day totals is ok (`_device_figures` would say OK for all
    of them), in integer arithmetic: enough data, every value defined, none out of bounds (`bound_flags`)."""
    need = card.need_s
    if _have_us(card, t) * need.denominator < need.numerator * US:
        return False
    run, planned = t[1], t[_PLANNED] - t[_UNKNOWN_PLANNED]
    known = t[_LENGTH] - t[1 + STATES.index(UNKNOWN)]
    total, good, counted = t[_TOTAL], t[_GOOD], t[_COUNTED]
    if cycle is None or not planned or not run or not total or not known:
        return False  # some value is None: unavailable
    # availability = run / planned; quality = good / total; performance = cycle × counted × US / run;
    # OEE = their product = cycle × counted × US × good / (planned × total) (run cancels exactly).
    cycled = cycle.numerator * counted * US
    return (
        _in_bounds(run, planned, Fraction(1))
        and _in_bounds(good, total, Fraction(1))
        and _in_bounds(cycled, cycle.denominator * run, PERFORMANCE_TOLERANCE)
        and _in_bounds(cycled * good, cycle.denominator * planned * total, PERFORMANCE_TOLERANCE)
    )


def _daily(
    days: Sequence[tuple[str, Window]],
    rows: Sequence[tuple[DeviceFigures, NDArray[np.int64]]],
    rules: FigureRules,
    bottleneck: str | None,
) -> tuple[tuple[str, Figure], ...]:
    """The plant OEE of each China day of the window, by the same card rule applied to that day's data.

    A day where some device's whole card is ok is pooled in integers (`oee_card_ok`, then the card's exact
    ratios once); a day with none is given its reason by the figures themselves (`_plant_card`)."""
    card = rules.card("oee")
    fast = tuple(card.figures) == OEE_FIGURES
    chosen = [r for r in rows if r[0].external_id == bottleneck] if bottleneck else list(rows)
    out: list[tuple[str, Figure]] = []
    for d, (day, _piece) in enumerate(days):
        pop = []
        if fast:
            for device, by_day in chosen:
                t = by_day[d].tolist()
                if oee_card_ok(card, t, device.ideal_cycle_s):
                    pop.append((device, t))
        if pop:
            run = sum(t[1] for _, t in pop)
            a = Fraction(run, sum(t[_PLANNED] - t[_UNKNOWN_PLANNED] for _, t in pop))
            counted: dict[tuple[int, int], int] = {}  # parts counted by ideal cycle time: a product a cycle
            for x, t in pop:
                assert x.ideal_cycle_s is not None  # an ok performance has one
                key = (x.ideal_cycle_s.numerator, x.ideal_cycle_s.denominator)
                counted[key] = counted.get(key, 0) + t[_COUNTED]
            cycled = sum((Fraction(n * a, b) for (a, b), n in counted.items()), Fraction(0))
            p = cycled / Fraction(run, US)
            q = Fraction(sum(t[_GOOD] for _, t in pop), sum(t[_TOTAL] for _, t in pop))
            have = Fraction(max(_have_us(card, t) for _, t in pop), US)
            names = tuple(x.external_id for x, _ in pop)
            out.append((day, Figure("oee", a * p * q, OK, names, have, card.need_s, card.basis)))
            continue
        pairs = []
        for device, by_day in rows:
            sums = _day_sums(by_day[d].tolist())
            figures, _ = _device_figures(device.external_id, sums, device.ideal_cycle_s, None, rules, (card,))
            pairs.append((replace(device, figures=figures), sums))
        out.append((day, _plant_card(card, pairs, bottleneck)["oee"]))
    return tuple(out)


def device_oee(
    device: DeviceInput, calendar: Sequence[CalendarRuleSpec], *, silence_timeout_s: float | Fraction
) -> OeeResult:
    """One device's OEE over its observed period, from the same atoms as the snapshot (the CLI's per-device
    figures). Without an ideal cycle time performance, OEE and TEEP are None."""
    if device.observed is None:
        raise ValueError("the device was not observed in the window")
    stops = [*device.planned_stops, *planned_stops(calendar, device.observed)]
    slices = _slices(device, rollups_of(device), device.raw, stops, silence_timeout_s)
    sums = slices.totals()
    values = _device_values(sums, device.ideal_cycle_s)
    a, p, q, oee = (values[n][0] for n in ("availability", "performance", "quality", "oee"))
    return OeeResult(
        availability=a,
        performance=p,
        quality=q,
        oee=oee,
        planned_s=sums.planned_s,
        run_s=sums.run_s,
        total_count=sums.total,
        good_count=sums.good,
        downtime_s=sums.known_planned_s - sums.run_s,
        downtime_by_state=_seconds_of(slices.downtime_by_state_us),
        downtime_by_reason=_seconds_of(slices.downtime_by_reason_us),
        teep=values["teep"][0],
        window_s=sums.observed_s,
        performance_count=sums.counted,
        flags=bound_flags(a, p, q, oee),
        unknown_planned_s=sums.unknown_planned_s,
        unknown_s=sums.observed_s - sums.known_s,
    )


def window_s(window: Window) -> Fraction:
    """The window's length in seconds."""
    return seconds(window.end - window.start)
