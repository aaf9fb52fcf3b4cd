"""The evidence snapshot's I/O edge: gather a plant's inputs from the database (devices, raw samples and
roll-ups, presence, calendar, ledger), call the one pure `scoring.indicators.snapshot.evidence_snapshot`, and
store the result with the scoring result that used it (versioned, hashed, with its window and data versions)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from diagnose.models import (
    Device,
    DeviceHour,
    DevicePresence,
    DiagnosisOrder,
    Equipment,
    EvidenceSnapshotRecord,
    Result,
    ShiftCalendarEntry,
    Telemetry,
)
from diagnose.services import telemetry_queries as tq
from scoring.indicators.atoms import HEARTBEAT_MARGIN, HOUR, DeviceInput, HourTotals, RawPart, rolled_up_hours
from scoring.indicators.calendar import CalendarRuleSpec, planned_stops
from scoring.indicators.figures import Figure
from scoring.indicators.intervals import to_fraction
from scoring.indicators.model import CalendarEntry, Window
from scoring.indicators.snapshot import (
    EvidenceSnapshot,
    LedgerLine,
    SnapshotInput,
    evidence_snapshot,
    networking_figure,
)
from scoring.indicators.snapshot_json import canonical, from_dict, sha256

EVIDENCE_WINDOW_DAYS = 7


def evidence_window(end: datetime, days: int = EVIDENCE_WINDOW_DAYS) -> Window:
    """The diagnosis window: the `days` before `end` (scoring time, or now on a live page)."""
    return Window(end - timedelta(days=days), end)


def ledger_lines(*, session: Session, enterprise_id: int) -> tuple[LedgerLine, ...]:
    """The plant's equipment ledger as the pure ledger lines (platform device ids resolved)."""
    rows = session.exec(
        select(Equipment).where(Equipment.enterprise_id == enterprise_id).order_by(col(Equipment.code))
    ).all()
    linked = {r.device_id for r in rows if r.device_id is not None}
    names = (
        {d.id: d.external_id for d in session.exec(select(Device).where(col(Device.id).in_(linked))).all()}
        if linked
        else {}
    )
    return tuple(
        LedgerLine(r.code, r.name, r.production, r.connected, names.get(r.device_id) if r.device_id else None)
        for r in rows
    )


def networking(*, session: Session, enterprise_id: int) -> Figure:
    """The networking rate from the ledger alone (the ledger page), by the snapshot's own function."""
    return networking_figure(ledger_lines(session=session, enterprise_id=enterprise_id))


def _explicit_stops(session: Session, device: Device, window: Window) -> tuple[CalendarEntry, ...]:
    rows = session.exec(
        select(ShiftCalendarEntry).where(
            ShiftCalendarEntry.enterprise_id == device.enterprise_id,
            or_(col(ShiftCalendarEntry.device_id).is_(None), col(ShiftCalendarEntry.device_id) == device.id),
            col(ShiftCalendarEntry.start) < window.end,
            col(ShiftCalendarEntry.end) > window.start,
        )
    ).all()
    return tuple(CalendarEntry(r.start, r.end, r.kind, r.label) for r in rows)


def _raw_part(session: Session, device: Device, window: Window, by_exception: bool) -> RawPart:
    samples = tq.load_samples(session=session, device=device, window=window)
    heard = list(samples.heard)
    if by_exception:  # births, deaths, status messages and heartbeats just before keep a heartbeat alive too
        reach = timedelta(seconds=float(device.heartbeat_s or 0) * HEARTBEAT_MARGIN)
        heard += session.exec(
            select(DevicePresence.ts).where(
                DevicePresence.device_id == device.id,
                col(DevicePresence.ts) >= window.start - reach,
                col(DevicePresence.ts) < window.end,
            )
        ).all()
        heard += session.exec(
            select(Telemetry.ts).where(
                Telemetry.device_id == device.id,
                col(Telemetry.ts) >= window.start - reach,
                col(Telemetry.ts) < window.start,
            )
        ).all()
    return RawPart(window, samples.states, samples.counters, samples.energy, tuple(sorted(set(heard))))


