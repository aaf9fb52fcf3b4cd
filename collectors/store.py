"""Storing what the collector parsed: telemetry (idempotent on device+seq), births, deaths, dead letters."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import String, and_, bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col, func, select, update

from collectors.models import DeviceBirth, DeviceDeath, DeviceStatus, Parsed, Reading, Rejected
from collectors.text import storable
from diagnose import topics
from diagnose.models import DeadLetter, DeadLetterCount, Device, DevicePresence, Enterprise, Telemetry
from diagnose.models.base import UTCDateTime, utcnow

SYSTEM_ACTOR = "system:collector"
DEFAULT_PENDING_PER_HOUR = 50


@dataclass(frozen=True, slots=True)
class DeadLetterPolicy:
    """How much of what devices send wrong is kept (the settings `DIAGNOSE_DEAD_LETTER_*`).

    A payload longer than `max_bytes` is kept cut, with its length and SHA-256. A device keeps at most
    `per_device_hour` dead letters an hour, and an enterprise `enterprise_bytes_day` payload bytes in 24
    hours; beyond either, a dead letter is only counted (`deadlettercount`), never stored.
    """

    max_bytes: int = 8_192
    per_device_hour: int = 3_600
    enterprise_bytes_day: int = 64 * 1024 * 1024


DEFAULT_DEAD_LETTER_POLICY = DeadLetterPolicy()


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message as received: raw topic and bytes, and what the parser made of them."""

    topic: str
    payload: bytes
    parsed: Parsed


@dataclass(slots=True)
class StoreReport:
    """What one batch did."""

    offered: int = 0
    inserted: int = 0
    dead_lettered: int = 0  # dead letters of this batch: kept ones and those only counted beyond the caps
    dead_letters_dropped: int = 0  # of which only counted
    births: int = 0
    deaths: int = 0
    pending_registered: list[tuple[str, str]] = field(default_factory=list)


# The telemetry columns in the order of `_row`'s tuples.
TELEMETRY_COLUMNS = (
    "device_id",
    "seq",
    "ts",
    "received_at",
    "source",
    "state",
    "count_total",
    "count_good",
    "power_kw",
    "energy_kwh",
    "current_a",
    "metrics",
    "is_historical",
)


@lru_cache(maxsize=4)
def _insert_sql(dialect: str) -> str:
    """The telemetry INSERT in the driver's own parameter style, ON CONFLICT on the unique key (which holds
    the partition key ts): a redelivery is skipped, and the driver's row count says how many went in."""
    mark = "?" if dialect == "sqlite" else "%s"
    table = Telemetry.__tablename__
    return (
        f"INSERT INTO {table} ({', '.join(TELEMETRY_COLUMNS)}) VALUES ({', '.join([mark] * len(TELEMETRY_COLUMNS))}) "
        "ON CONFLICT (device_id, seq, ts) DO NOTHING"
    )


def _same(value: Any) -> Any:
    return value


