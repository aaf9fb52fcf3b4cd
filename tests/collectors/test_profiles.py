"""Payload profiles, pure: recorded gateway payloads → readings, and what a profile does with odd input."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.models import DEVICE_STATES, Reading, Rejected
from collectors.payloads import parse_message
from collectors.profiles import parse
from diagnose.payload_profiles import DEVICE_STATES as PROFILE_STATES
from diagnose.payload_profiles import ProfileError, builtins, load_profile, read_ts
from tests import factories

USCC = factories.uscc()
CASES = sorted((Path(__file__).parents[1] / "cases" / "gateways").glob("*.json"))
RECEIVED = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def load_case(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def run(profile: str | Any, body: Any, source: str = "D01") -> tuple[Any, ...]:
    chosen = builtins()[profile] if isinstance(profile, str) else profile
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse(f"plant/{USCC}/{source}/telemetry", payload, chosen, received_at=RECEIVED)


def as_expected(item: Any) -> dict[str, Any]:
    """What a fixture's expectation lists, from a parsed item."""
    if isinstance(item, Rejected):
        return {"rejected": item.reason}
    shown: dict[str, Any] = {"device_id": item.device_id, "ts": item.ts.isoformat()}
    for name in ("state", "count_total", "count_good", "power_kw", "energy_kwh", "current_a"):
        if getattr(item, name) is not None:
            shown[name] = getattr(item, name)
    if item.metrics:
        shown["metrics"] = item.metrics
    if item.attributes:
        shown["attributes"] = item.attributes
    return shown


def expected(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**entry, "ts": RECEIVED.isoformat()} if entry.get("ts") == "received" else entry
        for entry in case["expect"]
    ]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_recorded_gateway_payloads_give_the_documented_readings(path: Path) -> None:
    case = load_case(path)
    assert case["source_url"].startswith("https://")
    got = [as_expected(item) for item in run(case["profile"], case["payload"], case["source"])]
    want = expected(case)
    assert len(got) == len(want)
    for have, should in zip(got, want, strict=True):
        if "rejected" in should:
            assert should["rejected"] in have.get("rejected", ""), have
        else:
            assert have == should


def test_every_builtin_cites_its_documentation_and_has_a_recorded_payload() -> None:
    recorded = {load_case(path)["profile"] for path in CASES}
    for name, profile in builtins().items():
        assert profile.source_url, name
        assert name == "plant-json" or profile.source_url.startswith("https://"), name
        assert name == "plant-json" or name in recorded, f"no recorded payload for {name}"


def test_profiles_know_the_collectors_states() -> None:
    assert PROFILE_STATES == DEVICE_STATES


def test_a_number_sent_as_text_is_read_and_one_odd_field_keeps_the_counters() -> None:
    body = {
        "ts": "2026-12-07T08:00:00Z",
        "count_total": "120",
        "count_good": 118,
        "current_a": "14.2",
        "node": "modbus-1",
        "limits": {"hi": 3},
        "rpm": "1e3",
    }
    (reading,) = run("plant-json", body)
    assert isinstance(reading, Reading)
    assert (reading.count_total, reading.count_good, reading.current_a) == (120, 118, 14.2)
    assert reading.metrics == {"rpm": 1000.0}
    assert reading.attributes == {"node": "modbus-1", "limits": '{"hi":3}'}


def test_a_bad_counter_is_kept_as_text_with_the_reason_and_the_rest_is_stored() -> None:
    (reading,) = run("plant-json", {"ts": 1_765_094_400_000, "count_total": "abc", "count_good": -1, "x": 2})
    assert isinstance(reading, Reading)
    assert reading.count_total is None and reading.count_good is None
    assert reading.metrics == {"x": 2.0}
    assert reading.attributes["count_total"] == "abc" and reading.attributes["count_good"] == "-1"
    assert "count_total: not a number for count_total" in reading.attributes["_problems"]
    assert "count_good: count_good must be an integer" in reading.attributes["_problems"]