def device_input(
    *,
    session: Session,
    device: Device,
    window: Window,
    rules: tuple[CalendarRuleSpec, ...],
    use_rollups: bool = True,
    observed: Window | None = None,
    silence_timeout_s: float = 600,
) -> DeviceInput:
    """One device's inputs over its observed period in `window` (or the given `observed` period): stored
    roll-ups for complete hours the calendar plans wholly or not at all, raw samples for the rest. A sampling
    device's roll-up is used while its raw samples are kept only if it counted its coverage slots at the
    device's interval (`sample_interval_s`, else the silence timeout) as the snapshot does."""
    if observed is None:
        observed = tq.observed_window(session=session, device=device, window=window)
    by_exception = tq.reports_by_exception(session=session, device=device)
    base = DeviceInput(
        external_id=device.external_id,
        name=device.name,
        kind=device.kind,
        ideal_cycle_s=None if device.ideal_cycle_s is None else to_fraction(device.ideal_cycle_s),
        bottleneck=device.bottleneck,
        observed=observed,
        by_exception=by_exception,
        heartbeat_s=None if device.heartbeat_s is None else to_fraction(device.heartbeat_s),
        sample_interval_s=None if device.sample_interval_s is None else to_fraction(device.sample_interval_s),
    )
    if observed is None:
        return base
    explicit = _explicit_stops(session, device, observed)
    online = tq.online_periods(session=session, device=device, window=observed) if by_exception else None
    base = replace(
        base,
        online=None if online is None else tuple(online),
        planned_stops=explicit,
        reasons=tuple(tq.load_reasons(session=session, device_id=device.id or 0, window=observed)),
    )
    stops = [*explicit, *planned_stops(rules, observed)]
    first, last = tq.ceil_hour(observed.start), tq.floor_hour(observed.end)
    hours = [first + i * HOUR for i in range(max(0, int((last - first) / HOUR)))]
    # Hours whose raw samples retention has deleted can only be read from their roll-ups.
    raw_since = session.exec(select(func.min(Telemetry.ts)).where(Telemetry.device_id == device.id)).one()
    allowed = rolled_up_hours(base, stops, hours, raw_since=raw_since) if use_rollups else set()
    rolled: dict[datetime, HourTotals] = {}
    if allowed:
        slot_us = round(to_fraction(device.sample_interval_s or silence_timeout_s) * 1_000_000)

        def usable(row: HourTotals) -> bool:
            raw_gone = raw_since is None or row.hour_start + HOUR <= raw_since
            return by_exception or raw_gone or (row.slots_heard is not None and row.slot_us == slot_us)

        rows = tq.hour_totals_between(session=session, device_id=device.id or 0, start=first, end=last)
        rolled = {r.hour_start: r for r in rows if r.hour_start in allowed and usable(r)}
    parts: list[RawPart] = []
    cursor = observed.start
    for hour in sorted(rolled):
        if cursor < hour:
            parts.append(_raw_part(session, device, Window(cursor, hour), by_exception))
        cursor = hour + HOUR
    if cursor < observed.end:
        parts.append(_raw_part(session, device, Window(cursor, observed.end), by_exception))
    return replace(base, raw=tuple(parts), hours=tuple(rolled[h] for h in sorted(rolled)))


def gather(
    *,
    session: Session,
    enterprise_id: int,
    window: Window,
    silence_timeout_s: float,
    use_rollups: bool = True,
) -> SnapshotInput:
    """Every input of the plant's snapshot over the window, read from the database."""
    rules = tuple(tq.calendar_rules(session=session, enterprise_id=enterprise_id))
    registry = tq.enterprise_devices(session=session, enterprise_id=enterprise_id)
    networked = [d for d in registry if d.networked and d.protocol != "none"]
    return SnapshotInput(
        window=window,
        devices=tuple(
            device_input(
                session=session,
                device=d,
                window=window,
                rules=rules,
                use_rollups=use_rollups,
                silence_timeout_s=silence_timeout_s,
            )
            for d in networked
        ),
        calendar=rules,
        ledger=ledger_lines(session=session, enterprise_id=enterprise_id),
        silence_timeout_s=to_fraction(silence_timeout_s),
    )