@lru_cache(maxsize=8)
def _binders(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The conversions SQLAlchemy itself applies to telemetry's timestamps (`UTCDateTime`) and metrics (JSON)
    on this dialect, fetched once: the rows skip Core's per-row, per-column bind processing, not its rules."""
    table = Telemetry.__table__  # type: ignore[attr-defined]

    def of(column: str) -> Callable[[Any], Any]:
        return table.c[column].type.dialect_impl(dialect).bind_processor(dialect) or _same

    return of("ts"), of("metrics")


_DEVICE = Device.__table__  # type: ignore[attr-defined]
# One prepared statement for every device of a batch (executemany), built once, not once per device.
_TOUCH_DEVICE = (
    update(_DEVICE)
    .where(_DEVICE.c.id == bindparam("b_id"))
    .where(
        _DEVICE.c.last_seen_at.is_(None) | (_DEVICE.c.last_seen_at <= bindparam("b_ts", type_=UTCDateTime))
    )
    .values(
        last_seen_at=bindparam("b_seen", type_=UTCDateTime),
        online=True,
        last_state=func.coalesce(bindparam("b_state", type_=String), _DEVICE.c.last_state),
    )
)


def store_batch(
    *,
    session: Session,
    items: Sequence[Incoming],
    device_ids: dict[tuple[str, str], int],
    pending_per_hour: int = DEFAULT_PENDING_PER_HOUR,
    dead_letters: DeadLetterPolicy = DEFAULT_DEAD_LETTER_POLICY,
) -> StoreReport:
    """Store a batch in the session's transaction; the caller commits, then acknowledges the messages.

    `device_ids` is the caller's (USCC, external id) → row id cache; it is filled in as devices appear.
    Unknown devices register as pending, at most `pending_per_hour` per enterprise per hour; beyond
    that their messages are dead-lettered with that reason (a flood of made-up ids stays bounded).
    Dead letters are kept within `dead_letters`' bounds, and counted per device and hour.
    """
    report = StoreReport(offered=len(items))
    caps = _PendingCap(pending_per_hour)
    letters = _DeadLetters(dead_letters)
    rows: list[tuple[int, Reading]] = []
    received_at = utcnow()  # when this batch reached the store (one clock read, not one per row)
    latest: dict[int, Reading] = {}
    for item in items:
        parsed = item.parsed
        if isinstance(parsed, Rejected):
            letters.add(item, parsed.reason)
        elif isinstance(parsed, Reading):
            device_id = _resolve(session, device_ids, parsed.uscc, parsed.device_id)
            if device_id is None:
                reason = (
                    _node_reason(parsed)
                    if parsed.node_metrics
                    else _unknown_reason(session, device_ids, parsed, report, caps)
                )
                # A Sparkplug DATA cannot be decoded again without the birth it came under (aliases,
                # seq), nor a profiled one without its profile (which may change, and may take the time
                # of arrival): the reading is held decoded beside the raw bytes, for the replay on
                # confirmation (a gateway's message holds one dead letter per unknown device).
                held = reading_to_json(parsed) if parsed.source == "sparkplug" or parsed.profile else None
                letters.add(item, reason, held=held)
                continue
            rows.append((device_id, parsed))
            if not parsed.is_historical and (device_id not in latest or latest[device_id].ts <= parsed.ts):
                latest[device_id] = parsed
        elif isinstance(parsed, DeviceBirth):
            refused = _apply_birth(session, device_ids, parsed, report, caps)
            if refused is None:
                report.births += 1
            else:
                letters.add(item, refused)
        elif isinstance(parsed, DeviceDeath):
            report.deaths += _apply_death(session, device_ids, parsed)
        elif isinstance(parsed, DeviceStatus) and not _apply_status(session, device_ids, parsed, received_at):
            letters.add(item, f"unknown device {parsed.device_id} of {parsed.uscc}: status ignored")
    if rows:
        connection = session.connection()
        dialect = connection.dialect.name
        # The rows go to the driver's executemany as tuples, converted by the columns' own bind processors:
        # Core's per-row, per-column bind processing was a quarter of the collector's CPU. ON CONFLICT DO
        # NOTHING skips redeliveries and the driver's row count (sqlite3 and psycopg sum it over the rows)
        # counts only the rows that went in, so duplicates are counted exactly.
        convert, as_json = _binders(connection.dialect)
        received = convert(received_at)
        no_metrics = as_json(None)  # what the JSON column is given for a reading without extras: once a batch
        params = [
            (
                device_id,
                reading.seq,
                convert(reading.ts),
                received,
                reading.source,
                reading.state,
                reading.count_total,
                reading.count_good,
                reading.power_kw,
                reading.energy_kwh,
                reading.current_a,
                as_json({**reading.metrics, **reading.attributes})
                if reading.metrics or reading.attributes
                else no_metrics,
                reading.is_historical,
            )
            for device_id, reading in rows
        ]
        result = connection.exec_driver_sql(_insert_sql(dialect), params)
        report.inserted = result.rowcount
    if latest:
        now = utcnow()
        session.connection().execute(
            _TOUCH_DEVICE,
            [
                {
                    "b_id": device_id,
                    "b_ts": reading.ts,
                    "b_seen": min(reading.ts, now),
                    "b_state": reading.state,
                }
                for device_id, reading in latest.items()
            ],
        )
    report.dead_lettered, report.dead_letters_dropped = letters.flush(session, received_at)
    return report


def resolve_device(*, session: Session, uscc: str, external_id: str) -> int | None:
    """Row id of an active (not pending) device, or None."""
    return _resolve(session, {}, uscc, external_id)


def _resolve(session: Session, cache: dict[tuple[str, str], int], uscc: str, external_id: str) -> int | None:
    key = (uscc, external_id)
    if key in cache:
        return cache[key]
    row = session.exec(
        select(Device.id, Device.registry_status)
        .join(Enterprise)
        .where(Enterprise.uscc == uscc, Device.external_id == external_id)
    ).first()
    if row is None or row[1] == "pending":
        return None
    cache[key] = int(row[0])  # type: ignore[arg-type]
    return cache[key]


@dataclass(slots=True)
class _PendingCap:
    """Pending registrations per enterprise in the last hour, counted once per batch per enterprise."""

    per_hour: int
    counts: dict[int, int] = field(default_factory=dict)

    def take(self, session: Session, enterprise_id: int) -> bool:
        """Whether one more pending device may be registered for this enterprise (and count it)."""
        if enterprise_id not in self.counts:
            since = utcnow() - timedelta(hours=1)
            self.counts[enterprise_id] = session.exec(
                select(func.count())
                .select_from(Device)
                .where(
                    Device.enterprise_id == enterprise_id,
                    Device.registry_status == "pending",
                    col(Device.created_at) >= since,
                )
            ).one()
        if self.counts[enterprise_id] >= self.per_hour:
            return False
        self.counts[enterprise_id] += 1
        return True

    def reason(self, uscc: str, external_id: str) -> str:
        """The dead letter's reason when the cap is reached."""
        return (
            f"pending device cap reached: enterprise {uscc} registered {self.per_hour} pending devices "
            f"in the last hour; {external_id[:64]} not registered (confirm or raise DIAGNOSE_PENDING_DEVICES_PER_HOUR)"
        )


def _node_reason(reading: Reading) -> str:
    return (
        f"node metrics of Sparkplug edge node {reading.device_id} ({reading.uscc}): stored only when the "
        "edge node is registered as a device; not registered as a pending device"
    )


def _unknown_reason(
    session: Session,
    cache: dict[tuple[str, str], int],
    reading: Reading,
    report: StoreReport,
    caps: _PendingCap,
) -> str:
    enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == reading.uscc)).first()
    if enterprise is None:
        return f"unknown enterprise {reading.uscc}"
    existing = session.exec(
        select(Device).where(Device.enterprise_id == enterprise.id, Device.external_id == reading.device_id)
    ).first()
    if existing is None:
        if not caps.take(session, enterprise.id):  # type: ignore[arg-type]
            return caps.reason(reading.uscc, reading.device_id)
        session.add(
            Device(
                enterprise_id=enterprise.id,  # type: ignore[arg-type]
                external_id=reading.device_id,
                name=reading.device_id,
                registry_status="pending",
                protocol=reading.source,
                last_seen_at=reading.ts,
            )
        )
        session.flush()
        report.pending_registered.append((reading.uscc, reading.device_id))
    return f"unknown device {reading.device_id}: registered as pending, replayed once confirmed"


