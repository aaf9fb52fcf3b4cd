"""Pure Sparkplug B 3.0 host application: (topic, payload, now) in, parsed records and commands out."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]

from collectors.models import DEVICE_STATES, DeviceBirth, DeviceDeath, Parsed, Reading, Rejected
from collectors.sparkplug import sparkplug_b_pb2 as pb
from collectors.sparkplug.codec import (
    BD_SEQ,
    MetricValue,
    PayloadDecodeError,
    decode_payload,
    metric_value,
    rebirth_request_payload,
    structured_value,
)
from collectors.sparkplug.topics import SparkplugTopic, StateTopic, TopicError, parse_topic
from collectors.text import name_problem
from diagnose.services.shopfloor.broker_accounts import DEVICE_ID_RE  # the JSON topics' rule: one grammar
from scoring.uscc import is_valid_uscc, validate_uscc

FLOAT_FIELDS = ("power_kw", "energy_kwh", "current_a")
COUNTER_FIELDS = ("count_total", "count_good")
BIRTH_FIELDS = ("kind", "model", "ideal_cycle_s")
MODELLED_FIELDS = frozenset((*FLOAT_FIELDS, *COUNTER_FIELDS, "state", "ideal_cycle_s"))
CONTROL_PREFIXES = ("Node Control/", "Device Control/", "Properties/")
MAX_EXTRA_METRICS = 64
MAX_ATTRIBUTE_CHARS = 16_384  # one text attribute (a DataSet or Template as JSON text included)
MAX_NAME_CHARS = 64  # names stored (metric names, kind, model, edge node) are VARCHAR(64) or JSON keys
# Project default: an integer "state" metric is the index into collectors.models.DEVICE_STATES
# (0 RUN, 1 IDLE, 2 DOWN, 3 PLANNED_STOP, 4 OFF); the simulator encodes it the same way.
STATE_CODES = dict(enumerate(DEVICE_STATES))
SEQ_MODULUS = 256  # spec 3.0 §7.1: seq runs 0-255 per edge node and wraps to 0
MIN_EPOCH_MS, MAX_EPOCH_MS = 946_684_800_000, 4_102_444_800_000  # 2000-01-01 .. 2100-01-01
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_CACHED_EDGES = 65_536
# A plant has a few thousand topics: each is split and checked once, not per message (a bad one raises, so is
# never cached; SparkplugTopic is frozen, so one instance may be shared).
_parse_topic = lru_cache(maxsize=1 << 16)(parse_topic)


@lru_cache(maxsize=1 << 16)
def _usable_device_id(device_id: str) -> bool:
    """The JSON topics' device id grammar, checked once per device id (a topic's device id recurs)."""
    return DEVICE_ID_RE.fullmatch(device_id) is not None


@dataclass(frozen=True, slots=True)
class Command:
    """A message the host asks its MQTT client to publish (spec §6.4: NCMD is QoS 0, not retained)."""

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False


@dataclass(frozen=True, slots=True)
class HostResult:
    """What one incoming message produced: records for the writer and commands for the client."""

    parsed: tuple[Parsed, ...] = ()
    commands: tuple[Command, ...] = ()


@dataclass(slots=True)
class _Device:
    aliases: dict[int, str]
    online: bool = True


@dataclass(slots=True)
class _Node:
    uscc: str
    bd_seq: int | None = None
    seq: int = 0
    online: bool = False
    rebirth_pending: bool = False
    rebirth_sent_at: datetime | None = None
    aliases: dict[int, str] = field(default_factory=dict)
    devices: dict[str, _Device] = field(default_factory=dict)


class _Reject(Exception):
    def __init__(self, reason: str, commands: tuple[Command, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.commands = commands


class SparkplugHost:
    """Tracks every edge node's birth, seq, aliases and devices; never raises on a message."""

    def __init__(
        self,
        enterprise_map: Mapping[str, str] | None = None,
        *,
        rebirth_retry_s: float = 30.0,
        max_payload_bytes: int = 262_144,
    ) -> None:
        """`enterprise_map` keys are "group" or "group/edge"; values are USCCs (checked here)."""
        self._enterprise_map = {key: validate_uscc(code) for key, code in (enterprise_map or {}).items()}
        self._rebirth_retry = timedelta(seconds=rebirth_retry_s)
        self._max_payload_bytes = max_payload_bytes
        self._nodes: dict[tuple[str, str], _Node] = {}
        # (group, edge) → USCC: the map lookup and the USCC check character were a tenth of the host's time
        # per message. Only found ones are kept (a refusal raises), and edge nodes are few.
        self._enterprises: dict[tuple[str, str], str] = {}
        self._handlers = {  # by message type: built once, not once per message
            "NBIRTH": self._nbirth,
            "NDEATH": self._ndeath,
            "DBIRTH": self._dbirth,
            "NDATA": self._data,
            "DDATA": self._data,
            "DDEATH": self._ddeath,
        }

    def handle(self, topic: str, payload: bytes, now: datetime) -> HostResult:
        """Process one message; anything unusable comes back as a Rejected with the reason."""
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        try:
            return self._handle(topic, payload, now)
        except _Reject as exc:
            return HostResult(
                (Rejected(topic=topic, payload=payload, reason=exc.reason[:500]),), exc.commands
            )
        except Exception as exc:  # a host bug must not kill the collector: dead-letter the message instead
            reason = f"sparkplug host error: {type(exc).__name__}: {exc}"[:500]
            return HostResult((Rejected(topic=str(topic), payload=bytes(payload), reason=reason),))

    def is_online(self, group_id: str, edge_node_id: str, device_id: str | None = None) -> bool:
        """Whether the edge node (or one of its devices) is currently born and not dead."""
        node = self._nodes.get((group_id, edge_node_id))
        if node is None or not node.online:
            return False
        if device_id is None:
            return True
        device = node.devices.get(device_id)
        return device is not None and device.online

    def _handle(self, topic: str, payload: bytes, now: datetime) -> HostResult:
        if len(payload) > self._max_payload_bytes:
            raise _Reject(f"payload too large: {len(payload)} bytes > {self._max_payload_bytes}")
        try:
            parsed_topic = _parse_topic(topic)
        except TopicError as exc:
            raise _Reject(str(exc)) from exc
        if isinstance(parsed_topic, StateTopic) or parsed_topic.message_type in ("NCMD", "DCMD"):
            return HostResult()  # other hosts' STATE and commands to edge nodes: not telemetry, not errors
        uscc = self._enterprise(parsed_topic.group_id, parsed_topic.edge_node_id)
        if parsed_topic.device_id is not None and not _usable_device_id(parsed_topic.device_id):
            raise _Reject(f"device id {parsed_topic.device_id[:80]!r} must be 1-64 of A-Z a-z 0-9 _ . : -")
        try:
            message = decode_payload(payload)
        except PayloadDecodeError as exc:
            raise _Reject(str(exc)) from exc
        for metric in message.metrics:
            if not isinstance(metric.name, str):  # proto2 strings arrive as bytes when not valid UTF-8
                raise _Reject(f"metric name {bytes(metric.name)[:40]!r} is not valid UTF-8")
        handler = self._handlers[parsed_topic.message_type]
        return HostResult(tuple(handler(parsed_topic, uscc, message, now)))

    def _enterprise(self, group_id: str, edge_node_id: str) -> str:
        known = self._enterprises.get((group_id, edge_node_id))
        if known is not None:
            return known
        if len(self._enterprises) >= MAX_CACHED_EDGES:
            self._enterprises.clear()
        found = self._enterprises[(group_id, edge_node_id)] = self._find_enterprise(group_id, edge_node_id)
        return found

    def _find_enterprise(self, group_id: str, edge_node_id: str) -> str:
        mapped = self._enterprise_map.get(f"{group_id}/{edge_node_id}") or self._enterprise_map.get(group_id)
        if mapped is not None:
            return mapped
        if is_valid_uscc(group_id):
            return group_id
        raise _Reject(
            f"no enterprise for Sparkplug group {group_id[:60]!r} / edge {edge_node_id[:60]!r}: "
            "the group id is not a valid unified social credit code and enterprise_map has no entry"
        )

    def _nbirth(self, topic: SparkplugTopic, uscc: str, message: pb.Payload, now: datetime) -> list[Parsed]:
        # §7.1: NBIRTH carries bdSeq (to match the later NDEATH) and starts the seq count.
        bd_seq = _bd_seq(message, "NBIRTH")
        if not message.HasField("seq") or message.seq >= SEQ_MODULUS:
            raise _Reject("NBIRTH needs a seq in 0-255")
        aliases = _alias_table(message.metrics)
        node = _Node(uscc=uscc, bd_seq=bd_seq, seq=message.seq, online=True, aliases=aliases)
        self._nodes[(topic.group_id, topic.edge_node_id)] = node
        named = [(m.name, m) for m in message.metrics if m.name and not _is_control(m.name)]
        if not named:
            return []  # a pure gateway (only bdSeq and controls) has no metrics of its own
        if not DEVICE_ID_RE.fullmatch(topic.edge_node_id):
            raise _Reject(
                f"NBIRTH node metrics not stored: edge node id {topic.edge_node_id[:80]!r} is not usable "
                "as a device id (the birth itself is accepted)"
            )
        # The node's own metrics are node metrics: a reading of the edge node kept only if the edge node is
        # registered as a device (the store decides), never a DeviceBirth that would make a pending device.
        return _records(uscc, topic.edge_node_id, message, named, now, with_birth=False, node=True)

    def _ndeath(self, topic: SparkplugTopic, uscc: str, message: pb.Payload, now: datetime) -> list[Parsed]:
        bd_seq = _bd_seq(message, "NDEATH")
        node = self._nodes.get((topic.group_id, topic.edge_node_id))
        if node is None or node.bd_seq is None:
            raise _Reject("NDEATH for an edge node with no NBIRTH seen: ignored")
        if bd_seq != node.bd_seq:
            # §7.1: a will left over from an older session (other bdSeq) must not kill the new one.
            raise _Reject(
                f"stale NDEATH ignored: bdSeq {bd_seq} does not match the current NBIRTH's {node.bd_seq}"
            )
        node.online = False
        for device in node.devices.values():
            device.online = False
        # The NDEATH is the MQTT will, built at CONNECT: its payload timestamp is not the death time.
        return [DeviceDeath(uscc=uscc, device_id=None, ts=now, edge_node=topic.edge_node_id)]

    def _dbirth(self, topic: SparkplugTopic, uscc: str, message: pb.Payload, now: datetime) -> list[Parsed]:
        node = self._checked_node(topic, message, now)
        assert topic.device_id is not None
        # The edge node id is kept on the device (its NDEATH kills it): a name like any other.
        problem = name_problem(topic.edge_node_id)
        if problem is not None or len(topic.edge_node_id) > MAX_NAME_CHARS:
            raise _Reject(
                f"edge node id {topic.edge_node_id[:80]!r}: {problem or 'longer than 64 characters'}"
            )
        node.devices[topic.device_id] = _Device(aliases=_alias_table(message.metrics))
        named = [(metric.name, metric) for metric in message.metrics if metric.name]
        return _records(
            uscc, topic.device_id, message, named, now, with_birth=True, edge_node=topic.edge_node_id
        )

    def _data(self, topic: SparkplugTopic, uscc: str, message: pb.Payload, now: datetime) -> list[Parsed]:
        node = self._checked_node(topic, message, now)
        aliases = node.aliases
        device_id = topic.device_id
        if device_id is not None:
            device = node.devices.get(device_id)
            if device is None or not device.online:
                commands = self._request_rebirth(topic, node, now)
                raise _Reject(f"DDATA for device {device_id!r} with no DBIRTH: rebirth requested", commands)
            aliases = device.aliases
        elif not DEVICE_ID_RE.fullmatch(topic.edge_node_id):
            raise _Reject(f"edge node id {topic.edge_node_id[:80]!r} is not usable as a device id")
        named: list[tuple[str, pb.Payload.Metric]] = []
        for metric in message.metrics:
            if metric.name:
                named.append((metric.name, metric))
                continue
            if not metric.HasField("alias"):
                raise _Reject("metric has neither a name nor an alias")
            name = aliases.get(metric.alias)
            if name is None:
                commands = self._request_rebirth(topic, node, now)
                reason = f"metric alias {metric.alias} was never defined in a birth: rebirth requested"
                raise _Reject(reason, commands)
            named.append((name, metric))
        return _records(
            uscc,
            device_id or topic.edge_node_id,
            message,
            named,
            now,
            with_birth=False,
            node=device_id is None,
        )

    def _ddeath(self, topic: SparkplugTopic, uscc: str, message: pb.Payload, now: datetime) -> list[Parsed]:
        node = self._checked_node(topic, message, now)
        assert topic.device_id is not None
        device = node.devices.get(topic.device_id)
        if device is not None:
            device.online = False
        ms = message.timestamp if message.HasField("timestamp") else None
        ts = _ms_to_datetime(ms) if ms is not None and MIN_EPOCH_MS <= ms <= MAX_EPOCH_MS else now
        return [DeviceDeath(uscc=uscc, device_id=topic.device_id, ts=ts, edge_node=topic.edge_node_id)]

    def _checked_node(self, topic: SparkplugTopic, message: pb.Payload, now: datetime) -> _Node:
        """The born node for a message after NBIRTH, with its seq checked (§7.1); else reject and ask rebirth."""
        key = (topic.group_id, topic.edge_node_id)
        node = self._nodes.get(key)
        if node is None:
            node = self._nodes[key] = _Node(uscc="")
            problem = "no NBIRTH seen for this edge node"
        elif node.rebirth_pending:
            problem = "waiting for the requested rebirth"
        elif not node.online:
            problem = "edge node is dead (NDEATH)"
        else:
            expected = (node.seq + 1) % SEQ_MODULUS
            received = message.seq if message.HasField("seq") else None
            if received == expected:
                node.seq = expected
                return node
            problem = f"seq gap: expected {expected}, got {received}"
        commands = self._request_rebirth(topic, node, now)
        note = "rebirth requested" if commands else "rebirth already requested"
        raise _Reject(f"{topic.message_type} ignored: {problem}; {note}", commands)

    def _request_rebirth(self, topic: SparkplugTopic, node: _Node, now: datetime) -> tuple[Command, ...]:
        node.rebirth_pending = True
        if node.rebirth_sent_at is not None and now - node.rebirth_sent_at < self._rebirth_retry:
            return ()  # one NCMD per retry period, not one per ignored message
        node.rebirth_sent_at = now
        ncmd = SparkplugTopic(topic.group_id, "NCMD", topic.edge_node_id)
        return (Command(str(ncmd), rebirth_request_payload(timestamp_ms=_datetime_to_ms(now))),)


