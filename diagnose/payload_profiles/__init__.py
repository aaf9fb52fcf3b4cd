"""Payload profiles: how a gateway's telemetry message becomes readings. Pure: bytes in, items out, never raises.

A profile is data (a JSON file here for the built-ins, a row of `payloadprofile` for a plant's own), validated
by `Profile`. It says where each record of a message is, which device it is for (a topic level, a payload
field, or the keys of a multi-device object), when it was taken (RFC 3339 or epoch s/ms/µs), the state (a
field and a map of its values, e.g. PLC codes 0/1/2/3 or a boolean `running`), which fields are counters and
power/energy/current (with scaling), and what happens to the other fields: numbers are metrics, text is kept
as text attributes (or either ignored, as the profile says). A number sent as text (`"14.2"`) is read as a
number. One odd field never costs the message: it is kept as text or left out, and the reading carries a
`_problems` attribute saying which field and why. A record that cannot be a reading at all (no usable time,
no device id) is refused with the reason, alone: the message's other records are kept.

Topic: `plant/{USCC}/{source}/telemetry`, where `source` is the gateway's (or device's) id. The enterprise is
the topic's; each device id a record names is checked as the enterprise's by the store (an unknown one is
registered as pending under the pending cap, like any device).

Idempotency without `seq`: the key is the record's epoch milliseconds shifted left 20 bits plus a 20-bit digest
of what the reading carries (state, counters, figures, metrics, attributes), the same scheme as Sparkplug
readings. A redelivery (same time, same content) has the same key and is stored once (the telemetry table is
unique on device, seq and ts); two different readings at the same millisecond are both kept.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from diagnose import topics
from diagnose.schemas.devices import DEVICE_ID_RE, DEVICE_ID_RULE
from scoring.uscc import is_valid_uscc

DEVICE_STATES = ("RUN", "IDLE", "DOWN", "PLANNED_STOP", "OFF")  # collectors.models.DEVICE_STATES
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})  # collectors.text: not storable in a name
TOPIC_KIND: topics.JsonKind = "telemetry"
MAX_RECORDS = 500  # records of one message (a gateway's batch); beyond, the message is refused
MAX_METRICS = 64
MAX_ATTRIBUTES = 32
MAX_TEXT = 256  # characters of one text attribute kept
MAX_NAME = 64
MAX_COUNTER = 2**62
KEY_BITS = 20
MIN_TS = datetime(2000, 1, 1, tzinfo=UTC)
MAX_TS = datetime(2100, 1, 1, tzinfo=UTC)
_MIN_S, _MAX_S = MIN_TS.timestamp(), MAX_TS.timestamp()
_NUMBER_TEXT = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?\s*\Z")
PROFILE_NAME = r"^[a-z0-9][a-z0-9-]{1,39}$"

Column = Literal["count_total", "count_good", "power_kw", "energy_kwh", "current_a"]
COUNTERS = ("count_total", "count_good")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceSpec(_Spec):
    """Which device a record is for: the topic's source level, a field of the record, or the map's key."""

    source: Literal["topic", "field", "key"] = "topic"
    field: str | None = None

    @model_validator(mode="after")
    def _field_named(self) -> DeviceSpec:
        if self.source == "field" and not self.field:
            raise ValueError("device.field is required when device.source is 'field'")
        return self


class TsSpec(_Spec):
    """Where the time is and how it is written.

    `auto` tells them apart: text is RFC 3339 (with an offset) or digits; a number is epoch seconds,
    milliseconds or microseconds by its size, the three ranges for 2000-2100 being far apart
    (≈1e9, ≈1e12, ≈1e15). A declared unit is held to that unit (and to 2000-2100).
    """

    field: str = "ts"
    format: Literal["auto", "rfc3339", "epoch_s", "epoch_ms", "epoch_us"] = "auto"
    missing: Literal["reject", "received"] = "reject"  # received: the collector's clock when it arrived


class ValuesSpec(_Spec):
    """Where a record's values are: its own other fields (`flat`), an object field (`object`, e.g.
    `values`), that object when the record has it and else its own fields (`object_or_flat`, ThingsBoard's
    device API), or a list of name/value objects (`tags`)."""

    layout: Literal["flat", "object", "object_or_flat", "tags"] = "flat"
    field: str | None = None
    name: str = "name"
    value: str = "value"

    @model_validator(mode="after")
    def _field_named(self) -> ValuesSpec:
        if self.layout != "flat" and not self.field:
            raise ValueError("values.field is required for the object and tags layouts")
        return self


class StateSpec(_Spec):
    """The run state: a field, and what its values mean (keys as text: "0", "true", "RUN"…). Without a map
    the field must hold one of the platform's states."""

    field: str
    map: dict[str, Literal["RUN", "IDLE", "DOWN", "PLANNED_STOP", "OFF"]] = Field(default_factory=dict)