def _apply_birth(
    session: Session,
    cache: dict[tuple[str, str], int],
    birth: DeviceBirth,
    report: StoreReport,
    caps: _PendingCap,
) -> str | None:
    """Apply a birth; the reason it was refused, or None."""
    enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == birth.uscc)).first()
    if enterprise is None:
        return f"unknown enterprise {birth.uscc}"
    device = session.exec(
        select(Device).where(Device.enterprise_id == enterprise.id, Device.external_id == birth.device_id)
    ).first()
    if device is None:
        if not caps.take(session, enterprise.id):  # type: ignore[arg-type]
            return caps.reason(birth.uscc, birth.device_id)
        device = Device(
            enterprise_id=enterprise.id,  # type: ignore[arg-type]
            external_id=birth.device_id,
            name=birth.device_id,
            registry_status="pending",
            protocol=birth.source,
        )
        report.pending_registered.append((birth.uscc, birth.device_id))
    if birth.kind:
        # What the birth reports is shown beside the kind the provider entered, never over it.
        device.birth_kind = birth.kind[:64]
        if not device.kind:
            device.kind = birth.kind[:64]
    if birth.model:
        device.model = birth.model
    if birth.ideal_cycle_s is not None:
        device.ideal_cycle_s = birth.ideal_cycle_s
    if birth.edge_node is not None:
        device.edge_node = birth.edge_node
    if birth.heartbeat_s is not None:
        device.heartbeat_s = birth.heartbeat_s
    if birth.sample_interval_s is not None:
        device.sample_interval_s = birth.sample_interval_s
    device.online = True
    session.add(device)
    session.flush()
    # A birth starts an online period. A JSON birth is retained and so redelivered on every collector
    # reconnect: only one that carries its own "ts" says when (a redelivery repeats that moment); a
    # Sparkplug DBIRTH is never retained, so its arrival is the moment.
    if birth.ts is not None or birth.source == "sparkplug":
        moment = birth.ts or utcnow()
        session.add(DevicePresence(device_id=device.id, ts=moment, online=True, source="birth"))  # type: ignore[arg-type]
    return None