def _bd_seq(message: pb.Payload, kind: str) -> int:
    for metric in message.metrics:
        if metric.name == BD_SEQ:
            value = metric_value(metric)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    raise _Reject(f"{kind} without an integer bdSeq metric")


def _is_control(name: str) -> bool:
    return name == BD_SEQ or name.startswith(CONTROL_PREFIXES)


def _alias_table(metrics: Iterable[pb.Payload.Metric]) -> dict[int, str]:
    table: dict[int, str] = {}
    for metric in metrics:
        if metric.HasField("alias"):
            if not metric.name:
                raise _Reject(f"birth defines alias {metric.alias} without a metric name")
            if table.setdefault(metric.alias, metric.name) != metric.name:
                raise _Reject(f"birth defines alias {metric.alias} twice")
    return table


def _records(
    uscc: str,
    device_id: str,
    message: pb.Payload,
    named: list[tuple[str, pb.Payload.Metric]],
    now: datetime,
    *,
    with_birth: bool,
    edge_node: str | None = None,
    node: bool = False,
) -> list[Parsed]:
    """One Reading per (timestamp, is_historical) group of metrics, plus a DeviceBirth for births.

    Every metric ends somewhere: numbers (Boolean as 1/0) in `metrics` or the modelled fields, any other
    datatype as a text attribute, the birth fields in the DeviceBirth (in a DATA: as values); only the
    protocol's own controls (bdSeq, Node Control/*, Properties/*) are consumed by the host itself.
    """
    payload_ms = message.timestamp if message.HasField("timestamp") else _datetime_to_ms(now)
    groups: dict[tuple[int, bool], dict[str, MetricValue]] = {}
    texts: dict[tuple[int, bool], dict[str, str | None]] = {}
    birth_values: dict[str, MetricValue] = {}
    for name, metric in named:
        if name == BD_SEQ or name.startswith(CONTROL_PREFIXES):  # _is_control, inline: once per metric
            continue
        value = metric_value(metric)
        if with_birth and name in BIRTH_FIELDS and value is not None:
            birth_values[name] = value
            continue
        key = (metric.timestamp if metric.HasField("timestamp") else payload_ms, metric.is_historical)
        if value is not None and name in MODELLED_FIELDS:
            groups.setdefault(key, {})[name] = value  # checked (or refused with a reason) in _reading
            continue
        attribute = _attribute(name, metric, value)
        if attribute is _NUMBER:
            groups.setdefault(key, {})[name] = value
        else:
            texts.setdefault(key, {})[name] = attribute  # type: ignore[assignment]
    records: list[Parsed] = []
    if with_birth:
        records.append(_birth(uscc, device_id, birth_values, edge_node))
    for ts_ms, hist in sorted(set(groups) | set(texts)):
        records.append(
            _reading(
                uscc,
                device_id,
                ts_ms,
                hist,
                groups.get((ts_ms, hist), {}),
                texts.get((ts_ms, hist), {}),
                node=node,
            )
        )
    return records


