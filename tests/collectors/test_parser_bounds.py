"""The parsers bound what reaches the store: text a backend refuses, numbers beyond the columns, sizes and
nesting are rejected with a reason naming the field; text that is not stored is ignored whatever it holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from collectors.models import DeviceBirth, Reading, Rejected
from collectors.payloads import birth_topic, parse_message, telemetry_topic
from collectors.sparkplug import sparkplug_b_pb2 as pb
from collectors.sparkplug.codec import MetricSpec, encode_payload, nbirth_payload
from collectors.sparkplug.host import SparkplugHost
from collectors.text import name_problem
from scoring.uscc import make_uscc

USCC = make_uscc("91320412MA0000010")
TS = '"ts": "2026-11-24T08:00:00+08:00", "seq": 1'


@pytest.mark.parametrize(
    ("kind", "payload", "reason"),
    [
        # The 18 bytes: plain ASCII on the wire, a lone surrogate once decoded.
        (
            "birth",
            rb'{"kind": "\ud800"}',
            "kind '\\ud800': U+D800 (a lone surrogate) is not allowed in names",
        ),
        ("birth", rb'{"model": "a\u0000b"}', "U+0000 (NUL) is not allowed in names"),
        ("birth", rb'{"kind": "CNC\u2028"}', "U+2028 (a line or paragraph separator)"),
        ("birth", b'{"kind": "' + b"K" * 65 + b'"}', "kind: must be text of at most 64 characters"),
        ("telemetry", b"{" + TS.encode() + rb', "rpm\udfff": 1}', "U+DFFF (a lone surrogate)"),
        ("telemetry", b"{" + TS.encode() + rb', "a\u0000": 1}', "U+0000 (NUL)"),
        ("telemetry", b"{" + TS.encode() + b', "\xc2\x85": 1}', "U+0085 (a control character)"),
        ("telemetry", b"{" + TS.encode() + b', "x": 1' + b"0" * 400 + b"}", "extra metrics must be finite"),
        ("telemetry", b"{" + TS.encode() + b', "x": 1e999}', "extra metrics must be finite"),
        (
            "telemetry",
            b"{" + TS.encode() + b', "power_kw": 1' + b"0" * 400 + b"}",
            "an integer of 401 digits",
        ),
        ("telemetry", b"{" + TS.encode() + b', "count_total": 4611686018427387905}', "from 0 to 2^62"),
        ("telemetry", b"{" + TS.encode() + b', "x": NaN}', "NaN is not a number"),
        (
            "telemetry",
            b'{"ts": 1' + b"0" * 5000 + b', "seq": 1}',
            "bad JSON: Exceeds the limit (4300 digits)",
        ),
        ("telemetry", b'{"ts": "9999-12-31T00:00:00Z", "seq": 1}', "ts: out of range (2000-2100)"),
        ("telemetry", b'{"ts": "0001-01-01T00:00:00+14:00", "seq": 1}', "ts: out of range"),
        ("telemetry", b'{"ts": 1e300, "seq": 1}', "ts: epoch milliseconds out of range"),
        ("telemetry", b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "payload too large"),
        ("telemetry", b"[" * 5_000 + b"]" * 5_000, "bad JSON: more than 256 arrays and objects"),
        (
            "birth",
            b'{"kind": "CNC", "meta": %s}' % (b"[" * 256 + b"]" * 256),
            "more than 256 arrays and objects",
        ),
        ("telemetry", b"\xed\xa0\x80", "bad JSON: 'utf-8' codec can't decode"),  # UTF-8 of a surrogate
        ("status", b'{"online": "yes\\u0000"}', "online: required, true or false"),
        # CPython 3.11's fromisoformat stops at a NUL: this would read as 08:00 without the ASCII check.
        ("status", b'{"online": true, "ts": "2026-11-24T08:00:00\\u0000Z"}', "ts: not RFC 3339"),
        ("telemetry", b'{"ts": "2026-11-24T08:00:00\\u0000junk", "seq": 1}', "ts: not RFC 3339"),
    ],
)
def test_json_payloads_a_store_could_not_take_are_rejected_with_the_reason(
    kind: str, payload: bytes, reason: str
) -> None:
    parsed = parse_message(f"plant/{USCC}/D01/{kind}", payload)
    assert isinstance(parsed, Rejected), parsed
    assert reason in parsed.reason and not parsed.reason.startswith("parser error")
    parsed.reason.encode("utf-8")  # the reason itself is storable text


def test_text_that_is_not_stored_is_ignored_whatever_it_holds() -> None:
    """A birth's extra keys are not stored: a PLC's NUL padding or any other text there costs nothing."""
    payload = json.dumps({"kind": "数控　车床", "note": "abc\x00\x00", "meta": {"fw": "\ud800"}}).encode()
    parsed = parse_message(birth_topic(USCC, "D01"), payload)
    assert isinstance(parsed, DeviceBirth) and parsed.kind == "数控　车床"  # an ideographic space is kept


def test_a_good_reading_is_unchanged() -> None:
    payload = json.dumps({"ts": 1_796_000_000_000, "seq": 7, "state": "RUN", "转速 rpm": 1200}).encode()
    parsed = parse_message(telemetry_topic(USCC, "D01"), payload)
    assert isinstance(parsed, Reading) and parsed.metrics == {"转速 rpm": 1200.0}
    assert parsed.ts == datetime.fromtimestamp(1_796_000_000, tz=UTC)


@pytest.mark.parametrize(
    ("value", "problem"),
    [("CNC-850", None), ("数控车床", None), ("power kW", None), ("\ud800", "U+D800"), ("a\x7f", "U+007F")],
)
def test_name_rule(value: str, problem: str | None) -> None:
    found = name_problem(value)
    assert (found is None) if problem is None else (found is not None and problem in found)


NOW = datetime(2024, 6, 10, tzinfo=UTC)
T_MS = 1_718_000_000_000


def _born_host() -> SparkplugHost:
    host = SparkplugHost()
    assert not host.handle(
        f"spBv1.0/{USCC}/NBIRTH/edge1", nbirth_payload([], bd_seq=0, timestamp_ms=T_MS), NOW
    ).parsed
    return host


def _dbirth(host: SparkplugHost, metrics: list[MetricSpec], edge: str = "edge1") -> list[object]:
    topic = f"spBv1.0/{USCC}/DBIRTH/{edge}/cnc-01"
    return list(host.handle(topic, encode_payload(metrics, timestamp_ms=T_MS, seq=1), NOW).parsed)


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        ([MetricSpec("kind", "CNC\x00")], "kind 'CNC\\x00': U+0000 (NUL) is not allowed in names"),
        ([MetricSpec("model", "a\x1bb")], "U+001B (a control character)"),
        ([MetricSpec("spindle\x00rpm", 1.0)], "metric name 'spindle\\x00rpm': U+0000 (NUL)"),
        (
            [MetricSpec("count_total", 2**63, datatype=pb.UInt64)],
            "count_total: must be a non-negative integer",
        ),
    ],
)
def test_sparkplug_text_and_numbers_a_store_could_not_take_are_rejected(
    metrics: list[MetricSpec], reason: str
) -> None:
    [rejected] = _dbirth(_born_host(), metrics)
    assert isinstance(rejected, Rejected) and reason in rejected.reason


def test_sparkplug_strings_that_are_not_valid_utf8() -> None:
    """proto2 hands invalid UTF-8 over as bytes: a metric *name* like that is refused; a string *value* of a
    metric (here padded PLC text) is kept as its bytes in base64, and the reading with it (issue #21)."""
    name = encode_payload([MetricSpec("rpmXX", 1.0)], timestamp_ms=T_MS, seq=1).replace(
        b"rpmXX", b"rpm\xed\xa0"
    )
    [rejected] = _born_host().handle(f"spBv1.0/{USCC}/DBIRTH/edge1/cnc-01", name, NOW).parsed
    assert isinstance(rejected, Rejected) and "is not valid UTF-8" in rejected.reason
    value = encode_payload(
        [MetricSpec("label", "abcd"), MetricSpec("power_kw", 2.0)], timestamp_ms=T_MS, seq=1
    )
    value = value.replace(b"abcd", b"a\xff\x00d")
    parsed = _born_host().handle(f"spBv1.0/{USCC}/DBIRTH/edge1/cnc-01", value, NOW).parsed
    assert [type(p) for p in parsed] == [DeviceBirth, Reading] and parsed[1].power_kw == 2.0  # type: ignore[union-attr]
    assert parsed[1].attributes == {"label": "base64:Yf8AZA=="}  # type: ignore[union-attr]


def test_an_edge_node_id_kept_on_the_device_must_be_a_name() -> None:
    host = SparkplugHost()
    edge = "e" * 65
    host.handle(f"spBv1.0/{USCC}/NBIRTH/{edge}", nbirth_payload([], bd_seq=0, timestamp_ms=T_MS), NOW)
    [rejected] = _dbirth(host, [MetricSpec("kind", "CNC")], edge=edge)
    assert isinstance(rejected, Rejected) and "longer than 64 characters" in rejected.reason
