"""Indicators' I/O edge: load samples and roll-ups from the database and call the pure scoring.indicators."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import numpy as np
from sqlalchemy import String, cast, exists, func, or_
from sqlmodel import Session, col, select

from diagnose.models import (
    CalendarRule,
    Device,
    DeviceHour,
    DevicePresence,
    DowntimeReasonEntry,
    ShiftCalendarEntry,
    Telemetry,
)
from scoring.indicators import (
    CalendarEntry,
    CounterSample,
    DowntimeReason,
    EnergySample,
    OeeResult,
    StateSample,
    TimeMeasures,
    Window,
    known_periods,
)
from scoring.indicators.atoms import BLOCK_COLUMNS, HourBlock, HourTotals
from scoring.indicators.calendar import CalendarRuleSpec, planned_stops
from scoring.indicators.intervals import Interval

HOUR = timedelta(hours=1)
US = 1_000_000
STATE_FIELD = {"RUN": "run_us", "IDLE": "idle_us", "DOWN": "down_us"}
STATE_FIELD |= {"PLANNED_STOP": "planned_stop_us", "OFF": "off_us", "UNKNOWN": "unknown_us"}
# Project default: a device that declared a heartbeat is unknown once it missed this many of them.
HEARTBEAT_MARGIN = 2


@dataclass(frozen=True, slots=True)
class DeviceSamples:
    """A device's samples for a window, including the last one before it (state and counters carry in)."""

    states: tuple[StateSample, ...]
    counters: tuple[CounterSample, ...]
    energy: tuple[EnergySample, ...]
    calendar: tuple[CalendarEntry, ...]
    reasons: tuple[DowntimeReason, ...]
    known: tuple[Interval, ...] | None = None  # report by exception: when the last state still holds
    heard: tuple[datetime, ...] = ()  # every message time read (inside, and the rows carried in)


@dataclass(frozen=True, slots=True)
class DeviceFigures:
    """Additive figures of one device over a window: time measures, counts, energy."""

    measures: TimeMeasures
    total_count: int
    good_count: int
    energy_kwh: Fraction
    performance_count: int | None = None  # parts performance counts (None: all, as in old roll-ups)


def floor_hour(moment: datetime) -> datetime:
    """The start of the hour holding `moment`."""
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    """The first hour start at or after `moment`."""
    floored = floor_hour(moment)
    return floored if floored == moment else floored + HOUR


def load_samples(
    *, session: Session, device: Device, window: Window, infer_dumb_states: bool = True
) -> DeviceSamples:
    """Samples in [start, end) plus the last state, counter and energy sample before start."""
    columns: tuple[Any, ...] = (Telemetry.ts, Telemetry.seq, Telemetry.state, Telemetry.count_total)
    columns += (Telemetry.count_good, Telemetry.energy_kwh, Telemetry.current_a)
    base = select(*columns).where(Telemetry.device_id == device.id)
    inside = session.exec(
        base.where(col(Telemetry.ts) >= window.start, col(Telemetry.ts) < window.end).order_by(
            col(Telemetry.ts), col(Telemetry.seq)
        )
    ).all()
    before: list[Any] = []
    for column in (Telemetry.state, Telemetry.count_total, Telemetry.energy_kwh):
        row = session.exec(
            base.where(col(Telemetry.ts) < window.start, col(column).is_not(None))
            .order_by(col(Telemetry.ts).desc(), col(Telemetry.seq).desc())
            .limit(1)
        ).first()
        if row is not None:
            before.append(row)
    rows = sorted({(r[0], r[1]): r for r in [*before, *inside]}.values(), key=lambda r: (r[0], r[1]))
    states = [StateSample(r[0], r[2]) for r in rows if r[2] is not None]
    if infer_dumb_states and not states and device.sensor != "full":
        states = _inferred_states(session, device, rows)
    counters = [
        CounterSample(r[0], r[1], r[3], r[4] if r[4] is not None else r[3]) for r in rows if r[3] is not None
    ]
    energy = [EnergySample(r[0], r[5]) for r in rows if r[5] is not None]
    known = known_for(session=session, device=device, window=window, heard=[r[0] for r in rows])
    return DeviceSamples(
        tuple(states),
        tuple(counters),
        tuple(energy),
        tuple(load_calendar(session=session, device=device, window=window)),
        tuple(load_reasons(session=session, device_id=_id(device), window=window)),
        None if known is None else tuple(known),
        tuple(r[0] for r in rows),
    )