_NUMBER = object()


def _attribute(name: str, metric: pb.Payload.Metric, value: MetricValue) -> object:
    """`_NUMBER` for a finite number (Boolean included), else the metric as stored text (None for null)."""
    if metric.is_null:
        return None
    if isinstance(value, bool | int | float) and metric.datatype != pb.DateTime:
        return _NUMBER if math.isfinite(float(value)) else str(float(value))  # "nan", "inf": kept as text
    if isinstance(value, int):  # DateTime: epoch ms → RFC 3339 text
        if not MIN_EPOCH_MS <= value <= MAX_EPOCH_MS:
            return str(value)
        return _ms_to_datetime(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        # Bytes, File, arrays, and a String that is not valid UTF-8 (padded PLC text): kept exactly, in base64,
        # never costing the reading.
        return "base64:" + base64.b64encode(value).decode()
    structured = structured_value(metric)
    if structured is None:
        field = metric.WhichOneof("value")
        if field is None:
            return None  # a metric with no value at all: kept as null
        raise _Reject(f"metric {name[:64]!r}: {field} values are not supported (datatype {metric.datatype})")
    return json.dumps(structured, ensure_ascii=False, separators=(",", ":"))


def _birth(
    uscc: str, device_id: str, values: Mapping[str, MetricValue], edge_node: str | None = None
) -> DeviceBirth:
    texts: dict[str, str | None] = {}
    for name in ("kind", "model"):
        value = values.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_NAME_CHARS):
            raise _Reject(f"{name}: must be text (valid UTF-8) of at most {MAX_NAME_CHARS} characters")
        problem = name_problem(value) if isinstance(value, str) else None
        if problem is not None:
            raise _Reject(f"{name} {value!r}: {problem}")
        texts[name] = value
    cycle = values.get("ideal_cycle_s")
    if cycle is not None:
        cycle = _finite(cycle, "ideal_cycle_s")
        if cycle <= 0:
            raise _Reject("ideal_cycle_s: must be positive")
    return DeviceBirth(
        uscc, device_id, texts["kind"], texts["model"], cycle, source="sparkplug", edge_node=edge_node
    )


