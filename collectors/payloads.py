"""Parse JSON plant topics: bytes in, a Reading / DeviceBirth or a Rejected out. Never raises."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from collectors.models import DEVICE_STATES, DeviceBirth, DeviceStatus, Parsed, Reading, Rejected
from collectors.text import name_problem
from diagnose import topics

KNOWN_FLOATS = ("power_kw", "energy_kwh", "current_a")
KNOWN_COUNTERS = ("count_total", "count_good")
RESERVED = {"ts", "seq", "state", *KNOWN_FLOATS, *KNOWN_COUNTERS}
MAX_METRICS = 64
# Epoch-ms bounds: 2000-01-01 .. 2100-01-01; outside is almost surely seconds or garbage (and, on
# PostgreSQL, a telemetry partition for a far-off day). RFC 3339 text is held to the same bounds.
MIN_EPOCH_MS, MAX_EPOCH_MS = 946_684_800_000, 4_102_444_800_000
MIN_TS = datetime.fromtimestamp(MIN_EPOCH_MS / 1000, tz=UTC)
MAX_TS = datetime.fromtimestamp(MAX_EPOCH_MS / 1000, tz=UTC)
MAX_NAME_CHARS = 64
MAX_TEXT_CHARS = 256  # a text value kept beside a reading's metrics (a PLC's status word, a batch number)
MAX_JSON_CONTAINERS = 256  # "[" and "{" bytes in a payload, strings included (a bound on nesting)
MAX_COUNTER = 2**62  # counters and seq are BIGINT columns; 2^62 leaves headroom for sums


class _Bad(Exception):
    pass


def parse_message(topic: str, payload: bytes, *, max_payload_bytes: int = 65_536) -> Parsed:
    """Turn one message on a `plant/…` topic into a Reading, a DeviceBirth, or a Rejected with the reason."""
    try:
        if len(payload) > max_payload_bytes:
            raise _Bad(f"payload too large: {len(payload)} bytes > {max_payload_bytes}")
        uscc, device_id, kind = _parse_topic(topic)
        body = _load_object(payload)
        if kind == "telemetry":
            return _reading(uscc, device_id, body)
        if kind == "status":
            return _status(uscc, device_id, body)
        return _birth(uscc, device_id, body)
    except _Bad as exc:
        return Rejected(topic=topic, payload=payload, reason=str(exc))
    except Exception as exc:  # a parser bug must not kill the collector: dead-letter it instead
        return Rejected(
            topic=topic, payload=payload, reason=f"parser error: {type(exc).__name__}: {exc}"[:500]
        )


@lru_cache(maxsize=1 << 16)
def _parse_topic(topic: str) -> tuple[str, str, str]:
    # Cached: a plant has a few thousand topics, each checked once rather than per message
    # (the USCC check character was a tenth of the collector's CPU). Bad topics raise, so are
    # never cached, and the cache is bounded.
    try:
        parsed = topics.parse_plant(topic)
    except topics.TopicError as exc:
        raise _Bad(str(exc)) from None
    return parsed.uscc, parsed.source, parsed.kind


def _load_object(payload: bytes) -> dict[str, Any]:
    # The decoder recurses once per level, and how deep it may go depends on the thread's stack at the call:
    # bounding the brackets (every level needs one) makes the verdict the same everywhere. No stored field
    # is nested; 256 leaves room for a gateway's metadata in a birth.
    if len(payload) > MAX_JSON_CONTAINERS and payload.count(b"[") + payload.count(b"{") > MAX_JSON_CONTAINERS:
        raise _Bad(f"bad JSON: more than {MAX_JSON_CONTAINERS} arrays and objects")
    try:
        body = _DECODER.decode(payload.decode("utf-8"))
    except RecursionError as exc:  # the decoder's own bound on nesting (no stored field is nested)
        raise _Bad("bad JSON: nested too deeply") from exc
    except ValueError as exc:  # invalid UTF-8, JSON syntax, an integer of more than 4,300 digits
        raise _Bad(f"bad JSON: {exc}"[:300]) from exc
    if not isinstance(body, dict):
        raise _Bad("bad JSON: payload must be an object")
    return body


def _refuse_constant(name: str) -> float:
    raise _Bad(f"bad JSON: {name} is not a number")


# One decoder for every message: json.loads with any keyword builds a new JSONDecoder per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def parse_ts(value: object) -> datetime:
    """RFC 3339 text or epoch milliseconds → aware UTC datetime."""
    if isinstance(value, bool):
        raise _Bad("ts: must be RFC 3339 text or epoch milliseconds")
    if isinstance(value, int | float):
        if not MIN_EPOCH_MS <= value <= MAX_EPOCH_MS:  # NaN fails it too; no float() of a huge integer
            raise _Bad(f"ts: epoch milliseconds out of range (2000-2100): {_shown(value)}")
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        # RFC 3339 is printable ASCII; CPython 3.11's fromisoformat stops reading at a NUL and would take
        # "2026-11-24T08:00:00\x00junk" for a time.
        if len(value) > 40 or not (value.isascii() and value.isprintable()):
            raise _Bad(f"ts: not RFC 3339: {value[:40]!r}")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:
            raise _Bad(f"ts: not RFC 3339: {value[:40]!r}") from exc
        if parsed.tzinfo is None:
            raise _Bad("ts: RFC 3339 needs a time zone offset (e.g. Z or +08:00)")
        try:
            moment = parsed.astimezone(UTC)
        except OverflowError as exc:
            raise _Bad(f"ts: out of range: {value[:40]!r}") from exc
        if not MIN_TS <= moment <= MAX_TS:
            raise _Bad(f"ts: out of range (2000-2100): {value[:40]!r}")
        return moment
    raise _Bad("ts: must be RFC 3339 text or epoch milliseconds")


def _int_field(body: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    value = body.get(name)
    if type(value) is int and 0 <= value <= MAX_COUNTER:  # the common case first (bool is not int here)
        return value
    if value is None:
        if required:
            raise _Bad(f"{name}: required")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > MAX_COUNTER:
        raise _Bad(f"{name}: must be an integer from 0 to 2^62, got {_shown(value)}")
    return value


def _float_field(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if type(value) is float and math.isfinite(value):  # the common case first
        return value
    if value is None:
        return None
    number = _finite(value)
    if number is None:
        raise _Bad(f"{name}: must be a finite number, got {_shown(value)}")
    return number


def _finite(value: object) -> float | None:
    """The value as a finite float (what a REAL / double precision column holds), or None."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an integer beyond ±1.8e308
            return None
    return None


