"""The one topic module: every topic form built and parsed back, malformed topics refused with their reason,
and the broker's ACL patterns as Mosquitto reads them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from diagnose import topics
from diagnose.topics import PlantTopic, SparkplugTopic, StateTopic, TopicError
from scoring.uscc import make_uscc

USCC = make_uscc("91320412MA0000010")


@pytest.mark.parametrize("kind", topics.JSON_KINDS)
@pytest.mark.parametrize("source", ["M01", "gw-1", "line.2:cnc_3"])
def test_a_plant_topic_round_trips(kind: topics.JsonKind, source: str) -> None:
    built = topics.plant(USCC, source, kind)
    assert built == f"plant/{USCC}/{source}/{kind}"
    assert topics.parse(built) == topics.parse_plant(built) == PlantTopic(USCC, source, kind)
    assert str(topics.parse(built)) == built
    assert topics.family(built) == "plant"
    assert topics.scope_and_device(built) == (USCC, source)


@pytest.mark.parametrize(
    ("message_type", "device"),
    [("NBIRTH", None), ("NDATA", None), ("NDEATH", None), ("NCMD", None)]
    + [(t, "M01") for t in ("DBIRTH", "DDATA", "DDEATH", "DCMD")],
)
def test_a_sparkplug_topic_round_trips(message_type: topics.MessageType, device: str | None) -> None:
    built = topics.sparkplug(USCC, message_type, "edge1", device)
    assert built == f"spBv1.0/{USCC}/{message_type}/edge1" + (f"/{device}" if device else "")
    assert topics.parse(built) == SparkplugTopic(USCC, message_type, "edge1", device)
    assert str(topics.parse(built)) == built
    assert topics.family(built) == "sparkplug"
    assert topics.scope_and_device(built) == (USCC, device or "edge1")


def test_a_host_state_topic_round_trips() -> None:
    assert topics.state("diagnose-collector") == "spBv1.0/STATE/diagnose-collector"
    assert topics.parse("spBv1.0/STATE/diagnose-collector") == StateTopic("diagnose-collector")


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("plant/x/M01", "expected plant/<uscc>/<device_id>/telemetry|birth|status"),
        (f"plant/{USCC}/M01/telemetry/extra", "expected plant/<uscc>/<device_id>/telemetry|birth|status"),
        (f"plant/{USCC}/M01/metrics", "expected plant/<uscc>/<device_id>/telemetry|birth|status"),
        ("plant/91320412MA000001XX/M01/telemetry", "is not a valid unified social credit code"),
        (f"plant/{USCC}/a b/telemetry", "device id 'a b'"),
        (f"plant/{USCC}/../telemetry", "device id '..'"),
        (f"plant/{USCC}//telemetry", "device id ''"),
        ("spBv1.0/G1/NDATA", "needs 4 or 5 levels, got 3"),
        ("spBv1.0/G1/NDATA/e1/M01", "NDATA topic must not name a device"),
        ("spBv1.0/G1/DDATA/e1", "DDATA topic must name a device"),
        ("spBv1.0/G1/XDATA/e1", "unknown Sparkplug message type 'XDATA'"),
        ("spBv1.0//NDATA/e1", "group_id must be non-empty"),
        ("spBv1.0/G1/DDATA/e1/+", "device_id must be non-empty without '/', '+' or '#'"),
        ("spBv1.0/STATE/", "host_id must be non-empty"),
        ("factory/G1/x", "not a platform topic"),
        ("", "not a platform topic"),
    ],
)
def test_a_malformed_topic_is_refused_with_its_reason(topic: str, reason: str) -> None:
    with pytest.raises(TopicError) as refused:
        topics.parse(topic)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: topics.plant(USCC, "M/01", "telemetry"), "source must be non-empty without '/', '+' or '#'"),
        (lambda: topics.plant(USCC, "+", "telemetry"), "source must be non-empty"),
        (lambda: topics.plant("", "M01", "telemetry"), "uscc must be non-empty"),
        (
            lambda: topics.plant(USCC, "M01", "metrics"),
            "plant topic kind must be one of telemetry|birth|status",
        ),
        (lambda: topics.sparkplug("G1", "DDATA", "e1"), "a device type names a device"),
        (lambda: topics.sparkplug("G1", "NDATA", "e1", "M01"), "a node type none"),
        (lambda: topics.sparkplug("G1", "NDATA", "e#"), "edge_node_id must be non-empty"),
        (lambda: topics.state("a/b"), "host_id must be non-empty"),
    ],
)
def test_building_refuses_a_level_that_would_change_the_topic(build: Callable[[], str], reason: str) -> None:
    with pytest.raises(TopicError) as refused:
        build()
    assert reason in str(refused.value)


def test_a_loose_parse_reads_a_gateway_source_without_checking_ids() -> None:
    """A payload profile's source is looked up before the ids are checked (their refusals say "source")."""
    assert topics.parse_plant("plant/anything/gw-1/telemetry", check_ids=False) == PlantTopic(
        "anything", "gw-1", "telemetry"
    )
    with pytest.raises(TopicError, match="source must be non-empty"):
        topics.parse_plant("plant/x//telemetry", check_ids=False)


def test_filters_and_acl_patterns() -> None:
    assert topics.plant_filters(USCC) == [f"plant/{USCC}/+/{k}" for k in ("telemetry", "birth", "status")]
    assert topics.plant_filters(USCC, "M01") == [
        f"plant/{USCC}/M01/{k}" for k in ("telemetry", "birth", "status")
    ]
    assert topics.plant_filter(kind="telemetry") == "plant/+/+/telemetry"
    assert topics.plant_filter(USCC) == f"plant/{USCC}/+/#"
    assert topics.shared("g", "plant/+/+/telemetry") == "$share/g/plant/+/+/telemetry"
    assert topics.plant_prefix(USCC) == f"plant/{USCC}/"
    assert topics.plant_prefix(USCC, "M01") == f"plant/{USCC}/M01/"
    assert topics.sparkplug_edge_filters("G1", "e1") == ("spBv1.0/G1/+/e1", "spBv1.0/G1/+/e1/#")
    assert topics.sparkplug_filter("G1", "NCMD", "e1", rest=True) == "spBv1.0/G1/NCMD/e1/#"
    assert topics.sparkplug_filter(message_type="DCMD", edge=topics.REST) == "spBv1.0/+/DCMD/#"
    assert topics.sparkplug_prefix("G1") == "spBv1.0/G1/"
    assert (topics.EVERY_SPARKPLUG, topics.EVERY_STATE) == ("spBv1.0/#", "spBv1.0/STATE/#")


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("plant/x", ("", "")),
        ("spBv1.0/G1/NDATA", ("", "")),
        ("other/a/b/c", ("", "")),
        ("plant/a/b", ("a", "b")),
    ],
)
def test_scope_and_device_is_loose_for_what_dead_letters_hold(topic: str, expected: tuple[str, str]) -> None:
    assert topics.scope_and_device(topic) == expected