def _reading(
    uscc: str,
    device_id: str,
    ts_ms: int,
    historical: bool,
    values: dict[str, MetricValue],
    texts: dict[str, str | None],
    *,
    node: bool = False,
) -> Reading:
    if not MIN_EPOCH_MS <= ts_ms <= MAX_EPOCH_MS:
        raise _Reject(f"timestamp out of range (epoch ms, 2000-2100): {ts_ms}")
    counters = {name: _counter(values.pop(name), name) for name in COUNTER_FIELDS if name in values}
    floats = {name: _finite(values.pop(name), name) for name in FLOAT_FIELDS if name in values}
    state = _state(values.pop("state")) if "state" in values else None
    extras: dict[str, float] = {}
    for name, value in values.items():
        if isinstance(value, str | bytes):  # a text in a modelled numeric field (ideal_cycle_s in a DATA)
            texts[name] = value if isinstance(value, str) else "base64:" + base64.b64encode(value).decode()
            continue
        _check_name(name)
        extras[name] = float(value or 0)
    for name, text in texts.items():
        _check_name(name)
        if text is not None and len(text) > MAX_ATTRIBUTE_CHARS:
            raise _Reject(f"metric {name!r}: text of {len(text)} characters > {MAX_ATTRIBUTE_CHARS}")
    if len(extras) + len(texts) > MAX_EXTRA_METRICS:
        raise _Reject(f"too many metrics: {len(extras) + len(texts)} > {MAX_EXTRA_METRICS}")
    return Reading(
        uscc=uscc,
        device_id=device_id,
        seq=reading_key(ts_ms, historical, state, counters, floats, extras, texts),
        ts=_ms_to_datetime(ts_ms),
        source="sparkplug",
        state=state,
        count_total=counters.get("count_total"),
        count_good=counters.get("count_good"),
        power_kw=floats.get("power_kw"),
        energy_kwh=floats.get("energy_kwh"),
        current_a=floats.get("current_a"),
        metrics=extras,
        is_historical=historical,
        attributes=texts,
        node_metrics=node,
    )


