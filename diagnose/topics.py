"""Every MQTT topic of the platform, built and parsed in one place: JSON plant topics, Sparkplug B's namespace,
and the subscription filters and ACL patterns the broker's accounts are made of.

Plant topics: `plant/{USCC}/{source}/{kind}`, where `source` is a device's id or a gateway's (its machines
then come from the payload) and `kind` one of JSON_KINDS. Sparkplug B 3.0 (§4.1):
`spBv1.0/{group}/{message_type}/{edge_node}[/{device}]`, the group being the enterprise's USCC, and the host
applications' `spBv1.0/STATE/{host_id}`. Pure: strings in, frozen dataclasses or strings out; a malformed
topic raises TopicError saying what is wrong. The collectors (collectors/) and the broker-account and
connection-check services (diagnose/services/) both import this module, so it lives in diagnose/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from diagnose.schemas.devices import DEVICE_ID_RE, DEVICE_ID_RULE, DEVICE_ID_RULE_ZH
from scoring.uscc import is_valid_uscc

PLANT = "plant"
NAMESPACE = "spBv1.0"
ANY: Final = "+"  # MQTT's one-level wildcard
REST: Final = "#"  # MQTT's multi-level wildcard

JsonKind = Literal["telemetry", "birth", "status"]
JSON_KINDS: tuple[JsonKind, ...] = ("telemetry", "birth", "status")
MessageType = Literal["NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH", "NCMD", "DCMD"]
NODE_TYPES: tuple[MessageType, ...] = ("NBIRTH", "NDATA", "NDEATH", "NCMD")
DEVICE_TYPES: tuple[MessageType, ...] = ("DBIRTH", "DDATA", "DDEATH", "DCMD")
Family = Literal["plant", "sparkplug"]
_FORBIDDEN = frozenset("/+#")  # ids are UTF-8 strings without MQTT's separator or wildcards (§4.1.1)


class TopicError(ValueError):
    """The topic is not one of the platform's, or one of its levels is malformed."""


@dataclass(frozen=True, slots=True)
class PlantTopic:
    """`plant/{uscc}/{source}/{kind}`."""

    uscc: str
    source: str
    kind: JsonKind

    def __str__(self) -> str:
        """The topic string."""
        return f"{PLANT}/{self.uscc}/{self.source}/{self.kind}"


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


# --- building topics -------------------------------------------------------------------------------------


def plant(uscc: str, source: str, kind: JsonKind) -> str:
    """A JSON plant topic; TopicError if a level is empty or holds '/', '+' or '#'."""
    check_level("uscc", uscc)
    check_level("source", source)
    if kind not in JSON_KINDS:
        raise TopicError(f"plant topic kind must be one of {'|'.join(JSON_KINDS)}: {kind[:20]!r}")
    return str(PlantTopic(uscc, source, kind))


def plant_filter(uscc: str = ANY, source: str = ANY, kind: JsonKind | Literal["+", "#"] = REST) -> str:
    """A filter or ACL pattern over plant topics (`+` for any enterprise or source, `#` for every kind)."""
    return f"{PLANT}/{uscc}/{source}/{kind}"


def plant_filters(uscc: str = ANY, source: str = ANY) -> list[str]:
    """One filter per JSON kind (telemetry, birth, status) of these enterprises and sources."""
    return [plant_filter(uscc, source, kind) for kind in JSON_KINDS]


def plant_prefix(uscc: str, source: str | None = None) -> str:
    """What every topic of an enterprise (or of one of its sources) starts with, for a prefix match."""
    return f"{PLANT}/{uscc}/" + (f"{source}/" if source is not None else "")


def shared(group: str, topic_filter: str) -> str:
    """An MQTT 5 shared subscription's filter (§4.8.2)."""
    return f"$share/{group}/{topic_filter}"


def sparkplug(group: str, message_type: MessageType, edge: str, device: str | None = None) -> str:
    """A Sparkplug topic; TopicError if an id is malformed or the type and the device do not agree."""
    check_level("group_id", group)
    check_level("edge_node_id", edge)
    if device is not None:
        check_level("device_id", device)
    if (message_type in DEVICE_TYPES) != (device is not None) or message_type not in (
        *NODE_TYPES,
        *DEVICE_TYPES,
    ):
        raise TopicError(f"Sparkplug {message_type[:20]!r}: a device type names a device, a node type none")
    return str(SparkplugTopic(group, message_type, edge, device))


def sparkplug_filter(
    group: str = ANY, message_type: MessageType | Literal["+"] = ANY, edge: str = ANY, rest: bool = False
) -> str:
    """A filter or ACL pattern over Sparkplug topics; `rest` adds `/#` (the devices below the edge node)."""
    return f"{NAMESPACE}/{group}/{message_type}/{edge}" + (f"/{REST}" if rest else "")


