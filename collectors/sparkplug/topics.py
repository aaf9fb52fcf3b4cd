"""Sparkplug B 3.0 topic namespace (§4.1; built and parsed in diagnose/topics.py) and the host application's
STATE messages (§7.2)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from diagnose import topics
from diagnose.topics import (
    DEVICE_TYPES,
    NAMESPACE,
    NODE_TYPES,
    MessageType,
    SparkplugTopic,
    StateTopic,
    TopicError,
)

__all__ = [
    "DEVICE_TYPES",
    "NAMESPACE",
    "NODE_TYPES",
    "HostState",
    "MessageType",
    "SparkplugTopic",
    "StateTopic",
    "TopicError",
    "parse_state_payload",
    "parse_topic",
    "state_payloads",
    "state_topic",
]

STATE_QOS = 1  # §7.2: STATE birth and will are published with QoS 1 and retained
STATE_RETAIN = True


@dataclass(frozen=True, slots=True)
class HostState:
    """A decoded STATE payload: {"online": bool, "timestamp": epoch ms}."""

    online: bool
    timestamp_ms: int


def parse_topic(topic: str) -> SparkplugTopic | StateTopic:
    """Split a Sparkplug topic into its parts; raise TopicError saying what is wrong."""
    return topics.parse_sparkplug(topic)


def state_topic(host_id: str) -> str:
    """The host application's STATE topic."""
    return topics.state(host_id)


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
