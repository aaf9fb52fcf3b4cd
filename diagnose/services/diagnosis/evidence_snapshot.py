"""The evidence snapshot's I/O edge: gather a plant's inputs from the database (devices, raw samples and
roll-ups, presence, calendar, ledger), call the one pure `scoring.indicators.snapshot.evidence_snapshot`, and
store the result with the scoring result that used it (versioned, hashed, with its window and data versions)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from diagnose.models import (
    Device,
    DeviceHour,
    DevicePresence,
    DiagnosisOrder,
    DowntimeReasonEntry,
    Equipment,
    EvidenceSnapshotRecord,
    Result,
    ShiftCalendarEntry,
    Telemetry,
)
from diagnose.services.telemetry import telemetry_queries as tq
from scoring.indicators.atoms import (
    HEARTBEAT_MARGIN,
    HOUR_US,
    SLOT,
    SLOTS_HEARD,
    DeviceInput,
    HourBlock,
    RawPart,
    epoch_us,
    from_epoch_us,
    rollup_rows,
)
from scoring.indicators.calendar import CalendarRuleSpec, planned_stops
from scoring.indicators.figures import Figure
from scoring.indicators.intervals import to_fraction
from scoring.indicators.model import CalendarEntry, DowntimeReason, Window
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
        LedgerLine(
            r.code,
            r.name,
            r.production,
            r.connected,
            names.get(r.device_id) if r.device_id else None,
            r.digital,
        )
        for r in rows
    )


def networking(*, session: Session, enterprise_id: int) -> Figure:
    """The networking rate from the ledger alone (the ledger page), by the snapshot's own function."""
    return networking_figure(ledger_lines(session=session, enterprise_id=enterprise_id))


@dataclass(frozen=True, slots=True)
class _Reads:
    """What the snapshot reads of a plant's devices, each read once for all of them (a statement each)."""

    first: Mapping[int, datetime | None]  # oldest raw sample kept
    presence: set[int]  # devices with a presence history
    stops: Sequence[
        tuple[int, int | None, CalendarEntry]
    ]  # (enterprise, device or None, explicit planned stop)
    reasons: Mapping[int, Sequence[tuple[datetime, datetime, DowntimeReason]]]
    blocks: Mapping[int, HourBlock]


def _reads(*, session: Session, devices: Sequence[Device], window: Window, use_rollups: bool) -> _Reads:
    ids = [d.id for d in devices if d.id is not None]
    enterprises = sorted({d.enterprise_id for d in devices})
    stops = session.exec(
        select(ShiftCalendarEntry)
        .where(
            col(ShiftCalendarEntry.enterprise_id).in_(enterprises),
            or_(col(ShiftCalendarEntry.device_id).is_(None), col(ShiftCalendarEntry.device_id).in_(ids)),
            col(ShiftCalendarEntry.start) < window.end,
            col(ShiftCalendarEntry.end) > window.start,
        )
        .order_by(col(ShiftCalendarEntry.id))
    ).all()
    reasons: dict[int, list[tuple[datetime, datetime, DowntimeReason]]] = {}
    for r in session.exec(
        select(DowntimeReasonEntry)
        .where(
            col(DowntimeReasonEntry.device_id).in_(ids),
            col(DowntimeReasonEntry.start) < window.end,
            col(DowntimeReasonEntry.end) > window.start,
        )
        .order_by(col(DowntimeReasonEntry.id))
    ).all():
        reasons.setdefault(r.device_id, []).append(
            (r.start, r.end, DowntimeReason(r.start, r.end, r.code, r.label))
        )
    blocks = (
        tq.hour_blocks(
            session=session,
            device_ids=ids,
            start=tq.ceil_hour(window.start),
            end=tq.floor_hour(window.end),
        )
        if use_rollups and ids
        else {}
    )
    return _Reads(
        first=tq.first_readings(session=session, device_ids=ids, since=window.start),
        presence=tq.with_presence(session=session, device_ids=ids),
        stops=[(r.enterprise_id, r.device_id, CalendarEntry(r.start, r.end, r.kind, r.label)) for r in stops],
        reasons=reasons,
        blocks=blocks,
    )


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
    reads = _reads(session=session, devices=[device], window=observed or window, use_rollups=use_rollups)
    return _device_input(
        session=session,
        device=device,
        window=window,
        rules=rules,
        reads=reads,
        use_rollups=use_rollups,
        observed=observed,
        silence_timeout_s=silence_timeout_s,
    )