def _check_name(name: str) -> None:
    if len(name) > MAX_NAME_CHARS:
        raise _Reject(f"metric name too long (max {MAX_NAME_CHARS}): {name[:MAX_NAME_CHARS]!r}")
    problem = name_problem(name)
    if problem is not None:
        raise _Reject(f"metric name {name!r}: {problem}")


# json.dumps(parts, separators=(",", ":")) byte for byte (the keys of stored readings must not change), without
# building an encoder per call as json.dumps does when given any keyword.
_KEY_ENCODER = json.JSONEncoder(separators=(",", ":"))
# JSONEncoder.encode builds a new C encoder at every call (a third of reading_key's time): build it once with
# the arguments encode would give it (no indent, ASCII-escaped strings, float repr, NaN allowed). Without the C
# accelerator, the plain encoder.
_encode_key_parts: Callable[[object], str]
if c_make_encoder is not None:
    _key_chunks = c_make_encoder(
        None, _KEY_ENCODER.default, encode_basestring_ascii, None, ":", ",", False, False, True
    )

    def _encode_key_parts(parts: object) -> str:
        return "".join(_key_chunks(parts, 0))

else:  # pragma: no cover - CPython always has the accelerator
    _encode_key_parts = _KEY_ENCODER.encode
KEY_BITS = 20  # low bits of a Sparkplug reading's key: a digest of its content (the high bits: epoch ms)


