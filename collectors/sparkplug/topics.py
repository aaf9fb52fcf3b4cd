"""Sparkplug B 3.0 topic namespace (§4.1) and the host application's STATE messages (§7.2)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

NAMESPACE = "spBv1.0"
MessageType = Literal["NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH", "NCMD", "DCMD"]
NODE_TYPES: tuple[MessageType, ...] = ("NBIRTH", "NDATA", "NDEATH", "NCMD")
DEVICE_TYPES: tuple[MessageType, ...] = ("DBIRTH", "DDATA", "DDEATH", "DCMD")
STATE_QOS = 1  # §7.2: STATE birth and will are published with QoS 1 and retained
STATE_RETAIN = True
_FORBIDDEN = frozenset("/+#")  # §4.1.1: ids are UTF-8 strings without MQTT's separator or wildcards


class TopicError(ValueError):
    """The topic is not in the Sparkplug B namespace."""


@dataclass(frozen=True, slots=True)
class SparkplugTopic:
    """`spBv1.0/{group}/{message_type}/{edge_node}[/{device}]`."""

    group_id: str
    message_type: MessageType
    edge_node_id: str
    device_id: str | None = None

    def __str__(self) -> str:
        """The topic string."""
        tail = f"/{self.device_id}" if self.device_id is not None else ""
        return f"{NAMESPACE}/{self.group_id}/{self.message_type}/{self.edge_node_id}{tail}"


@dataclass(frozen=True, slots=True)
class StateTopic:
    """`spBv1.0/STATE/{host_id}`: a host application's online state (3.0 form)."""

    host_id: str

    def __str__(self) -> str:
        """The topic string."""
        return f"{NAMESPACE}/STATE/{self.host_id}"


@dataclass(frozen=True, slots=True)
class HostState:
    """A decoded STATE payload: {"online": bool, "timestamp": epoch ms}."""

    online: bool
    timestamp_ms: int


def parse_topic(topic: str) -> SparkplugTopic | StateTopic:
    """Split a Sparkplug topic into its parts; raise TopicError saying what is wrong."""
    parts = topic.split("/")
    if parts[0] != NAMESPACE:
        raise TopicError(f"not a Sparkplug B topic (namespace must be {NAMESPACE}): {topic[:120]!r}")
    if len(parts) == 3 and parts[1] == "STATE":
        _check_id("host_id", parts[2])
        return StateTopic(parts[2])
    if len(parts) not in (4, 5):
        raise TopicError(f"Sparkplug topic needs 4 or 5 levels, got {len(parts)}: {topic[:120]!r}")
    group_id, message_type, edge_node_id = parts[1], parts[2], parts[3]
    _check_id("group_id", group_id)
    _check_id("edge_node_id", edge_node_id)
    if message_type in NODE_TYPES:
        if len(parts) != 4:
            raise TopicError(f"{message_type} topic must not name a device: {topic[:120]!r}")
        return SparkplugTopic(group_id, message_type, edge_node_id)
    if message_type in DEVICE_TYPES:
        if len(parts) != 5:
            raise TopicError(f"{message_type} topic must name a device: {topic[:120]!r}")
        _check_id("device_id", parts[4])
        return SparkplugTopic(group_id, message_type, edge_node_id, parts[4])
    raise TopicError(f"unknown Sparkplug message type {message_type[:20]!r}")


def state_topic(host_id: str) -> str:
    """The host application's STATE topic."""
    _check_id("host_id", host_id)
    return str(StateTopic(host_id))


def state_payloads(timestamp_ms: int) -> tuple[bytes, bytes]:
    """(birth, will) STATE payloads; §7.2 wants the will registered at CONNECT to carry the birth's timestamp."""
    return _state_json(True, timestamp_ms), _state_json(False, timestamp_ms)


def parse_state_payload(payload: bytes) -> HostState:
    """Decode a STATE payload; raise TopicError if it is not {"online": bool, "timestamp": int}."""
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise TopicError(f"STATE payload is not JSON: {exc}"[:200]) from exc
    if not isinstance(body, dict):
        raise TopicError("STATE payload must be a JSON object")
    online, timestamp = body.get("online"), body.get("timestamp")
    if not isinstance(online, bool) or isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise TopicError('STATE payload needs {"online": bool, "timestamp": epoch ms}')
    return HostState(online, timestamp)


def _state_json(online: bool, timestamp_ms: int) -> bytes:
    return json.dumps({"online": online, "timestamp": timestamp_ms}, separators=(",", ":")).encode()


def _check_id(label: str, value: str) -> None:
    if not value or _FORBIDDEN & set(value):
        raise TopicError(f"{label} must be non-empty without '/', '+' or '#': {value[:60]!r}")