def compute(
    *,
    session: Session,
    enterprise_id: int,
    window: Window,
    silence_timeout_s: float,
    use_rollups: bool = True,
) -> EvidenceSnapshot:
    """The plant's snapshot over the window (live pages, the API, the CLI; scoring stores it)."""
    return evidence_snapshot(
        gather(
            session=session,
            enterprise_id=enterprise_id,
            window=window,
            silence_timeout_s=silence_timeout_s,
            use_rollups=use_rollups,
        )
    )


def data_versions(*, session: Session, enterprise_id: int, window: Window) -> dict[str, Any]:
    """What the snapshot read, so a later reader can tell whether the data has changed since: the newest
    telemetry row, roll-up and presence change of the plant's devices in the window, and its records."""
    ids = [d.id for d in tq.enterprise_devices(session=session, enterprise_id=enterprise_id)]

    def one(statement: Any) -> Any:
        value = session.exec(statement).one()
        return value.isoformat() if isinstance(value, datetime) else value

    inside = (
        col(Telemetry.device_id).in_(ids),
        col(Telemetry.ts) >= window.start,
        col(Telemetry.ts) < window.end,
    )
    return {
        "devices": len(ids),
        "telemetry_rows": one(select(func.count()).select_from(Telemetry).where(*inside)),
        "telemetry_received_max": one(select(func.max(Telemetry.received_at)).where(*inside)),
        "rollup_computed_max": one(
            select(func.max(DeviceHour.computed_at)).where(
                col(DeviceHour.device_id).in_(ids),
                col(DeviceHour.hour_start) >= window.start,
                col(DeviceHour.hour_start) < window.end,
            )
        ),
        "presence_max_id": one(
            select(func.max(DevicePresence.id)).where(col(DevicePresence.device_id).in_(ids))
        ),
        "calendar_rules": [
            [r.kind, r.weekday, r.day.isoformat() if r.day else None, r.start, r.end]
            for r in tq.calendar_rules(session=session, enterprise_id=enterprise_id)
        ],
        "ledger_max_id": one(select(func.max(Equipment.id)).where(Equipment.enterprise_id == enterprise_id)),
    }


def store(
    *,
    session: Session,
    result: Result,
    order: DiagnosisOrder,
    snapshot: EvidenceSnapshot,
    versions: dict[str, Any],
) -> EvidenceSnapshotRecord:
    """Keep the snapshot a result used (one per result)."""
    record = EvidenceSnapshotRecord(
        result_id=result.id,  # type: ignore[arg-type]
        order_id=order.id,  # type: ignore[arg-type]
        enterprise_id=order.enterprise_id,
        version=snapshot.version,
        rules_version=snapshot.rules_version,
        window_start=snapshot.window.start,
        window_end=snapshot.window.end,
        data_versions=versions,
        content=canonical(snapshot).decode("utf-8"),
        sha256=sha256(snapshot),
    )
    session.add(record)
    session.flush()
    return record


def record_of(*, session: Session, result: Result) -> EvidenceSnapshotRecord | None:
    """The stored snapshot record of a result (None for results scored before snapshots were kept)."""
    return session.exec(
        select(EvidenceSnapshotRecord).where(EvidenceSnapshotRecord.result_id == result.id)
    ).first()


def of_result(*, session: Session, result: Result, silence_timeout_s: float = 600) -> EvidenceSnapshot:
    """The snapshot a result was scored with; for a result stored before snapshots were kept, the same
    function over the week before it was scored (not stored: reading never writes)."""
    record = record_of(session=session, result=result)
    if record is not None:
        return from_dict(json.loads(record.content))
    order = session.get(DiagnosisOrder, result.order_id)
    assert order is not None
    return compute(
        session=session,
        enterprise_id=order.enterprise_id,
        window=evidence_window(result.created_at),
        silence_timeout_s=silence_timeout_s,
    )