def _apply_status(
    session: Session, cache: dict[tuple[str, str], int], status: DeviceStatus, received_at: datetime
) -> bool:
    """Record a JSON device's online/offline status (its MQTT will sets offline); False if unknown."""
    row = session.exec(
        select(Device.id)
        .join(Enterprise)
        .where(Enterprise.uscc == status.uscc, Device.external_id == status.device_id)
    ).first()
    if row is None:
        return False
    session.add(
        DevicePresence(device_id=int(row), ts=status.ts or received_at, online=status.online, source="status")
    )
    session.execute(update(Device).where(col(Device.id) == int(row)).values(online=status.online))
    return True


def _apply_death(session: Session, cache: dict[tuple[str, str], int], death: DeviceDeath) -> int:
    statement = select(Device.id).where(
        Device.enterprise_id == select(Enterprise.id).where(Enterprise.uscc == death.uscc).scalar_subquery()
    )
    if death.device_id is not None:
        statement = statement.where(Device.external_id == death.device_id)
    else:
        # An NDEATH kills its edge node's devices (recorded from their DBIRTH, whatever protocol the
        # registry was given for them). A Sparkplug device whose edge node is not known (born before it
        # was recorded) is marked too: it may be one.
        unknown_edge = and_(col(Device.protocol) == "sparkplug", col(Device.edge_node).is_(None))
        if death.edge_node is not None:
            statement = statement.where((col(Device.edge_node) == death.edge_node) | unknown_edge)
        else:
            statement = statement.where(Device.protocol == "sparkplug")
    ids = [int(i) for i in session.exec(statement).all() if i is not None]
    if not ids:
        return 0
    session.execute(update(Device).where(col(Device.id).in_(ids)).values(online=False))
    for device_id in ids:
        session.add(DevicePresence(device_id=device_id, ts=death.ts, online=False, source="death"))
    return len(ids)


def dead_letter_key(topic: str) -> tuple[str, str]:
    """(scope, device) a dead letter is counted under: `plant/{scope}/{device}/…`,
    `spBv1.0/{scope}/{type}/{edge}[/{device}]` (the edge node when no device); ("", "") for other topics."""
    scope, device = topics.scope_and_device(topic)
    return storable(scope, 64), storable(device, 64)


@dataclass(slots=True)
class _Count:
    kept: int = 0
    dropped: int = 0
    kept_bytes: int = 0
    received_bytes: int = 0
    last_reason: str = ""