class FieldSpec(_Spec):
    """A source field, and the scaling applied: stored = value × scale + offset."""

    field: str
    scale: float = 1.0
    offset: float = 0.0

    @field_validator("scale", "offset")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class Profile(_Spec):
    """A payload profile (see the module's docstring)."""

    name: str = Field(pattern=PROFILE_NAME)
    title: str = Field(min_length=1, max_length=80)
    source_url: str = Field(default="", max_length=500)  # the gateway's public documentation of this format
    native_topic: str = Field(default="", max_length=200)  # the gateway's own default topic, for reference
    notes: str = Field(default="", max_length=2000)
    records: Literal["object", "object_or_list", "device_map"] = "object"
    device: DeviceSpec = DeviceSpec()
    ts: TsSpec = TsSpec()
    seq: str | None = None  # the field of the sender's own sequence number, if it sends one
    values: ValuesSpec = ValuesSpec()
    state: StateSpec | None = None
    columns: dict[Column, FieldSpec] = Field(default_factory=dict)
    metrics: dict[str, FieldSpec] = Field(default_factory=dict)  # named (and scaled) metrics
    other_numbers: Literal["metrics", "ignore"] = "metrics"
    other_text: Literal["attributes", "ignore"] = "attributes"
    numbers_from_text: bool = True
    ignore: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if self.records == "device_map" and self.device.source != "key":
            raise ValueError(
                "records 'device_map' takes the device from the key: device.source must be 'key'"
            )
        if self.device.source == "key" and self.records != "device_map":
            raise ValueError("device.source 'key' needs records 'device_map'")
        for name in self.metrics:
            problem = _name_problem(name)
            if problem:
                raise ValueError(f"metric name {name!r}: {problem}")
        return self


def _name_problem(name: str) -> str | None:
    if not name or len(name) > MAX_NAME:
        return f"names are 1-{MAX_NAME} characters"
    if name.startswith("_"):
        return "names starting with _ are the platform's"
    if not name.isprintable() and any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in name):
        return "control characters, lone surrogates and line separators are not allowed in names"
    return None


@dataclass(frozen=True, slots=True)
class Record:
    """One reading a profile read (the collector makes it a `collectors.models.Reading`)."""

    uscc: str
    device_id: str
    seq: int
    ts: datetime
    state: str | None = None
    count_total: int | None = None
    count_good: int | None = None
    power_kw: float | None = None
    energy_kwh: float | None = None
    current_a: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refused:
    """A record (or a whole message) that cannot be a reading, and why."""

    reason: str


Item = Record | Refused


# --- built-ins -------------------------------------------------------------------------------------------


@cache
def builtins() -> dict[str, Profile]:
    """The built-in profiles, by name (the JSON files of this package)."""
    found: dict[str, Profile] = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            profile = Profile.model_validate_json(entry.read_text(encoding="utf-8"))
            found[profile.name] = profile
    return found