def _device_input(
    *,
    session: Session,
    device: Device,
    window: Window,
    rules: tuple[CalendarRuleSpec, ...],
    reads: _Reads,
    use_rollups: bool,
    observed: Window | None,
    silence_timeout_s: float,
) -> DeviceInput:
    device_id = device.id or 0
    raw_since = reads.first.get(device_id)
    if observed is None:
        observed = tq.observed_of(device, raw_since, window)
    by_exception = device.heartbeat_s is not None or device_id in reads.presence
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
    explicit = tuple(
        entry
        for enterprise_id, owner, entry in reads.stops
        if enterprise_id == device.enterprise_id
        and owner in (None, device.id)
        and entry.start < observed.end
        and entry.end > observed.start
    )
    online = tq.online_periods(session=session, device=device, window=observed) if by_exception else None
    base = replace(
        base,
        online=None if online is None else tuple(online),
        planned_stops=explicit,
        reasons=tuple(
            r
            for start, end, r in reads.reasons.get(device_id, ())
            if start < observed.end and end > observed.start
        ),
    )
    stops = [*explicit, *planned_stops(rules, observed)]
    first, last = tq.ceil_hour(observed.start), tq.floor_hour(observed.end)
    block = reads.blocks.get(device_id)
    if use_rollups and block is not None and len(block):
        hour_us = block.hour_us
        inside = (hour_us >= epoch_us(first)) & (hour_us < epoch_us(last))
        # Hours whose raw samples retention has deleted can only be read from their roll-ups.
        allowed = rollup_rows(base, stops, hour_us, raw_since=raw_since)
        if not by_exception:
            slot_us = round(to_fraction(device.sample_interval_s or silence_timeout_s) * 1_000_000)
            gone = hour_us + HOUR_US <= epoch_us(raw_since) if raw_since is not None else True
            counted = (block.values[:, SLOTS_HEARD] >= 0) & (block.values[:, SLOT] == slot_us)
            allowed = allowed & (gone | counted)
        block = block.take(inside & allowed)
    else:
        block = None
    parts: list[RawPart] = []
    cursor = observed.start
    if block is not None and len(block):
        hour_us = block.hour_us
        breaks = np.flatnonzero(np.diff(hour_us) != HOUR_US).tolist()
        runs = zip([0, *(b + 1 for b in breaks)], [*breaks, len(hour_us) - 1], strict=True)
        for a, b in runs:
            start = from_epoch_us(int(hour_us[a]), UTC)
            if cursor < start:
                parts.append(_raw_part(session, device, Window(cursor, start), by_exception))
            cursor = from_epoch_us(int(hour_us[b]) + HOUR_US, UTC)
    if cursor < observed.end:
        parts.append(_raw_part(session, device, Window(cursor, observed.end), by_exception))
    return replace(base, raw=tuple(parts), block=block if block is not None and len(block) else None)


def gather(
    *,
    session: Session,
    enterprise_id: int,
    window: Window,
    silence_timeout_s: float,
    use_rollups: bool = True,
) -> SnapshotInput:
    """Every input of the plant's snapshot over the window, read from the database: each kind of row read
    once for all the plant's devices (roll-ups as one column block a device), raw samples only where needed."""
    rules = tuple(tq.calendar_rules(session=session, enterprise_id=enterprise_id))
    registry = tq.enterprise_devices(session=session, enterprise_id=enterprise_id)
    networked = [d for d in registry if d.networked and d.protocol != "none"]
    reads = _reads(session=session, devices=networked, window=window, use_rollups=use_rollups)
    return SnapshotInput(
        window=window,
        devices=tuple(
            _device_input(
                session=session,
                device=d,
                window=window,
                rules=rules,
                reads=reads,
                use_rollups=use_rollups,
                observed=None,
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
    result: Result | None,
    order: DiagnosisOrder,
    snapshot: EvidenceSnapshot,
    versions: dict[str, Any],
) -> EvidenceSnapshotRecord:
    """Keep the snapshot a result used (one per CMMM result; `result` None: the snapshot of an SME-only
    rating, which the rating's `snapshot_id` names)."""
    record = EvidenceSnapshotRecord(
        result_id=result.id if result is not None else None,
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


def of_record(record: EvidenceSnapshotRecord) -> EvidenceSnapshot:
    """A stored snapshot as the function computed it."""
    return from_dict(json.loads(record.content))


def keep(*, session: Session, order: DiagnosisOrder, snapshot: EvidenceSnapshot) -> EvidenceSnapshotRecord:
    """Store the snapshot an SME-only rating read (no CMMM result to hang it on), with the versions of the
    data it read."""
    versions = data_versions(session=session, enterprise_id=order.enterprise_id, window=snapshot.window)
    return store(session=session, result=None, order=order, snapshot=snapshot, versions=versions)


def of_result(*, session: Session, result: Result, silence_timeout_s: float = 600) -> EvidenceSnapshot:
    """The snapshot a result was scored with; for a result stored before snapshots were kept, the same
    function over the week before it was scored (not stored: reading never writes)."""
    record = record_of(session=session, result=result)
    if record is not None:
        return of_record(record)
    order = session.get(DiagnosisOrder, result.order_id)
    assert order is not None
    return compute(
        session=session,
        enterprise_id=order.enterprise_id,
        window=evidence_window(result.created_at),
        silence_timeout_s=silence_timeout_s,
    )
