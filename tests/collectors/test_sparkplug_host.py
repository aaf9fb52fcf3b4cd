"""The Sparkplug B host state machine through a node's whole life: births, data by alias, seq, deaths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collectors.models import DeviceBirth, DeviceDeath, Reading, Rejected
from collectors.sparkplug import sparkplug_b_pb2 as pb
from collectors.sparkplug.codec import (
    REBIRTH,
    MetricSpec,
    decode_payload,
    encode_payload,
    metric_value,
    nbirth_payload,
    ndeath_payload,
)
from collectors.sparkplug.host import HostResult, SparkplugHost, key_ms
from scoring.uscc import make_uscc

USCC = make_uscc("91320412MA0000010")
OTHER_USCC = make_uscc("91320500MA0000020")
T0_MS = 1_718_000_000_000
NOW = datetime(2024, 6, 10, 6, 0, tzinfo=UTC)
NODE = f"spBv1.0/{USCC}/{{}}/edge1"
DEV = f"spBv1.0/{USCC}/{{}}/edge1/cnc-01"


def at(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


class Node:
    """A scripted edge node with one device: numbers its messages like a real one."""

    def __init__(self, host: SparkplugHost, bd_seq: int = 0) -> None:
        self.host, self.bd_seq, self.seq = host, bd_seq, 0

    def send(self, kind: str, metrics: list[MetricSpec], ts_ms: int, *, seq: int | None = None) -> HostResult:
        if seq is None:
            self.seq = (self.seq + 1) % 256
            seq = self.seq
        topic = (DEV if kind.startswith("D") else NODE).format(kind)
        return self.host.handle(topic, encode_payload(metrics, timestamp_ms=ts_ms, seq=seq), NOW)

    def birth(self) -> list[HostResult]:
        self.seq = 0
        nbirth = nbirth_payload([], bd_seq=self.bd_seq, timestamp_ms=T0_MS)
        dbirth = [
            MetricSpec("kind", "CNC"),
            MetricSpec("model", "VMC-850"),
            MetricSpec("ideal_cycle_s", 30.0),
            MetricSpec("state", "IDLE", alias=1),
            MetricSpec("count_total", 0, alias=2, datatype=pb.UInt64),
            MetricSpec("count_good", 0, alias=3, datatype=pb.UInt64),
            MetricSpec("power_kw", 1.5, alias=4),
            MetricSpec("spindle_rpm", 0.0, alias=5),
        ]
        return [self.host.handle(NODE.format("NBIRTH"), nbirth, NOW), self.send("DBIRTH", dbirth, T0_MS)]


@pytest.fixture
def host() -> SparkplugHost:
    return SparkplugHost()


@pytest.fixture
def node(host: SparkplugHost) -> Node:
    edge = Node(host)
    edge.birth()
    return edge


def data(ts_ms: int, *, state: int | None = 0, count: int = 10) -> list[MetricSpec]:
    metrics = [MetricSpec(None, count, alias=2, datatype=pb.UInt64, timestamp_ms=ts_ms)]
    if state is not None:
        metrics.append(MetricSpec(None, state, alias=1, datatype=pb.Int32, timestamp_ms=ts_ms))
    return metrics


def only(result: HostResult) -> object:
    assert len(result.parsed) == 1, result
    return result.parsed[0]


def test_births_announce_the_device_and_its_first_values(host: SparkplugHost) -> None:
    nbirth, dbirth = Node(host).birth()
    assert nbirth == HostResult()
    birth, reading = dbirth.parsed
    assert birth == DeviceBirth(USCC, "cnc-01", "CNC", "VMC-850", 30.0, source="sparkplug", edge_node="edge1")
    assert isinstance(reading, Reading) and key_ms(reading.seq) == T0_MS
    assert reading == Reading(
        uscc=USCC, device_id="cnc-01", seq=reading.seq, ts=at(T0_MS), source="sparkplug", state="IDLE",
        count_total=0, count_good=0, power_kw=1.5, metrics={"spindle_rpm": 0.0},
    )  # fmt: skip
    assert host.is_online(USCC, "edge1", "cnc-01")


def test_ddata_resolves_aliases_and_keys_by_the_timestamp_then_the_content(node: Node) -> None:
    reading = only(node.send("DDATA", data(T0_MS + 1000, count=12), T0_MS + 1000))
    assert isinstance(reading, Reading) and key_ms(reading.seq) == T0_MS + 1000
    assert reading == Reading(
        uscc=USCC, device_id="cnc-01", seq=reading.seq, ts=at(T0_MS + 1000), source="sparkplug",
        state="RUN", count_total=12,
    )  # fmt: skip


def test_seq_wraps_from_255_to_0_without_a_rebirth(node: Node) -> None:
    results = [node.send("DDATA", data(T0_MS + i), T0_MS + i) for i in range(1, 301)]
    assert all(isinstance(only(result), Reading) for result in results)
    assert not any(result.commands for result in results)
    assert node.seq == (1 + 300) % 256  # DBIRTH took seq 1


def test_seq_gap_requests_one_rebirth_and_ignores_data_until_nbirth(node: Node, host: SparkplugHost) -> None:
    node.send("DDATA", data(T0_MS + 1), T0_MS + 1)
    gap = node.send("DDATA", data(T0_MS + 3), T0_MS + 3, seq=5)
    rejected = only(gap)
    assert isinstance(rejected, Rejected) and "seq gap: expected 3, got 5" in rejected.reason
    (command,) = gap.commands
    assert (command.topic, command.qos, command.retain) == (f"spBv1.0/{USCC}/NCMD/edge1", 0, False)
    assert [(m.name, metric_value(m)) for m in decode_payload(command.payload).metrics] == [(REBIRTH, True)]
    # Later data is ignored (dead-lettered) and does not flood the node with more NCMDs.
    later = node.send("DDATA", data(T0_MS + 4), T0_MS + 4, seq=6)
    assert isinstance(only(later), Rejected) and later.commands == ()
    node.birth()
    assert isinstance(only(node.send("DDATA", data(T0_MS + 5), T0_MS + 5)), Reading)


def test_rebirth_request_is_repeated_after_the_retry_period(node: Node, host: SparkplugHost) -> None:
    assert node.send("DDATA", data(T0_MS + 1), T0_MS + 1, seq=9).commands
    late = host.handle(
        DEV.format("DDATA"),
        encode_payload(data(T0_MS + 2), timestamp_ms=T0_MS, seq=10),
        NOW + timedelta(seconds=31),
    )
    assert len(late.commands) == 1


@pytest.mark.parametrize("kind", ["NDATA", "DDATA", "DBIRTH", "DDEATH"])
def test_data_before_any_birth_asks_for_a_rebirth(host: SparkplugHost, kind: str) -> None:
    result = Node(host).send(kind, data(T0_MS), T0_MS)
    assert isinstance(only(result), Rejected)
    assert [c.topic for c in result.commands] == [f"spBv1.0/{USCC}/NCMD/edge1"]


def test_undefined_alias_asks_for_a_rebirth(node: Node) -> None:
    result = node.send("DDATA", [MetricSpec(None, 1.0, alias=99)], T0_MS + 1)
    rejected = only(result)
    assert isinstance(rejected, Rejected) and "alias 99" in rejected.reason
    assert len(result.commands) == 1


def test_historical_replay_is_accepted_and_flagged(node: Node) -> None:
    replay = [
        MetricSpec(None, 5, alias=2, datatype=pb.UInt64, timestamp_ms=T0_MS - 60_000, is_historical=True),
        MetricSpec(None, "DOWN", alias=1, timestamp_ms=T0_MS - 60_000, is_historical=True),
        MetricSpec(None, 7, alias=2, datatype=pb.UInt64, timestamp_ms=T0_MS + 10),
    ]
    readings = node.send("DDATA", replay, T0_MS + 10).parsed
    assert [
        (key_ms(r.seq), r.is_historical, r.state, r.count_total) for r in readings if isinstance(r, Reading)
    ] == [
        (T0_MS - 60_000, True, "DOWN", 5),
        (T0_MS + 10, False, None, 7),
    ]


def test_ndeath_with_the_current_bdseq_takes_node_and_devices_offline(
    node: Node, host: SparkplugHost
) -> None:
    death = only(host.handle(NODE.format("NDEATH"), ndeath_payload(bd_seq=0, timestamp_ms=1), NOW))
    assert death == DeviceDeath(uscc=USCC, device_id=None, ts=NOW, edge_node="edge1")
    assert not host.is_online(USCC, "edge1") and not host.is_online(USCC, "edge1", "cnc-01")
    after = node.send("DDATA", data(T0_MS + 1), T0_MS + 1)
    assert isinstance(only(after), Rejected) and "NDEATH" in only(after).reason  # type: ignore[attr-defined]


def test_stale_ndeath_with_another_bdseq_is_ignored(host: SparkplugHost) -> None:
    node = Node(host, bd_seq=4)
    node.birth()
    stale = only(host.handle(NODE.format("NDEATH"), ndeath_payload(bd_seq=3, timestamp_ms=1), NOW))
    assert isinstance(stale, Rejected) and "stale NDEATH" in stale.reason
    assert host.is_online(USCC, "edge1", "cnc-01")
    assert isinstance(only(node.send("DDATA", data(T0_MS + 1), T0_MS + 1)), Reading)


def test_ddeath_takes_one_device_offline(node: Node, host: SparkplugHost) -> None:
    death = only(node.send("DDEATH", [], T0_MS + 5))
    assert death == DeviceDeath(uscc=USCC, device_id="cnc-01", ts=at(T0_MS + 5), edge_node="edge1")
    assert host.is_online(USCC, "edge1") and not host.is_online(USCC, "edge1", "cnc-01")


def test_enterprise_map_by_group_and_by_group_edge() -> None:
    host = SparkplugHost({"plant-a": USCC, "plant-a/edge9": OTHER_USCC})
    payload = nbirth_payload([MetricSpec("state", "RUN")], bd_seq=0, timestamp_ms=T0_MS)
    by_group = host.handle("spBv1.0/plant-a/NBIRTH/edge1", payload, NOW).parsed
    by_edge = host.handle("spBv1.0/plant-a/NBIRTH/edge9", payload, NOW).parsed
    # The node's own metrics: one reading each, flagged as node metrics (no DeviceBirth, no pending device).
    assert [(r.uscc, type(r), r.node_metrics) for r in by_group] == [(USCC, Reading, True)]  # type: ignore[union-attr]
    assert [(r.uscc, type(r), r.node_metrics) for r in by_edge] == [(OTHER_USCC, Reading, True)]  # type: ignore[union-attr]


def test_unmapped_group_that_is_not_a_uscc_is_rejected(host: SparkplugHost) -> None:
    payload = nbirth_payload([], bd_seq=0, timestamp_ms=T0_MS)
    rejected = only(host.handle("spBv1.0/plant-a/NBIRTH/edge1", payload, NOW))
    assert isinstance(rejected, Rejected) and "unified social credit code" in rejected.reason


def test_enterprise_map_values_must_be_valid_codes() -> None:
    with pytest.raises(ValueError, match="check character"):
        SparkplugHost({"plant-a": USCC[:17] + ("0" if USCC[17] != "0" else "1")})


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        ([MetricSpec(None, "WARP", alias=1)], "state"),
        ([MetricSpec(None, 17, alias=1, datatype=pb.Int32)], "state"),
        ([MetricSpec(None, -3, alias=2, datatype=pb.Int64)], "count_total"),
        ([MetricSpec(None, float("nan"), alias=4)], "power_kw"),
    ],
)
def test_bad_values_are_rejected_without_a_rebirth(
    node: Node, metrics: list[MetricSpec], reason: str
) -> None:
    result = node.send("DDATA", metrics, T0_MS + 1)
    rejected = only(result)
    assert isinstance(rejected, Rejected) and reason in rejected.reason
    assert result.commands == ()
    assert isinstance(only(node.send("DDATA", data(T0_MS + 2), T0_MS + 2)), Reading)


@pytest.mark.parametrize("topic", [f"spBv1.0/{USCC}/NCMD/edge1", "spBv1.0/STATE/other-host"])
def test_commands_and_other_hosts_state_are_not_telemetry(host: SparkplugHost, topic: str) -> None:
    assert host.handle(topic, b'{"online": true, "timestamp": 1}', NOW) == HostResult()


def test_every_metric_datatype_is_stored_or_refused_with_a_reason(node: Node) -> None:
    """No silent drop (#21): numbers as metrics, everything else as text attributes, DataSet/Template as JSON."""
    dataset = pb.Payload.DataSet(num_of_columns=2, columns=["tool", "wear"], types=[pb.String, pb.Double])
    row = dataset.rows.add()
    row.elements.add().string_value = "T1"
    row.elements.add().double_value = 0.25
    template = pb.Payload.Template(template_ref="Motor", version="1")
    inner = template.metrics.add(name="rpm", datatype=pb.Int32)
    inner.int_value = 1200
    payload = pb.Payload(timestamp=T0_MS + 1, seq=2)
    for name, datatype, field, value in [
        ("ok", pb.Boolean, "boolean_value", True),
        ("temp", pb.Float, "float_value", 21.5),
        ("count8", pb.Int8, "int_value", 0xFF),
        ("recipe", pb.String, "string_value", "钢件A"),
        ("note", pb.Text, "string_value", "first shift"),
        ("batch_id", pb.UUID, "string_value", "0b5c0e8e-1c7a-4b8f-9d9c-3b7d3a1f0c11"),
        ("started", pb.DateTime, "long_value", T0_MS),
        ("blob", pb.Bytes, "bytes_value", b"\x00\x01"),
        ("ratio", pb.Double, "double_value", float("nan")),
    ]:
        metric = payload.metrics.add(name=name, datatype=datatype)
        setattr(metric, field, value)
    payload.metrics.add(name="tools", datatype=pb.DataSet).dataset_value.CopyFrom(dataset)
    payload.metrics.add(name="motor", datatype=pb.Template).template_value.CopyFrom(template)
    payload.metrics.add(name="unset", datatype=pb.Int32, is_null=True)
    node.seq = 1
    [reading] = node.host.handle(DEV.format("DDATA"), payload.SerializeToString(), NOW).parsed
    assert isinstance(reading, Reading)
    assert reading.metrics == {"ok": 1.0, "temp": 21.5, "count8": -1.0}
    assert reading.attributes == {
        "recipe": "钢件A",
        "note": "first shift",
        "batch_id": "0b5c0e8e-1c7a-4b8f-9d9c-3b7d3a1f0c11",
        "started": "2024-06-10T06:13:20Z",
        "blob": "base64:AAE=",
        "ratio": "nan",
        "tools": '{"columns":["tool","wear"],"types":[12,10],"rows":[["T1",0.25]]}',
        "motor": '{"template_ref":"Motor","version":"1","is_definition":false,"parameters":{},'
        '"metrics":{"rpm":1200}}',
        "unset": None,
    }


def test_a_dataset_only_ddata_is_a_reading_not_an_empty_ack(node: Node) -> None:
    payload = pb.Payload(timestamp=T0_MS + 1, seq=2)
    payload.metrics.add(name="tools", datatype=pb.DataSet).dataset_value.columns.append("tool")
    node.seq = 1
    [reading] = node.host.handle(DEV.format("DDATA"), payload.SerializeToString(), NOW).parsed
    assert isinstance(reading, Reading) and reading.attributes == {
        "tools": '{"columns":["tool"],"types":[],"rows":[]}'
    }


def test_text_in_a_ddata_changes_the_key_of_an_otherwise_equal_reading(node: Node) -> None:
    first = only(node.send("DDATA", [MetricSpec("recipe", "A")], T0_MS + 1))
    second = only(node.send("DDATA", [MetricSpec("recipe", "B")], T0_MS + 1))
    assert isinstance(first, Reading) and isinstance(second, Reading) and first.seq != second.seq


def test_a_valueless_metric_is_kept_as_null_and_an_oversized_text_refused_by_name(node: Node) -> None:
    payload = pb.Payload(timestamp=T0_MS + 1, seq=2)
    payload.metrics.add(name="odd", datatype=pb.PropertySet)  # no value at all: kept as null
    node.seq = 1
    [reading] = node.host.handle(DEV.format("DDATA"), payload.SerializeToString(), NOW).parsed
    assert isinstance(reading, Reading) and reading.attributes == {"odd": None}
    node.seq = 2
    too_long = only(node.send("DDATA", [MetricSpec("note", "x" * 20_000)], T0_MS + 2))
    assert isinstance(too_long, Rejected) and "note" in too_long.reason and "20000" in too_long.reason


def test_nbirth_node_metrics_are_node_metrics_not_a_device(host: SparkplugHost) -> None:
    payload = nbirth_payload(
        [MetricSpec("kind", "gateway"), MetricSpec("cpu_load", 0.5)], bd_seq=0, timestamp_ms=T0_MS
    )
    parsed = host.handle(NODE.format("NBIRTH"), payload, NOW).parsed
    assert len(parsed) == 1 and isinstance(parsed[0], Reading)
    assert parsed[0].node_metrics and parsed[0].device_id == "edge1"
    assert parsed[0].metrics == {"cpu_load": 0.5} and parsed[0].attributes == {"kind": "gateway"}
    assert not any(isinstance(item, DeviceBirth) for item in parsed)
    ndata = host.handle(
        NODE.format("NDATA"),
        encode_payload([MetricSpec("cpu_load", 0.7)], timestamp_ms=T0_MS + 1, seq=1),
        NOW,
    ).parsed
    assert [(type(r), r.node_metrics) for r in ndata] == [(Reading, True)]  # type: ignore[union-attr]