def load_profile(data: str | bytes | dict[str, Any]) -> Profile:
    """Validate a profile (JSON text or parsed data); raises ProfileError with the problems in Chinese."""
    try:
        if isinstance(data, dict):
            return Profile.model_validate(data)
        return Profile.model_validate_json(data)
    except ValidationError as exc:
        raise ProfileError(explain(exc)) from exc


class ProfileError(ValueError):
    """A profile that is not valid; `problems` are one line each, in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


_ZH = {
    "missing": "必须填写",
    "extra_forbidden": "不认识这个字段",
    "literal_error": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不对",
    "string_too_short": "不能为空",
    "string_too_long": "太长",
    "string_type": "须为文字",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "bool_type": "须为 true 或 false",
    "dict_type": "须为对象（{…}）",
    "list_type": "须为列表（[…]）",
    "model_type": "须为对象（{…}）",
    "json_invalid": "不是有效的 JSON",
    "value_error": "",
}


def explain(exc: ValidationError) -> list[str]:
    """Pydantic's errors as lines a plant engineer reads: where (JSON path) and what, in Chinese."""
    lines = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "（整体）"
        kind = error["type"]
        text = _ZH.get(kind)
        if kind == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            text = f"只能是 {expected}"
        if not text:
            message = str(error.get("msg", ""))
            text = message.removeprefix("Value error, ")
        lines.append(f"{where}：{text}")
    return lines


# --- parsing ---------------------------------------------------------------------------------------------


class _Refused(Exception):
    pass


def parse_topic(topic: str) -> tuple[str, str] | None:
    """(USCC, source) of `plant/{USCC}/{source}/telemetry`, or None for any other topic."""
    try:
        parsed = topics.parse_plant(topic, check_ids=False)
    except topics.TopicError:
        return None
    return (parsed.uscc, parsed.source) if parsed.kind == TOPIC_KIND else None


def parse(
    topic: str,
    payload: bytes,
    profile: Profile,
    *,
    received_at: datetime,
    max_payload_bytes: int = 65_536,
) -> tuple[Item, ...]:
    """The records of one message under `profile`, a Refused for each record that cannot be one (or one
    for the whole message). Never raises."""
    try:
        return _parse(topic, payload, profile, received_at, max_payload_bytes)
    except _Refused as exc:
        return (Refused(str(exc)[:500]),)
    except Exception as exc:  # a bug here must not kill the collector: dead-letter the message
        return (Refused(f"profile {profile.name}: parser error: {type(exc).__name__}: {exc}"[:500]),)


def _parse(
    topic: str, payload: bytes, profile: Profile, received_at: datetime, max_bytes: int
) -> tuple[Item, ...]:
    if len(payload) > max_bytes:
        raise _Refused(f"payload too large: {len(payload)} bytes > {max_bytes}")
    where = parse_topic(topic)
    if where is None:
        raise _Refused(f"bad topic {topic[:200]!r}: expected plant/<uscc>/<source>/telemetry")
    uscc, source = where
    if not is_valid_uscc(uscc):
        raise _Refused(f"bad topic: {uscc[:40]!r} is not a valid unified social credit code")
    if not DEVICE_ID_RE.match(source):
        raise _Refused(f"bad topic: source {source[:80]!r}: {DEVICE_ID_RULE}")
    body = _load(payload)
    out: list[Item] = []
    for number, (device, record) in enumerate(_records(body, profile, source), start=1):
        try:
            out.append(_reading(uscc, device, record, profile, received_at))
        except _Refused as exc:
            label = f"record {number}" + (f" (device {device[:64]})" if device else "")
            out.append(Refused(f"profile {profile.name}: {label}: {exc}"[:500]))
    if not out:
        raise _Refused(f"profile {profile.name}: no records in the message")
    return tuple(out)