def _shown(value: object) -> str:
    """A value quoted in a reason: short, and escaped (repr), whatever characters it holds."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**40:
        return f"an integer of {len(str(abs(value)))} digits"
    return repr(value)[:40]


def _reading(uscc: str, device_id: str, body: dict[str, Any]) -> Reading:
    if "ts" not in body:
        raise _Bad("ts: required")
    ts = parse_ts(body["ts"])
    seq = _int_field(body, "seq", required=True)
    state = body.get("state")
    if state is not None and state not in DEVICE_STATES:
        raise _Bad(f"state: must be one of {', '.join(DEVICE_STATES)}, got {_shown(state)}")
    metrics: dict[str, float] = {}
    attributes: dict[str, str | None] = {}
    problems: list[str] = []
    for name, value in () if body.keys() <= RESERVED else body.items():  # most devices send no extras
        if name in RESERVED:
            continue
        if len(name) > MAX_NAME_CHARS:
            raise _Bad(f"{name[:MAX_NAME_CHARS]!r}: field names may have at most {MAX_NAME_CHARS} characters")
        problem = name_problem(name)
        if problem is not None:
            raise _Bad(f"metric name {name!r}: {problem}")
        number = _finite(value)
        if number is not None:
            metrics[name] = number
        elif isinstance(value, str):
            # A gateway's number sent as text ("14.2") is read; other text is kept beside the metrics.
            number = _number_in_text(value)
            if number is not None:
                metrics[name] = number
            elif len(value) <= MAX_TEXT_CHARS and _storable(value):
                attributes[name] = value
            else:
                problems.append(f"{name}: text left out (over {MAX_TEXT_CHARS} characters or not storable)")
        elif isinstance(value, bool):
            attributes[name] = "true" if value else "false"
        elif value is None or isinstance(value, (dict, list)):
            problems.append(f"{name}: {'null' if value is None else 'nested value'} left out")
        else:  # a number no column can hold (1e999, a 400-digit integer): the device is broken, say so
            raise _Bad(f"{name!r}: extra metrics must be finite numbers (got {_shown(value)})")
    if problems:
        attributes["_problems"] = "; ".join(problems)[:1000]
    if len(metrics) > MAX_METRICS:
        raise _Bad(f"too many metrics: {len(metrics)} > {MAX_METRICS}")
    return Reading(
        uscc=uscc,
        device_id=device_id,
        seq=seq or 0,
        ts=ts,
        source="json",
        state=state,
        count_total=_int_field(body, "count_total"),
        count_good=_int_field(body, "count_good"),
        power_kw=_float_field(body, "power_kw"),
        energy_kwh=_float_field(body, "energy_kwh"),
        current_a=_float_field(body, "current_a"),
        metrics=metrics,
        attributes=attributes,
    )


def _number_in_text(value: str) -> float | None:
    """A decimal number written as text ("14.2", " 3 "), finite, or None (hex, "NaN", "1e999" stay text)."""
    text = value.strip()
    if not text or len(text) > 64 or not all(c in "0123456789+-.eE" for c in text):
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _storable(value: str) -> bool:
    """Text both backends can store: no lone surrogate, no NUL."""
    return "\x00" not in value and not any("\ud800" <= c <= "\udfff" for c in value)


def _birth(uscc: str, device_id: str, body: dict[str, Any]) -> DeviceBirth:
    def text(name: str) -> str | None:
        value = body.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > MAX_NAME_CHARS:
            raise _Bad(f"{name}: must be text of at most {MAX_NAME_CHARS} characters")
        problem = name_problem(value)
        if problem is not None:
            raise _Bad(f"{name} {value!r}: {problem}")
        return value

    def positive(name: str) -> float | None:
        value = _float_field(body, name)
        if value is not None and value <= 0:
            raise _Bad(f"{name}: must be positive")
        return value

    return DeviceBirth(
        uscc=uscc,
        device_id=device_id,
        kind=text("kind"),
        model=text("model"),
        ideal_cycle_s=positive("ideal_cycle_s"),
        source="json",
        heartbeat_s=positive("heartbeat_s"),
        sample_interval_s=positive("sample_interval_s"),
        ts=parse_ts(body["ts"]) if "ts" in body else None,
    )


def _status(uscc: str, device_id: str, body: dict[str, Any]) -> DeviceStatus:
    """`{"online": true|false}` (and optionally "ts"): the retained status a device's MQTT will resets."""
    online = body.get("online")
    if not isinstance(online, bool):
        raise _Bad("online: required, true or false")
    return DeviceStatus(uscc, device_id, online, parse_ts(body["ts"]) if "ts" in body else None)


def telemetry_topic(uscc: str, device_id: str) -> str:
    """The topic a device publishes its telemetry on."""
    return str(topics.PlantTopic(uscc, device_id, "telemetry"))


def status_topic(uscc: str, device_id: str) -> str:
    """The retained topic of a device's online status; its MQTT will publishes offline there."""
    return str(topics.PlantTopic(uscc, device_id, "status"))


def birth_topic(uscc: str, device_id: str) -> str:
    """The retained topic a device announces itself on."""
    return str(topics.PlantTopic(uscc, device_id, "birth"))