def sparkplug_edge_filters(group: str, edge: str) -> tuple[str, str]:
    """Every topic of one edge node: its own messages, and its devices' (`…/{edge}/#`)."""
    return sparkplug_filter(group, ANY, edge), sparkplug_filter(group, ANY, edge, rest=True)


def sparkplug_prefix(group: str) -> str:
    """What every Sparkplug topic of a group starts with, for a prefix match."""
    return f"{NAMESPACE}/{group}/"


def state(host_id: str) -> str:
    """A host application's STATE topic."""
    check_level("host_id", host_id)
    return str(StateTopic(host_id))


EVERY_SPARKPLUG = f"{NAMESPACE}/{REST}"
EVERY_STATE = f"{NAMESPACE}/STATE/{REST}"


# --- parsing topics --------------------------------------------------------------------------------------


def family(topic: str) -> Family | None:
    """Which namespace a topic is in, from its first level alone (routing); None for any other."""
    head = topic.split("/", 1)[0]
    return "plant" if head == PLANT else "sparkplug" if head == NAMESPACE else None


def parse(topic: str) -> PlantTopic | SparkplugTopic | StateTopic:
    """Any of the platform's topics; TopicError saying what is wrong."""
    kind = family(topic)
    if kind == "plant":
        return parse_plant(topic)
    if kind == "sparkplug":
        return parse_sparkplug(topic)
    raise TopicError(f"not a platform topic (plant/… or {NAMESPACE}/…): {topic[:120]!r}")


def parse_plant(topic: str, *, check_ids: bool = True) -> PlantTopic:
    """A JSON plant topic; with `check_ids` the USCC's check character and the device id's grammar too."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != PLANT or parts[3] not in JSON_KINDS:
        raise TopicError(
            f"bad topic {topic[:200]!r}: expected plant/<uscc>/<device_id>/telemetry|birth|status"
        )
    if check_ids:
        if not is_valid_uscc(parts[1]):
            raise TopicError(f"bad topic: {parts[1][:40]!r} is not a valid unified social credit code")
        if not DEVICE_ID_RE.match(parts[2]):
            raise TopicError(
                f"bad topic: device id {parts[2][:80]!r}: {DEVICE_ID_RULE_ZH} ({DEVICE_ID_RULE})"
            )
    else:
        check_level("uscc", parts[1])
        check_level("source", parts[2])
    return PlantTopic(parts[1], parts[2], parts[3])  # checked: one of JSON_KINDS


def parse_sparkplug(topic: str) -> SparkplugTopic | StateTopic:
    """Split a Sparkplug topic into its parts; TopicError saying what is wrong."""
    parts = topic.split("/")
    if parts[0] != NAMESPACE:
        raise TopicError(f"not a Sparkplug B topic (namespace must be {NAMESPACE}): {topic[:120]!r}")
    if len(parts) == 3 and parts[1] == "STATE":
        check_level("host_id", parts[2])
        return StateTopic(parts[2])
    if len(parts) not in (4, 5):
        raise TopicError(f"Sparkplug topic needs 4 or 5 levels, got {len(parts)}: {topic[:120]!r}")
    group_id, message_type, edge_node_id = parts[1], parts[2], parts[3]
    check_level("group_id", group_id)
    check_level("edge_node_id", edge_node_id)
    if message_type in NODE_TYPES:
        if len(parts) != 4:
            raise TopicError(f"{message_type} topic must not name a device: {topic[:120]!r}")
        return SparkplugTopic(group_id, message_type, edge_node_id)
    if message_type in DEVICE_TYPES:
        if len(parts) != 5:
            raise TopicError(f"{message_type} topic must name a device: {topic[:120]!r}")
        check_level("device_id", parts[4])
        return SparkplugTopic(group_id, message_type, edge_node_id, parts[4])
    raise TopicError(f"unknown Sparkplug message type {message_type[:20]!r}")


def scope_and_device(topic: str) -> tuple[str, str]:
    """(scope, device) a topic is about, loosely (dead-letter counts, matching letters to devices):
    `plant/{scope}/{device}/…`, `spBv1.0/{scope}/{type}/{edge}[/{device}]` (the edge node when no device);
    ("", "") for other topics. Malformed topics are not refused: they are what dead letters hold."""
    parts = topic.split("/", 5)
    if parts[0] == PLANT and len(parts) >= 3:
        return parts[1], parts[2]
    if parts[0] == NAMESPACE and len(parts) >= 4:
        return parts[1], parts[4] if len(parts) >= 5 else parts[3]
    return "", ""


def check_level(label: str, value: str) -> None:
    """TopicError unless `value` can be one topic level: non-empty, without '/', '+' or '#'."""
    if not value or _FORBIDDEN & set(value):
        raise TopicError(f"{label} must be non-empty without '/', '+' or '#': {value[:60]!r}")