def _load(payload: bytes) -> Any:
    if payload.count(b"[") + payload.count(b"{") > 4 * MAX_RECORDS:
        raise _Refused("bad JSON: too many arrays and objects")
    try:
        return json.loads(payload.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError as exc:
        raise _Refused("bad JSON: nested too deeply") from exc
    except ValueError as exc:
        raise _Refused(f"bad JSON: {exc}"[:300]) from exc


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _records(body: Any, profile: Profile, source: str) -> list[tuple[str, Any]]:
    """(device id or "" when the record names it, record) pairs."""
    if profile.records == "device_map":
        if not isinstance(body, dict):
            raise _Refused(f"profile {profile.name}: payload must be an object of device ids")
        pairs = []
        for device, entries in body.items():
            for entry in entries if isinstance(entries, list) else [entries]:
                pairs.append((device, entry))
    elif profile.records == "object_or_list" and isinstance(body, list):
        pairs = [(source if profile.device.source == "topic" else "", entry) for entry in body]
    elif isinstance(body, dict):
        pairs = [(source if profile.device.source == "topic" else "", body)]
    else:
        raise _Refused(f"profile {profile.name}: payload must be a JSON object")
    if len(pairs) > MAX_RECORDS:
        raise _Refused(f"profile {profile.name}: {len(pairs)} records > {MAX_RECORDS}")
    return pairs


def _reading(uscc: str, device: str, record: Any, profile: Profile, received_at: datetime) -> Record:
    if not isinstance(record, dict):
        raise _Refused("a record must be a JSON object")
    if profile.device.source == "field":
        device = record.get(profile.device.field or "")  # type: ignore[assignment]
        if not isinstance(device, str):
            raise _Refused(f"device id field {profile.device.field!r}: required, text")
    if not DEVICE_ID_RE.match(device):
        raise _Refused(f"device id {device[:80]!r}: {DEVICE_ID_RULE}")
    ts = _timestamp(record, profile.ts, received_at)
    pool = _values(record, profile)
    reading = _Builder(profile)
    for name, value in pool.items():
        reading.take(name, value)
    seq = _seq(record, profile, reading)
    return Record(
        uscc=uscc,
        device_id=device,
        seq=seq if seq is not None else content_key(ts, reading.content()),
        ts=ts,
        state=reading.state,
        count_total=reading.columns.get("count_total"),  # type: ignore[arg-type]
        count_good=reading.columns.get("count_good"),  # type: ignore[arg-type]
        power_kw=reading.columns.get("power_kw"),
        energy_kwh=reading.columns.get("energy_kwh"),
        current_a=reading.columns.get("current_a"),
        metrics=reading.metrics,
        attributes=reading.attributes_with_problems(),
    )


def _values(record: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The record's values by name, the profile's own fields (time, seq, device, ignored) set aside."""
    spec = profile.values
    if spec.layout == "flat":
        skip = {profile.ts.field, profile.seq, profile.device.field, *profile.ignore}
        return {k: v for k, v in record.items() if k not in skip}
    held = record.get(spec.field or "")
    if spec.layout == "object_or_flat":
        if isinstance(held, dict):
            return {k: v for k, v in held.items() if k not in profile.ignore}
        skip = {profile.ts.field, profile.seq, profile.device.field, *profile.ignore}
        return {k: v for k, v in record.items() if k not in skip}
    if spec.layout == "object":
        if not isinstance(held, dict):
            raise _Refused(f"{spec.field!r}: required, an object of values")
        return {k: v for k, v in held.items() if k not in profile.ignore}
    if not isinstance(held, list):
        raise _Refused(f"{spec.field!r}: required, a list of tags")
    pool: dict[str, Any] = {}
    for tag in held:
        named = isinstance(tag, dict) and isinstance(tag.get(spec.name), str) and spec.value in tag
        if named and tag[spec.name] not in profile.ignore:
            pool[tag[spec.name]] = tag[spec.value]
    return pool


def _timestamp(record: dict[str, Any], spec: TsSpec, received_at: datetime) -> datetime:
    value = record.get(spec.field)
    if value is None:
        if spec.missing == "received":
            return received_at.astimezone(UTC)
        raise _Refused(f"{spec.field}: required")
    return read_ts(value, spec.format, spec.field)


def read_ts(value: object, fmt: str = "auto", name: str = "ts") -> datetime:
    """A timestamp as the profile declares it (see `TsSpec`), held to 2000-2100."""
    if isinstance(value, str) and fmt != "rfc3339" and _NUMBER_TEXT.match(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Refused(f"{name}: must be RFC 3339 text or an epoch number")
    if isinstance(value, str):
        if fmt not in ("auto", "rfc3339"):
            raise _Refused(f"{name}: {fmt} expected, got text {value[:40]!r}")
        return _rfc3339(value, name)
    if fmt == "rfc3339":
        raise _Refused(f"{name}: RFC 3339 text expected, got {value!r:.40}")
    if not math.isfinite(value):
        raise _Refused(f"{name}: not a finite number")
    divisor = {"epoch_s": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000}.get(fmt)
    if divisor is None:  # auto: by size
        divisor = next((d for d in (1, 1_000, 1_000_000) if _MIN_S <= value / d <= _MAX_S), 0)
        if not divisor:
            raise _Refused(f"{name}: {value!r:.40} is not epoch s, ms or µs of 2000-2100")
    seconds = value / divisor
    if not _MIN_S <= seconds <= _MAX_S:
        raise _Refused(f"{name}: {fmt} out of range (2000-2100): {value!r:.40}")
    return datetime.fromtimestamp(seconds, tz=UTC)


def _rfc3339(value: str, name: str) -> datetime:
    if len(value) > 40 or not (value.isascii() and value.isprintable()):
        raise _Refused(f"{name}: not RFC 3339: {value[:40]!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise _Refused(f"{name}: not RFC 3339: {value[:40]!r}") from exc
    if parsed.tzinfo is None:
        raise _Refused(f"{name}: RFC 3339 needs a time zone offset (e.g. Z or +08:00)")
    moment = parsed.astimezone(UTC)
    if not MIN_TS <= moment <= MAX_TS:
        raise _Refused(f"{name}: out of range (2000-2100): {value[:40]!r}")
    return moment


def _seq(record: dict[str, Any], profile: Profile, reading: _Builder) -> int | None:
    if not profile.seq or record.get(profile.seq) is None:
        return None
    value = _number(record[profile.seq], True)
    if value is None or value != int(value) or not 0 <= value <= MAX_COUNTER:
        reading.problem(profile.seq, "not an integer from 0 to 2^62; the content key is used")
        return None
    return int(value)


def _number(value: object, from_text: bool) -> float | None:
    """A finite number, from a JSON number, a boolean (1/0) or, if allowed, text such as "14.2"."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if from_text and isinstance(value, str) and len(value) <= 40 and _NUMBER_TEXT.match(value):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _text(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # NUL, lone surrogates and other controls cannot be stored or shown: escaped, then cut
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:MAX_TEXT])