def reading_key(
    ts_ms: int,
    historical: bool,
    state: str | None,
    counters: Mapping[str, int],
    floats: Mapping[str, float],
    extras: Mapping[str, float],
    texts: Mapping[str, str | None] | None = None,
) -> int:
    """The idempotency key of a Sparkplug reading: its epoch ms, then a digest of what it carries.

    Ordered like the timestamp (ms × 2^20 stays below 2^62), the same for a redelivery of the same
    message, and different for two DDATA with the same timestamp and other metrics (report by exception).
    """
    parts: list[object] = [
        historical,
        state,
        sorted(counters.items()),
        sorted(floats.items()),
        sorted(extras.items()),
    ]
    if texts:  # only then, so the keys of readings without text stay what they were
        parts.append(sorted(texts.items()))
    content = _encode_key_parts(parts)
    digest = int.from_bytes(hashlib.blake2b(content.encode(), digest_size=8).digest(), "big")
    return (ts_ms << KEY_BITS) | (digest & ((1 << KEY_BITS) - 1))


def key_ms(seq: int) -> int:
    """The epoch ms a Sparkplug reading key was made from."""
    return seq >> KEY_BITS


def _state(value: MetricValue) -> str:
    if isinstance(value, str) and value.upper() in DEVICE_STATES:
        return value.upper()
    if isinstance(value, int) and not isinstance(value, bool) and value in STATE_CODES:
        return STATE_CODES[value]
    raise _Reject(
        f"state: must be one of {', '.join(DEVICE_STATES)} or its code 0-4, got {str(value)[:20]!r}"
    )


def _counter(value: MetricValue, name: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**62:
        raise _Reject(f"{name}: must be a non-negative integer, got {str(value)[:40]!r}")
    return value


def _finite(value: MetricValue, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Reject(f"{name}: must be a finite number, got {str(value)[:40]!r}")
    return float(value)


def _ms_to_datetime(ms: int) -> datetime:
    # (days, seconds, µs) positionally: the same exact integer sum, without timedelta's keyword normalisation
    # (a fifth of a reading's cost, once per message).
    return _EPOCH + timedelta(0, ms // 1000, ms % 1000 * 1000)


def _datetime_to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)
