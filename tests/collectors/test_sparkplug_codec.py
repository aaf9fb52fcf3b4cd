"""Sparkplug B codec and topic namespace."""

from __future__ import annotations

import json

import pytest

from collectors.sparkplug import sparkplug_b_pb2 as pb
from collectors.sparkplug.codec import (
    BD_SEQ,
    REBIRTH,
    MetricSpec,
    PayloadDecodeError,
    decode_payload,
    encode_payload,
    metric_value,
    nbirth_payload,
    ndeath_payload,
    rebirth_request_payload,
)
from collectors.sparkplug.topics import (
    SparkplugTopic,
    StateTopic,
    TopicError,
    parse_state_payload,
    parse_topic,
    state_payloads,
    state_topic,
)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (MetricSpec("a", -5, datatype=pb.Int8), -5),
        (MetricSpec("a", -70000, datatype=pb.Int32), -70000),
        (MetricSpec("a", 4_000_000_000, datatype=pb.UInt32), 4_000_000_000),
        (MetricSpec("a", -(2**40)), -(2**40)),
        (MetricSpec("a", 2**63, datatype=pb.UInt64), 2**63),
        (MetricSpec("a", 1.5, datatype=pb.Float), 1.5),
        (MetricSpec("a", 0.1), 0.1),
        (MetricSpec("a", True), True),
        (MetricSpec("a", "RUN"), "RUN"),
        (MetricSpec("a", b"\x00\x01"), b"\x00\x01"),
        (MetricSpec("a", None, datatype=pb.Double), None),
    ],
)
def test_metric_values_round_trip(spec: MetricSpec, expected: object) -> None:
    message = decode_payload(encode_payload([spec], timestamp_ms=1, seq=7))
    assert message.seq == 7
    assert metric_value(message.metrics[0]) == expected


def test_int8_sent_as_a_single_byte_is_read_as_signed() -> None:
    # Some edge nodes put an Int8 of -1 as 255 rather than 0xFFFFFFFF: both mean -1.
    metric = pb.Payload.Metric(name="a", datatype=pb.Int8, int_value=255)
    assert metric_value(metric) == -1


@pytest.mark.parametrize("garbage", [b"\xff\xff\xff", b"garbage", b"\x0a\x05abc"])
def test_garbage_raises_a_clear_error(garbage: bytes) -> None:
    with pytest.raises(PayloadDecodeError, match="not a Sparkplug B protobuf payload"):
        decode_payload(garbage)


def test_birth_death_and_rebirth_builders_follow_the_spec() -> None:
    birth = decode_payload(nbirth_payload([MetricSpec("state", "RUN", alias=1)], bd_seq=3, timestamp_ms=5))
    assert birth.seq == 0
    assert [(m.name, metric_value(m)) for m in birth.metrics] == [
        (BD_SEQ, 3),
        (REBIRTH, False),
        ("state", "RUN"),
    ]
    death = decode_payload(ndeath_payload(bd_seq=3, timestamp_ms=5))
    assert not death.HasField("seq")
    assert [(m.name, metric_value(m)) for m in death.metrics] == [(BD_SEQ, 3)]
    rebirth = decode_payload(rebirth_request_payload(timestamp_ms=5))
    assert [(m.name, m.datatype, metric_value(m)) for m in rebirth.metrics] == [(REBIRTH, pb.Boolean, True)]


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("spBv1.0/G1/NBIRTH/edge1", SparkplugTopic("G1", "NBIRTH", "edge1")),
        ("spBv1.0/G1/NDATA/edge1", SparkplugTopic("G1", "NDATA", "edge1")),
        ("spBv1.0/G1/NDEATH/edge1", SparkplugTopic("G1", "NDEATH", "edge1")),
        ("spBv1.0/G1/NCMD/edge1", SparkplugTopic("G1", "NCMD", "edge1")),
        ("spBv1.0/G1/DBIRTH/edge1/cnc-01", SparkplugTopic("G1", "DBIRTH", "edge1", "cnc-01")),
        ("spBv1.0/G1/DDATA/edge1/cnc-01", SparkplugTopic("G1", "DDATA", "edge1", "cnc-01")),
        ("spBv1.0/G1/DDEATH/edge1/cnc-01", SparkplugTopic("G1", "DDEATH", "edge1", "cnc-01")),
        ("spBv1.0/G1/DCMD/edge1/cnc-01", SparkplugTopic("G1", "DCMD", "edge1", "cnc-01")),
        ("spBv1.0/STATE/host-a", StateTopic("host-a")),
    ],
)
def test_topics_parse_and_print_back(topic: str, expected: object) -> None:
    parsed = parse_topic(topic)
    assert parsed == expected
    assert str(parsed) == topic


@pytest.mark.parametrize(
    "topic",
    [
        "spAv1.0/G1/NBIRTH/edge1",
        "spBv1.0/G1/NBIRTH",
        "spBv1.0/G1/NBIRTH/edge1/dev",
        "spBv1.0/G1/DDATA/edge1",
        "spBv1.0/G1/XDATA/edge1",
        "spBv1.0//NDATA/edge1",
        "spBv1.0/G1/NDATA/edge+1",
        "spBv1.0/STATE/",
    ],
)
def test_bad_topics_raise(topic: str) -> None:
    with pytest.raises(TopicError):
        parse_topic(topic)


def test_state_birth_and_will_share_the_timestamp() -> None:
    birth, will = state_payloads(1_700_000_000_000)
    assert json.loads(birth) == {"online": True, "timestamp": 1_700_000_000_000}
    assert json.loads(will) == {"online": False, "timestamp": 1_700_000_000_000}
    assert parse_state_payload(will).online is False
    assert state_topic("diagnose-1") == "spBv1.0/STATE/diagnose-1"


@pytest.mark.parametrize("payload", [b"nope", b"[]", b'{"online": 1, "timestamp": 5}', b'{"online": true}'])
def test_bad_state_payloads_raise(payload: bytes) -> None:
    with pytest.raises(TopicError):
        parse_state_payload(payload)