class _Builder:
    """One reading being read from its values, under a profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.sources: dict[str, tuple[str, FieldSpec]] = {
            spec.field: (column, spec) for column, spec in profile.columns.items()
        }
        self.named: dict[str, tuple[str, FieldSpec]] = {
            spec.field: (name, spec) for name, spec in profile.metrics.items()
        }
        self.state: str | None = None
        self.columns: dict[str, float | int] = {}
        self.metrics: dict[str, float] = {}
        self.attributes: dict[str, str] = {}
        self.problems: list[str] = []

    def problem(self, name: str, why: str) -> None:
        """Note a field kept as text or left out, and why (stored as the `_problems` attribute)."""
        if len(self.problems) < 16:
            self.problems.append(f"{name[:MAX_NAME]}: {why}")

    def keep_text(self, name: str, value: object) -> None:
        if self.profile.other_text == "ignore" or value is None:
            return
        if _name_problem(name):
            self.problem(_text(name), "field name not storable; left out")
        elif len(self.attributes) >= MAX_ATTRIBUTES:
            self.problem(name, f"more than {MAX_ATTRIBUTES} text fields; left out")
        else:
            self.attributes[name] = _text(value)

    def take(self, name: str, value: object) -> None:
        profile = self.profile
        if profile.state is not None and name == profile.state.field:
            self._state(name, value)
        elif name in self.sources:
            self._column(name, value)
        elif name in self.named:
            target, spec = self.named[name]
            number = _number(value, profile.numbers_from_text)
            if number is None:
                self.problem(name, "not a number; kept as text")
                self.keep_text(name, value)
            else:
                self._metric(target, number * spec.scale + spec.offset)
        elif value is None:
            return
        elif isinstance(value, dict | list):
            self.keep_text(name, value)
        else:
            number = _number(value, profile.numbers_from_text) if not isinstance(value, bool) else None
            if isinstance(value, bool) and profile.other_numbers == "metrics":
                number = 1.0 if value else 0.0
            if number is None:
                if isinstance(value, int | float):  # out of range, NaN: not a number we can store
                    self.problem(name, "not a finite number; kept as text")
                self.keep_text(name, value)
            elif profile.other_numbers == "metrics":
                self._metric(name, number)

    def _metric(self, name: str, number: float) -> None:
        problem = _name_problem(name)
        if problem:
            self.problem(_text(name), f"{problem}; left out")
        elif len(self.metrics) >= MAX_METRICS:
            self.problem(name, f"more than {MAX_METRICS} metrics; left out")
        elif not math.isfinite(number):
            self.problem(name, "scaled out of range; left out")
        else:
            self.metrics[name] = number

    def _state(self, name: str, value: object) -> None:
        spec = self.profile.state
        assert spec is not None
        key = _state_key(value)
        state: str | None
        if spec.map:
            state = spec.map.get(key) if key is not None else None
        else:
            state = key if key in DEVICE_STATES else None
        if state is None:
            self.problem(name, "not a known state; kept as text")
            self.keep_text(name, value)
        else:
            self.state = state

    def _column(self, name: str, value: object) -> None:
        column, spec = self.sources[name]
        number = _number(value, self.profile.numbers_from_text)
        if number is not None:
            number = number * spec.scale + spec.offset
        if number is None or not math.isfinite(number):
            self.problem(name, f"not a number for {column}; kept as text")
            self.keep_text(name, value)
        elif column in COUNTERS:
            if number != int(number) or not 0 <= number <= MAX_COUNTER:
                self.problem(name, f"{column} must be an integer from 0 to 2^62; kept as text")
                self.keep_text(name, value)
            else:
                self.columns[column] = int(number)
        else:
            self.columns[column] = number

    def attributes_with_problems(self) -> dict[str, str]:
        if not self.problems:
            return self.attributes
        return {**self.attributes, "_problems": "; ".join(self.problems)[:1000]}

    def content(self) -> list[Any]:
        return [
            self.state,
            sorted(self.columns.items()),
            sorted(self.metrics.items()),
            sorted(self.attributes.items()),
        ]


def _state_key(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER_TEXT.match(text) and float(text) == int(float(text)):
            return str(int(float(text)))
        return text
    return None


def content_key(ts: datetime, content: object) -> int:
    """The idempotency key of a reading sent without `seq`: epoch ms × 2^20 plus a 20-bit digest of its
    content. The same for a redelivery; different for another reading at the same millisecond (but for a
    1 in 2^20 digest collision, when the second is taken for a redelivery)."""
    ms = int(ts.timestamp() * 1000)
    text = json.dumps(content, separators=(",", ":"), ensure_ascii=False, default=str)
    digest = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return (ms << KEY_BITS) | (digest & ((1 << KEY_BITS) - 1))


def try_sample(
    profile: Profile, payload: bytes, *, uscc: str, source: str, received_at: datetime
) -> tuple[Item, ...]:
    """What a sample message would give under `profile` (the form's and CLI's preview)."""
    return parse(str(topics.PlantTopic(uscc, source, TOPIC_KIND)), payload, profile, received_at=received_at)