def reports_by_exception(*, session: Session, device: Device) -> bool:
    """Whether the device's online state is known (presence history, Sparkplug) or it declared a heartbeat."""
    if device.heartbeat_s is not None:
        return True
    row = session.exec(
        select(DevicePresence.id).where(DevicePresence.device_id == device.id).limit(1)
    ).first()
    return row is not None


def online_periods(*, session: Session, device: Device, window: Window) -> list[Interval] | None:
    """When the device was online inside the window, from its presence history; None without any."""
    before = session.exec(
        select(DevicePresence)
        .where(DevicePresence.device_id == device.id, col(DevicePresence.ts) <= window.start)
        .order_by(col(DevicePresence.ts).desc(), col(DevicePresence.id).desc())
        .limit(1)
    ).first()
    inside = session.exec(
        select(DevicePresence)
        .where(
            DevicePresence.device_id == device.id,
            col(DevicePresence.ts) > window.start,
            col(DevicePresence.ts) < window.end,
        )
        .order_by(col(DevicePresence.ts), col(DevicePresence.id))
    ).all()
    if before is None and not inside:
        return None
    periods: list[Interval] = []
    since = window.start if before is not None and before.online else None
    for row in inside:
        if row.online and since is None:
            since = row.ts
        elif not row.online and since is not None:
            periods.append((since, row.ts))
            since = None
    if since is not None:
        periods.append((since, window.end))
    return periods


def known_for(
    *, session: Session, device: Device, window: Window, heard: Sequence[datetime]
) -> list[Interval] | None:
    """Report by exception: when the device's last state still holds (None: use the silence timeout)."""
    online = online_periods(session=session, device=device, window=window)
    if online is None and device.heartbeat_s is None:
        return None
    presence = session.exec(
        select(DevicePresence.ts).where(
            DevicePresence.device_id == device.id,
            col(DevicePresence.ts) >= window.start - timedelta(seconds=float(device.heartbeat_s or 0) * 2),
            col(DevicePresence.ts) < window.end,
        )
    ).all()
    return known_periods(
        [*heard, *presence], window, online=online, heartbeat_s=device.heartbeat_s, margin=HEARTBEAT_MARGIN
    )


def observed_window(*, session: Session, device: Device, window: Window) -> Window | None:
    """The part of the window the device was observed: from its registration or first reading (whichever
    is earlier), to the window's end or its retirement; None when it does not overlap the window."""
    first = session.exec(select(func.min(Telemetry.ts)).where(Telemetry.device_id == device.id)).one()
    return observed_of(device, first, window)


def _inferred_states(session: Session, device: Device, rows: Sequence[Any]) -> list[StateSample]:
    """A dumb device's states from its current clamp, by its stored state model (diagnose.services.shopfloor.state_models)."""
    from diagnose.services.shopfloor import state_models
    from scoring.ml.state_inference import infer_states

    current = [(r[0], float(r[6])) for r in rows if r[6] is not None]
    if not current:
        return []
    model = state_models.model_for(session=session, device=device)
    if model is None:
        return []
    inferred = infer_states(model, [value for _, value in current])
    return [StateSample(ts, state) for (ts, _), state in zip(current, inferred, strict=True)]


def load_calendar(*, session: Session, device: Device, window: Window) -> list[CalendarEntry]:
    """Planned stops of the device's enterprise (and of the device itself) overlapping the window."""
    rows = session.exec(
        select(ShiftCalendarEntry).where(
            ShiftCalendarEntry.enterprise_id == device.enterprise_id,
            or_(col(ShiftCalendarEntry.device_id).is_(None), col(ShiftCalendarEntry.device_id) == device.id),
            col(ShiftCalendarEntry.start) < window.end,
            col(ShiftCalendarEntry.end) > window.start,
        )
    ).all()
    entries = [CalendarEntry(r.start, r.end, r.kind, r.label) for r in rows]
    return entries + planned_stops(
        calendar_rules(session=session, enterprise_id=device.enterprise_id), window
    )