class _DeadLetters:
    """The dead letters of one batch: kept within the policy's bounds at flush, and counted per device-hour."""

    def __init__(self, policy: DeadLetterPolicy) -> None:
        self.policy = policy
        self.pending: list[tuple[Incoming, str, dict[str, Any] | None]] = []

    def add(self, item: Incoming, reason: str, *, held: dict[str, Any] | None = None) -> None:
        """A dead letter for this message (one per call)."""
        self.pending.append((item, reason, held))

    def flush(self, session: Session, now: datetime) -> tuple[int, int]:
        """Write the kept letters and add to the counters; (dead letters, of which only counted)."""
        if not self.pending:
            return 0, 0
        hour = now.replace(minute=0, second=0, microsecond=0)
        keyed = [(dead_letter_key(item.topic), item, reason, held) for item, reason, held in self.pending]
        device_kept, scope_bytes = self._usage(session, {key[0] for key, *_ in keyed}, hour)
        counts: dict[tuple[str, str], _Count] = {}
        rows: list[dict[str, object]] = []
        for key, item, reason, held in keyed:
            payload = item.payload
            kept_payload = payload[: self.policy.max_bytes]
            count = counts.setdefault(key, _Count())
            count.received_bytes += len(payload)
            count.last_reason = reason
            if (
                device_kept.get(key, 0) >= self.policy.per_device_hour
                or scope_bytes.get(key[0], 0) + len(kept_payload) > self.policy.enterprise_bytes_day
            ):
                count.dropped += 1
                continue
            device_kept[key] = device_kept.get(key, 0) + 1
            scope_bytes[key[0]] = scope_bytes.get(key[0], 0) + len(kept_payload)
            count.kept += 1
            count.kept_bytes += len(kept_payload)
            rows.append(
                {
                    "received_at": now,
                    # The collector's own text about the message: NUL and lone surrogates written as escapes.
                    "topic": storable(item.topic, 512),
                    "payload": kept_payload,
                    "reason": storable(reason, 512),
                    "held": held,
                    "replayed_at": None,
                    "payload_size": len(payload),
                    "payload_sha256": hashlib.sha256(payload).hexdigest(),
                }
            )
        connection = session.connection()
        if rows:
            connection.execute(insert(DeadLetter.__table__), rows)  # type: ignore[attr-defined]
        self._add_counts(session, hour, now, counts)
        return len(keyed), sum(c.dropped for c in counts.values())

    @staticmethod
    def _usage(
        session: Session, scopes: set[str], hour: datetime
    ) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """Dead letters kept this hour per (scope, device), and payload bytes kept in the last 24 h per scope."""
        rows = session.exec(
            select(  # type: ignore[call-overload]
                DeadLetterCount.scope,
                DeadLetterCount.device,
                DeadLetterCount.window_start,
                DeadLetterCount.kept,
                DeadLetterCount.kept_bytes,
            ).where(
                col(DeadLetterCount.scope).in_(sorted(scopes)),
                col(DeadLetterCount.window_start) > hour - timedelta(hours=24),
            )
        ).all()
        device_kept: dict[tuple[str, str], int] = {}
        scope_bytes: dict[str, int] = {}
        for scope, device, window_start, kept, kept_bytes in rows:
            if window_start == hour:
                device_kept[(scope, device)] = kept
            scope_bytes[scope] = scope_bytes.get(scope, 0) + kept_bytes
        return device_kept, scope_bytes

    @staticmethod
    def _add_counts(
        session: Session, hour: datetime, now: datetime, counts: dict[tuple[str, str], _Count]
    ) -> None:
        table = DeadLetterCount.__table__  # type: ignore[attr-defined]
        module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        values = [
            {
                "scope": scope,
                "device": device,
                "window_start": hour,
                "kept": count.kept,
                "dropped": count.dropped,
                "kept_bytes": count.kept_bytes,
                "received_bytes": count.received_bytes,
                "last_reason": storable(count.last_reason, 512),
                "last_at": now,
            }
            for (scope, device), count in sorted(
                counts.items()
            )  # one order: concurrent upserts never deadlock
        ]
        statement = module.insert(table).values(values)
        added = statement.excluded
        session.connection().execute(
            statement.on_conflict_do_update(
                index_elements=["scope", "device", "window_start"],
                set_={
                    "kept": table.c.kept + added.kept,
                    "dropped": table.c.dropped + added.dropped,
                    "kept_bytes": table.c.kept_bytes + added.kept_bytes,
                    "received_bytes": table.c.received_bytes + added.received_bytes,
                    "last_reason": added.last_reason,
                    "last_at": added.last_at,
                },
            )
        )


def reading_to_json(reading: Reading) -> dict[str, Any]:
    """A decoded reading as JSON, to hold it in a dead letter until its device is confirmed."""
    values = asdict(reading)
    values["ts"] = reading.ts.isoformat()
    return values


def reading_from_json(values: dict[str, Any]) -> Reading:
    """The reading `reading_to_json` held."""
    return Reading(
        **{
            **values,
            "ts": datetime.fromisoformat(values["ts"]),
            "metrics": dict(values["metrics"]),
            "attributes": dict(values.get("attributes") or {}),
        }
    )


def last_seen_counts(*, session: Session, since: datetime) -> int:
    """How many devices reported at or after `since`."""
    return len(session.exec(select(Device.id).where(Device.last_seen_at >= since)).all())  # type: ignore[operator]
