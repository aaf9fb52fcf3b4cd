"""An enterprise's measured evidence: per-device figures over each device's observed period, the
planned-time-weighted (or bottleneck) plant OEE and TEEP, ledger networking rate, expected-sample coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction

from sqlmodel import Session, col, select

from diagnose.models import Device, DeviceHour, Equipment, Telemetry
from diagnose.services import telemetry_queries as tq
from scoring.indicators import OeeResult, Window
from scoring.indicators.coverage import expected_sample_coverage
from scoring.indicators.intervals import to_fraction

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DeviceEvidence:
    """One device's figures over its observed period (what the per-device list shows)."""

    external_id: str
    name: str
    observed: Window | None
    result: OeeResult | None
    received: int
    expected: int
    bottleneck: bool
    energy_kwh: Fraction = Fraction(0)

    @property
    def observed_s(self) -> Fraction:
        """Seconds observed inside the window."""
        if self.observed is None:
            return Fraction(0)
        return Fraction((self.observed.end - self.observed.start) // timedelta(microseconds=1), 1_000_000)

    @property
    def flags(self) -> tuple[str, ...]:
        """Why the device's figures are implausible (kept, shown, excluded from evidence)."""
        return () if self.result is None else self.result.flags


@dataclass(frozen=True, slots=True)
class EnterpriseEvidence:
    """An enterprise's measured evidence for a diagnosis window (what the scoring's evidence proposals use)."""

    window: Window
    devices_total: int  # production devices in the ledger (registry devices without a ledger)
    devices_networked: int  # of them connected
    networking_rate: Fraction | None  # None without an equipment ledger
    networking_basis: str  # ledger | none
    coverage: Fraction | None  # expected samples received over observed periods
    oee: Fraction | None  # weighted by planned time over in-bound devices, or the bottleneck's
    teep: Fraction | None  # weighted by observed (calendar) time
    oee_basis: str  # weighted | bottleneck
    availability: Fraction | None
    performance: Fraction | None
    quality: Fraction | None
    utilisation: Fraction | None  # RUN share of observed time over in-bound devices
    energy_per_good_unit_kwh: Fraction | None
    observed_s: Fraction  # the longest a device was observed
    planned_s: (
        Fraction  # planned time behind the OEE figure (most of one in-bound device, or the bottleneck's)
    )
    has_calendar: bool
    oee_by_device: dict[str, OeeResult]
    devices: tuple[DeviceEvidence, ...] = ()
    flags: dict[str, tuple[str, ...]] = field(default_factory=dict)


def ledger_networking(*, session: Session, enterprise_id: int) -> tuple[int, int] | None:
    """(connected, all) production equipment of the ledger; None when no ledger was recorded."""
    rows = session.exec(
        select(Equipment).where(Equipment.enterprise_id == enterprise_id, col(Equipment.production).is_(True))
    ).all()
    if not rows:
        return None
    return sum(1 for r in rows if r.connected or r.device_id is not None), len(rows)


def _received(session: Session, device: Device, observed: Window, interval_s: float) -> tuple[int, int]:
    """Expected-sample coverage of one device: roll-up hours by their sample counts, the rest raw."""
    rolled = {
        row.hour_start: row.sample_count
        for row in session.exec(
            select(DeviceHour).where(
                DeviceHour.device_id == device.id,
                col(DeviceHour.hour_start) >= tq.ceil_hour(observed.start),
                col(DeviceHour.hour_start) < tq.floor_hour(observed.end),
            )
        ).all()
    }
    per_hour = max(1, int(-(-3600 // interval_s)))
    received = sum(min(count, per_hour) for count in rolled.values())
    stamps = session.exec(
        select(Telemetry.ts).where(
            Telemetry.device_id == device.id,
            col(Telemetry.ts) >= observed.start,
            col(Telemetry.ts) < observed.end,
        )
    ).all()
    raw = [ts for ts in stamps if tq.floor_hour(ts) not in rolled]
    got, expected = expected_sample_coverage(raw, observed, interval_s)
    return received + got, expected


def enterprise_evidence(
    *, session: Session, enterprise_id: int, window: Window, silence_timeout_s: float
) -> EnterpriseEvidence:
    """Figures per device over its observed period, rolled up to the plant (see docs/scoring.md)."""
    registry = tq.enterprise_devices(session=session, enterprise_id=enterprise_id)
    networked = [d for d in registry if d.networked and d.protocol != "none"]
    ledger = ledger_networking(session=session, enterprise_id=enterprise_id)
    listed: list[DeviceEvidence] = []
    for device in networked:
        observed = tq.observed_window(session=session, device=device, window=window)
        if observed is None:
            listed.append(
                DeviceEvidence(device.external_id, device.name, None, None, 0, 0, device.bottleneck)
            )
            continue
        figures = tq.device_figures(
            session=session, device=device, window=observed, silence_timeout_s=silence_timeout_s
        )
        interval = device.sample_interval_s or device.heartbeat_s or silence_timeout_s
        received, expected = _received(session, device, observed, interval)
        listed.append(
            DeviceEvidence(
                device.external_id,
                device.name,
                observed,
                tq.oee_of(figures, device.ideal_cycle_s),
                received,
                expected,
                device.bottleneck,
                figures.energy_kwh,
            )
        )
    return _roll_up(session, enterprise_id, window, registry, networked, ledger, listed)


def _weighted(pairs: list[tuple[Fraction | None, Fraction]]) -> Fraction | None:
    used = [(v, w) for v, w in pairs if v is not None and w]
    total = sum((w for _, w in used), Fraction(0))
    return sum((v * w for v, w in used), Fraction(0)) / total if total else None


def _roll_up(
    session: Session,
    enterprise_id: int,
    window: Window,
    registry: list[Device],
    networked: list[Device],
    ledger: tuple[int, int] | None,
    listed: list[DeviceEvidence],
) -> EnterpriseEvidence:
    measured = [d for d in listed if d.result is not None]
    sound = [d for d in measured if not d.flags]
    results = {d.external_id: d.result for d in measured if d.result is not None}
    flags: dict[str, tuple[str, ...]] = {}
    flagged = [f"{d.external_id}: {', '.join(d.flags)}" for d in measured if d.flags]
    bottleneck = next((d for d in measured if d.bottleneck), None)
    by_id = {d.external_id: d for d in networked}
    if bottleneck is not None:
        chosen, basis = [bottleneck], "bottleneck"
    else:
        chosen, basis = sound, "weighted"
    if flagged and (not sound or (bottleneck is not None and bottleneck.flags)):
        for name in ("oee", "availability", "performance", "quality"):
            flags[name] = tuple(flagged)
    in_bound = [d for d in chosen if not d.flags and d.result is not None]
    oee = _weighted([(d.result.oee, d.result.planned_s) for d in in_bound if d.result])
    teep = _weighted([(d.result.teep, d.result.window_s) for d in in_bound if d.result])
    run = sum((d.result.run_s for d in in_bound if d.result), Fraction(0))
    planned = sum((d.result.planned_s for d in in_bound if d.result), Fraction(0))
    with_cycle = [d for d in in_bound if d.result and d.result.performance is not None]
    cycle_parts = sum(
        (
            to_fraction(by_id[d.external_id].ideal_cycle_s or 0) * (d.result.performance_count or 0)
            for d in with_cycle
            if d.result
        ),
        Fraction(0),
    )
    cycle_run = sum((d.result.run_s for d in with_cycle if d.result), Fraction(0))
    total = sum((d.result.total_count for d in in_bound if d.result), 0)
    good = sum((d.result.good_count for d in in_bound if d.result), 0)
    observed_total = sum((d.observed_s for d in sound), Fraction(0))
    received = sum(d.received for d in listed)
    expected = sum(d.expected for d in listed)
    if ledger is not None:
        connected, production = ledger
        rate: Fraction | None = Fraction(connected, production)
    else:
        connected, production, rate = 0, 0, None
    making = [d for d in sound if d.result and d.result.good_count]
    energy = sum((d.energy_kwh for d in making), Fraction(0))
    energy_good = sum((d.result.good_count for d in making if d.result), 0)
    return EnterpriseEvidence(
        window=window,
        devices_total=production,
        devices_networked=connected,
        networking_rate=rate,
        networking_basis="ledger" if ledger is not None else "none",
        coverage=Fraction(received, expected) if expected else None,
        oee=oee,
        teep=teep,
        oee_basis=basis,
        availability=run / planned if planned else None,
        performance=cycle_parts / cycle_run if cycle_run else None,
        quality=Fraction(good, total) if total else None,
        utilisation=sum((d.result.run_s for d in sound if d.result), Fraction(0)) / observed_total
        if observed_total
        else None,
        energy_per_good_unit_kwh=energy / energy_good if energy_good else None,
        observed_s=max((d.observed_s for d in listed), default=Fraction(0)),
        planned_s=max((d.result.planned_s for d in in_bound if d.result), default=Fraction(0)),
        has_calendar=bool(tq.calendar_rules(session=session, enterprise_id=enterprise_id)),
        oee_by_device=results,  # type: ignore[arg-type]
        devices=tuple(listed),
        flags=flags,
    )


def hours(seconds: Fraction | float) -> float:
    """Seconds as hours (for the evidence minimums and 数据不足)."""
    return float(seconds) / 3600