def calendar_rules(*, session: Session, enterprise_id: int) -> list[CalendarRuleSpec]:
    """The enterprise's production calendar (shifts, breaks, holidays) as the pure rule specs."""
    rows = session.exec(
        select(CalendarRule).where(CalendarRule.enterprise_id == enterprise_id).order_by(col(CalendarRule.id))
    ).all()
    return [CalendarRuleSpec(r.kind, r.weekday, r.day, r.start, r.end, r.label) for r in rows]


def load_reasons(*, session: Session, device_id: int, window: Window) -> list[DowntimeReason]:
    """The device's downtime reason codes overlapping the window, oldest first (first listed wins)."""
    rows = session.exec(
        select(DowntimeReasonEntry)
        .where(
            DowntimeReasonEntry.device_id == device_id,
            col(DowntimeReasonEntry.start) < window.end,
            col(DowntimeReasonEntry.end) > window.start,
        )
        .order_by(col(DowntimeReasonEntry.id))
    ).all()
    return [DowntimeReason(r.start, r.end, r.code, r.label) for r in rows]


def hour_totals_between(
    *, session: Session, device_id: int, start: datetime, end: datetime
) -> list[HourTotals]:
    """A device's stored roll-ups of the hours starting in [start, end), read as plain rows (no ORM objects:
    a month is 720 of them)."""
    table = DeviceHour.__table__  # type: ignore[attr-defined]
    rows = session.connection().execute(
        select(*table.c).where(
            table.c.device_id == device_id, table.c.hour_start >= start, table.c.hour_start < end
        )
    )
    return [hour_totals(row) for row in rows]


def hour_totals(row: Any) -> HourTotals:
    """A stored roll-up (a DeviceHour or a row of its columns) as the snapshot reads it: integer microseconds."""
    return HourTotals(
        hour_start=row.hour_start,
        run_us=row.run_us,
        idle_us=row.idle_us,
        down_us=row.down_us,
        planned_stop_us=row.planned_stop_us,
        off_us=row.off_us,
        unknown_us=row.unknown_us,
        planned_us=row.planned_us,
        count_total=row.count_total,
        count_good=row.count_good,
        energy_kwh=Fraction(row.energy_kwh) if row.energy_kwh not in ("", "0") else Fraction(0),  # exact text
        sample_count=row.sample_count,
        downtime_by_reason_us=dict(row.downtime_by_reason_us or {}),
        performance_count=row.performance_count,
        unknown_planned_us=row.unknown_planned_us,
        slot_us=row.slot_us,
        slots_heard=row.slots_heard,
    )


# The numeric columns of a roll-up in HourBlock's column order (scoring.indicators.atoms), with "not kept" as -1
# and a performance count not kept as the hour's total, as HourBlock holds them.
def _block_columns(table: Any) -> list[Any]:
    c = table.c
    return [
        c.run_us, c.idle_us, c.down_us, c.planned_stop_us, c.off_us, c.unknown_us, c.planned_us,
        func.coalesce(c.unknown_planned_us, -1), c.count_total, c.count_good,
        func.coalesce(c.performance_count, c.count_total), c.sample_count,
        func.coalesce(c.slot_us, -1), func.coalesce(c.slots_heard, -1),
    ]  # fmt: skip


