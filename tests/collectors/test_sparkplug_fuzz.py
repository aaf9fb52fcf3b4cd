"""Random topics and bytes thrown at the Sparkplug host: it never raises, unusable input is Rejected."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.models import DeviceBirth, DeviceDeath, Reading, Rejected
from collectors.sparkplug import sparkplug_b_pb2 as pb
from collectors.sparkplug.codec import MetricSpec, encode_payload, nbirth_payload
from collectors.sparkplug.host import SparkplugHost
from collectors.sparkplug.topics import TopicError, parse_topic
from scoring.uscc import make_uscc

USCC = make_uscc("91320412MA0000010")
NOW = datetime(2024, 6, 10, tzinfo=UTC)
KINDS = ["NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH", "NCMD", "DCMD", "XDATA"]

topics = st.one_of(
    st.text(max_size=60),
    st.builds(
        "/".join,
        st.lists(
            st.one_of(
                st.sampled_from(["spBv1.0", USCC, "plant-a", "edge1", "dev-1", "STATE", "", "+", *KINDS]),
                st.text(max_size=8),
            ),
            min_size=1,
            max_size=6,
        ),
    ),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.binary(max_size=8),
)
names = st.one_of(
    st.none(),
    st.sampled_from(["state", "count_total", "count_good", "power_kw", "bdSeq", "kind", "ideal_cycle_s"]),
    st.text(max_size=70),
)


@st.composite
def metric_specs(draw: st.DrawFn) -> MetricSpec:
    value = draw(scalars)
    datatype = draw(st.sampled_from([None, *range(0, 35)])) if value is not None else pb.Double
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value < 0
        and datatype in (pb.UInt64, pb.UInt32)
    ):
        datatype = None
    return MetricSpec(
        name=draw(names),
        value=value,
        alias=draw(st.one_of(st.none(), st.integers(min_value=0, max_value=2**64 - 1))),
        timestamp_ms=draw(st.one_of(st.none(), st.integers(min_value=0, max_value=2**64 - 1))),
        datatype=datatype,
        is_historical=draw(st.booleans()),
    )


payloads = st.one_of(
    st.binary(max_size=200),
    st.builds(
        lambda metrics, ts, seq: encode_payload(metrics, timestamp_ms=ts, seq=seq),
        st.lists(metric_specs(), max_size=6),
        st.integers(min_value=0, max_value=2**64 - 1),
        st.one_of(st.none(), st.integers(min_value=0, max_value=300)),
    ),
)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(st.tuples(topics, payloads), min_size=1, max_size=12))
def test_host_never_raises_and_dead_letters_bad_topics(messages: list[tuple[str, bytes]]) -> None:
    host = SparkplugHost()
    # A real birth first, so the random messages also exercise the born-node paths.
    host.handle(f"spBv1.0/{USCC}/NBIRTH/edge1", nbirth_payload([], bd_seq=0, timestamp_ms=1), NOW)
    for topic, payload in messages:
        result = host.handle(topic, payload, NOW)
        assert all(isinstance(item, Reading | DeviceBirth | DeviceDeath | Rejected) for item in result.parsed)
        for command in result.commands:
            assert parse_topic(command.topic).message_type == "NCMD"  # type: ignore[union-attr]
        try:
            parse_topic(topic)
        except TopicError:
            assert [type(item) for item in result.parsed] == [Rejected]
        for item in result.parsed:
            if isinstance(item, Rejected):
                assert item.topic == topic and item.payload == payload and item.reason
                assert not item.reason.startswith("sparkplug host error"), item.reason  # no bug paths
            if isinstance(item, Reading):
                assert item.uscc == USCC and item.source == "sparkplug" and item.ts.tzinfo is not None