def test_without_seq_a_redelivery_has_the_same_key_and_another_reading_another() -> None:
    body = {"ts": 1_765_094_400_000, "count_total": 5, "state": "RUN"}
    (first,) = run("plant-json", body)
    (again,) = run("plant-json", body)
    (other,) = run("plant-json", {**body, "count_total": 6})
    assert isinstance(first, Reading) and isinstance(again, Reading) and isinstance(other, Reading)
    assert first.seq == again.seq != other.seq
    assert first.seq >> 20 == 1_765_094_400_000  # ordered like the time
    (sent,) = run("plant-json", {**body, "seq": 41})
    assert isinstance(sent, Reading) and sent.seq == 41


def test_a_bad_seq_falls_back_to_the_content_key_and_says_so() -> None:
    (reading,) = run("plant-json", {"ts": 1_765_094_400_000, "seq": "x1", "count_total": 5})
    assert isinstance(reading, Reading) and reading.count_total == 5
    assert reading.seq >> 20 == 1_765_094_400_000
    assert "seq:" in reading.attributes["_problems"]


def test_plant_json_reads_what_the_strict_parser_reads() -> None:
    """The built-in flat profile gives the same reading as today's parser for every message it accepts."""
    bodies = [
        {"ts": "2026-11-24T08:00:00Z", "seq": 1, "state": "RUN", "count_total": 10, "count_good": 9},
        {"ts": 1_764_000_000_000, "seq": 2, "power_kw": 3.5, "energy_kwh": 100.25, "current_a": 7.0},
        {"ts": "2026-11-24T08:00:00+08:00", "seq": 3, "spindle_rpm": 3000, "state": "PLANNED_STOP"},
    ]
    topic = f"plant/{USCC}/D01/telemetry"
    for body in bodies:
        strict = parse_message(topic, json.dumps(body).encode())
        (lenient,) = run("plant-json", body)
        assert isinstance(strict, Reading) and isinstance(lenient, Reading)
        assert lenient.profile == "plant-json"
        assert replace(lenient, profile=None) == strict


@pytest.mark.parametrize(
    ("value", "fmt", "iso"),
    [
        (1_765_094_400, "auto", "2025-12-07T08:00:00+00:00"),
        (1_765_094_400_000, "auto", "2025-12-07T08:00:00+00:00"),
        (1_765_094_400_000_123, "auto", "2025-12-07T08:00:00.000123+00:00"),
        ("1765094400000", "auto", "2025-12-07T08:00:00+00:00"),
        ("2025-12-07T16:00:00+08:00", "auto", "2025-12-07T08:00:00+00:00"),
        (1_765_094_400, "epoch_s", "2025-12-07T08:00:00+00:00"),
        (1_765_094_400_000_000, "epoch_us", "2025-12-07T08:00:00+00:00"),
    ],
)
def test_timestamps_rfc3339_and_epoch_units(value: object, fmt: str, iso: str) -> None:
    assert read_ts(value, fmt).isoformat() == iso


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        (1_765_094_400_000, "epoch_s"),  # ms declared as seconds: year 57900
        (1_765_094_400, "epoch_ms"),  # seconds declared as ms: 1970
        (12345, "auto"),  # no unit gives 2000-2100
        ("2025-12-07T08:00:00", "auto"),  # no offset
        ("2025-12-07T08:00:00Z", "epoch_ms"),
        (True, "auto"),
    ],
)
def test_timestamps_refused(value: object, fmt: str) -> None:
    with pytest.raises(Exception, match="ts"):
        read_ts(value, fmt)


PLC = {
    "name": "line1-plc",
    "title": "一号线 PLC",
    "device": {"source": "field", "field": "machine"},
    "ts": {"field": "time", "format": "epoch_s"},
    "values": {"layout": "object", "field": "data"},
    "state": {"field": "status", "map": {"0": "OFF", "1": "IDLE", "2": "RUN", "3": "DOWN"}},
    "columns": {
        "count_total": {"field": "pieces"},
        "power_kw": {"field": "power_w", "scale": 0.001},
    },
    "metrics": {"temp_c": {"field": "temp_raw", "scale": 0.1, "offset": -40}},
    "other_text": "ignore",
}