def hour_blocks(
    *, session: Session, device_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, HourBlock]:
    """The stored roll-ups of these devices' hours starting in [start, end), as one column block a device, read
    in one statement: on PostgreSQL one row a device with its month of hours as arrays (no object, no JSON
    decoded, an hour), elsewhere one plain row an hour. Energy and reason codes, rare, are read only where set."""
    if not device_ids:
        return {}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _pg_hour_blocks(connection, device_ids, start, end)
    table = DeviceHour.__table__  # type: ignore[attr-defined]
    c = table.c
    inside = (c.device_id.in_(list(device_ids)), c.hour_start >= start, c.hour_start < end)
    columns = _block_columns(table)
    reasons_text = cast(c.downtime_by_reason_us, String)
    out: dict[int, HourBlock] = {}
    rows: dict[int, list[Any]] = {}
    statement = select(c.device_id, c.hour_start, c.energy_kwh, reasons_text, *columns).where(*inside)
    for row in connection.execute(statement.order_by(c.device_id, c.hour_start)):
        rows.setdefault(row[0], []).append(row)
    for device_id, hours in rows.items():
        stamps = [int(r[1].timestamp()) for r in hours]
        kept_energy = [(t, r[2]) for t, r in zip(stamps, hours, strict=True) if r[2] not in ("", "0")]
        kept_reasons = [
            (t, r[3]) for t, r in zip(stamps, hours, strict=True) if r[3] not in (None, "{}", "null")
        ]
        out[device_id] = _block(
            np.array(stamps, dtype=np.int64) * US,
            np.array([r[4:] for r in hours], dtype=np.int64),
            [t for t, _ in kept_energy],
            [e for _, e in kept_energy],
            [t for t, _ in kept_reasons],
            [x for _, x in kept_reasons],
        )
    return out


# One row a device, its hours packed as big-endian int64 (the hour start in epoch seconds, then the numeric
# columns), decoded by numpy in one call: no per-hour Python object, and for PostgreSQL about half the work of
# building arrays. Energy and reason codes are read only for the hours that have them: a reason map holding
# only UNSPECIFIED claims nothing (as `aggregate_atom` reads it), so it is left out.
_PG_COLUMNS = (
    "CAST(extract(epoch FROM hour_start) AS bigint)",
    "run_us", "idle_us", "down_us", "planned_stop_us", "off_us", "unknown_us", "planned_us",
    "coalesce(unknown_planned_us, -1)", "count_total", "count_good", "coalesce(performance_count, count_total)",
    "CAST(sample_count AS bigint)", "coalesce(slot_us, -1)", "CAST(coalesce(slots_heard, -1) AS bigint)",
)  # fmt: skip
_PG_BLOCKS = """
SELECT device_id,
       string_agg({packed}, CAST('' AS bytea) ORDER BY hour_start),
       array_agg(CAST(extract(epoch FROM hour_start) AS bigint) ORDER BY hour_start) FILTER (WHERE {energy}),
       array_agg(energy_kwh ORDER BY hour_start) FILTER (WHERE {energy}),
       array_agg(CAST(extract(epoch FROM hour_start) AS bigint) ORDER BY hour_start) FILTER (WHERE {reasons}),
       array_agg(CAST(downtime_by_reason_us AS text) ORDER BY hour_start) FILTER (WHERE {reasons})
FROM devicehour
WHERE device_id = ANY(%s) AND hour_start >= %s AND hour_start < %s
GROUP BY device_id
""".format(
    packed=" || ".join(f"int8send({column})" for column in _PG_COLUMNS),
    energy="energy_kwh NOT IN ('', '0')",
    # Left out without parsing it: no map, an empty one, or one key UNSPECIFIED and its number (json.dumps's
    # own spacing; a map written otherwise is read, and gives the same atoms).
    reasons="downtime_by_reason_us IS NOT NULL AND CAST(downtime_by_reason_us AS text) NOT IN ('{}', 'null') "
    "AND (CAST(downtime_by_reason_us AS text) NOT LIKE '{\"UNSPECIFIED\": %%' "
    "OR CAST(downtime_by_reason_us AS text) LIKE '%%,%%')",
)


def _pg_hour_blocks(
    connection: Any, device_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, HourBlock]:
    raw = connection.connection.driver_connection
    with raw.cursor(binary=True) as cursor:
        cursor.execute(_PG_BLOCKS, (list(device_ids), start, end))
        rows = cursor.fetchall()
    out: dict[int, HourBlock] = {}
    for device_id, packed, energy_at, energy, reasons_at, reasons in rows:
        table = np.frombuffer(packed, dtype=">i8").reshape(-1, len(_PG_COLUMNS)).astype(np.int64)
        out[device_id] = _block(
            table[:, 0] * US, np.ascontiguousarray(table[:, 1:]), energy_at, energy, reasons_at, reasons
        )
    return out


def _block(
    hour_us: Any, values: Any, energy_at: Any, energy: Any, reasons_at: Any, reasons: Any
) -> HourBlock:
    row = {int(us): i for i, us in enumerate(hour_us.tolist())}
    return HourBlock(
        hour_us=hour_us,
        values=values.reshape(len(hour_us), BLOCK_COLUMNS),
        energy_kwh={row[t * US]: Fraction(e) for t, e in zip(energy_at or (), energy or (), strict=True)},
        reasons_us={row[t * US]: json.loads(x) for t, x in zip(reasons_at or (), reasons or (), strict=True)},
    )


def first_readings(
    *, session: Session, device_ids: Sequence[int], since: datetime | None = None
) -> dict[int, datetime | None]:
    """Each device's oldest raw sample kept, in one statement. With `since`, a device that has a sample older
    than it gets `since` instead: all a snapshot from `since` on needs to know (its observed period starts at
    `since` either way, and no hour from `since` on ends before it), and it lets PostgreSQL probe only the
    window's day partitions for the oldest sample in it and stop at the first older one it finds, rather than
    probe every day partition of the retention for each device."""
    if not device_ids:
        return {}
    t = Telemetry.__table__  # type: ignore[attr-defined]
    d = Device.__table__  # type: ignore[attr-defined]
    if since is None:
        oldest = select(func.min(t.c.ts)).where(t.c.device_id == d.c.id).scalar_subquery()
        rows = session.connection().execute(select(d.c.id, oldest).where(d.c.id.in_(list(device_ids))))
        return {device_id: first for device_id, first in rows}
    inside = select(func.min(t.c.ts)).where(t.c.device_id == d.c.id, t.c.ts >= since).scalar_subquery()
    older = exists().where(t.c.device_id == d.c.id, t.c.ts < since)
    rows = session.connection().execute(select(d.c.id, inside, older).where(d.c.id.in_(list(device_ids))))
    return {device_id: since if before else first for device_id, first, before in rows}


def with_presence(*, session: Session, device_ids: Sequence[int]) -> set[int]:
    """The devices that have any presence history."""
    if not device_ids:
        return set()
    rows = session.exec(
        select(DevicePresence.device_id).where(col(DevicePresence.device_id).in_(list(device_ids))).distinct()
    ).all()
    return set(rows)


def observed_of(device: Device, first: datetime | None, window: Window) -> Window | None:
    """`observed_window` given the device's first reading."""
    begin = min(device.created_at, first) if first is not None else device.created_at
    start = max(window.start, begin)
    end = min(window.end, device.retired_at) if device.retired_at is not None else window.end
    return Window(start, end) if end > start else None


def device_oee(
    *, session: Session, device: Device, window: Window, silence_timeout_s: float, use_rollups: bool = True
) -> OeeResult:
    """OEE of one device over exactly this window through the database: the evidence snapshot's own
    computation (stored roll-ups for the complete hours the calendar plans wholly or not at all, raw samples
    for the rest; `use_rollups=False` reads raw samples only)."""
    from diagnose.services.diagnosis import evidence_snapshot
    from scoring.indicators.snapshot import device_oee as pure_device_oee

    rules = tuple(calendar_rules(session=session, enterprise_id=device.enterprise_id))
    inputs = evidence_snapshot.device_input(
        session=session,
        device=device,
        window=window,
        rules=rules,
        use_rollups=use_rollups,
        observed=window,
        silence_timeout_s=silence_timeout_s,
    )
    return pure_device_oee(inputs, rules, silence_timeout_s=silence_timeout_s)


def enterprise_devices(*, session: Session, enterprise_id: int) -> list[Device]:
    """The enterprise's registered devices (pending ones excluded; retired ones count up to retirement)."""
    statement = select(Device).where(
        Device.enterprise_id == enterprise_id, col(Device.registry_status) != "pending"
    )
    devices = session.exec(statement.order_by(col(Device.external_id))).all()
    return [d for d in devices if d.registry_status != "retired" or d.retired_at is not None]


def _id(device: Device) -> int:
    assert device.id is not None
    return device.id