def test_a_custom_profile_maps_plc_codes_scales_and_ignores_text() -> None:
    profile = load_profile(PLC)
    body = {
        "machine": "M-7",
        "time": 1_765_094_400,
        "data": {"status": 3, "pieces": "77", "power_w": 12500, "temp_raw": 650, "operator": "张三"},
    }
    (reading,) = run(profile, body, source="plc-gw")
    assert isinstance(reading, Reading)
    assert (reading.device_id, reading.state, reading.count_total) == ("M-7", "DOWN", 77)
    assert reading.power_kw == pytest.approx(12.5)
    assert reading.metrics == {"temp_c": pytest.approx(25.0)}
    assert reading.attributes == {}
    (unknown,) = run(profile, {**body, "data": {"status": 9, "pieces": 1}}, source="plc-gw")
    assert isinstance(unknown, Reading) and unknown.state is None and unknown.count_total == 1
    assert "status: not a known state" in unknown.attributes["_problems"]


def test_a_gateway_message_with_one_bad_record_keeps_the_others() -> None:
    body = {
        "CNC-01": [{"ts": 1_765_094_400_000, "values": {"count_total": 1}}, {"ts": "soon", "values": {}}],
        "bad id": {"ts": 1_765_094_400_000, "values": {"x": 1}},
        "PRESS-02": {"values": {"count_total": 2}},
    }
    items = run("thingsboard-gateway", body, source="tb-gw1")
    readings = [i for i in items if isinstance(i, Reading)]
    refused = [i.reason for i in items if isinstance(i, Rejected)]
    assert [(r.device_id, r.count_total) for r in readings] == [("CNC-01", 1), ("PRESS-02", 2)]
    assert readings[1].ts == RECEIVED  # no ts: the time of arrival, as ThingsBoard does
    assert len(refused) == 2
    assert "record 2 (device CNC-01): ts: epoch_ms expected, got text" in refused[0]
    assert "device id 'bad id'" in refused[1]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({**PLC, "name": "Bad Name"}, "name：格式不对"),
        ({**PLC, "records": "device_map"}, "device.source must be 'key'"),
        ({**PLC, "ts": {"field": "t", "format": "epoch_min"}}, "ts.format：只能是"),
        ({**PLC, "colour": "red"}, "colour：不认识这个字段"),
        ({k: v for k, v in PLC.items() if k != "title"}, "title：必须填写"),
        ({**PLC, "metrics": {"_x": {"field": "a"}}}, "names starting with _"),
    ],
)
def test_an_invalid_custom_profile_is_refused_with_the_problem_in_chinese(
    data: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ProfileError) as refused:
        load_profile(data)
    assert any(fragment in line for line in refused.value.problems), refused.value.problems


def test_not_json_is_refused_whole_with_the_reason() -> None:
    (item,) = run("neuron-values", b"{not json")
    assert isinstance(item, Rejected) and item.reason.startswith("bad JSON")
    (item,) = run("neuron-values", {"node": "modbus", "timestamp": 1_765_094_400_000})
    assert isinstance(item, Rejected) and "'values': required" in item.reason


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(profile=st.sampled_from(sorted(builtins())), body=JSON, raw=st.binary(max_size=40))
def test_no_payload_raises_and_every_record_is_a_reading_or_a_reason(
    profile: str, body: Any, raw: bytes
) -> None:
    for payload in (json.dumps(body).encode(), raw):
        items = run(profile, payload)
        assert items
        for item in items:
            assert isinstance(item, Reading | Rejected)
            if isinstance(item, Rejected):
                assert item.reason and "parser error" not in item.reason
