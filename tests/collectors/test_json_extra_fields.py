"""On a plant's own JSON topic (no payload profile chosen), one odd field never costs the message or its
counters: a number sent as text is read, other text is kept beside the metrics, what cannot be kept is left
out with a note (#21). Names a device gives are still checked, and numbers no column holds still refuse."""

from __future__ import annotations

import json

from collectors.models import Reading, Rejected
from collectors.payloads import parse_message, telemetry_topic
from scoring.uscc import make_uscc

USCC = make_uscc("91320412MA0000010")
TOPIC = telemetry_topic(USCC, "D01")
BASE = {"ts": "2026-11-24T08:00:00+08:00", "seq": 7, "count_total": 5120, "count_good": 5102}


def _parse(**extra: object) -> Reading:
    parsed = parse_message(TOPIC, json.dumps(BASE | extra).encode())
    assert isinstance(parsed, Reading), parsed
    assert (parsed.count_total, parsed.count_good) == (5120, 5102)  # the counters always stay
    return parsed


def test_a_number_sent_as_text_is_a_number() -> None:
    reading = _parse(temp_c="14.2", rpm=" 1200 ")
    assert reading.metrics == {"temp_c": 14.2, "rpm": 1200.0}
    assert reading.attributes == {}


def test_other_text_is_kept_beside_the_metrics() -> None:
    reading = _parse(node="modbus-line-1", batch="B-2026-11", running=True, hex="0x1F", nan="NaN")
    assert reading.metrics == {}
    assert reading.attributes == {
        "node": "modbus-line-1",
        "batch": "B-2026-11",
        "running": "true",
        "hex": "0x1F",
        "nan": "NaN",
    }


def test_what_cannot_be_kept_is_left_out_with_a_note() -> None:
    reading = _parse(meta={"fw": "1.2"}, empty=None, long="x" * 300, nul="a\x00b", power_kw=3.5)
    assert reading.power_kw == 3.5
    note = reading.attributes.pop("_problems")
    assert reading.attributes == {}
    for field in ("meta: nested value left out", "empty: null left out", "long: text left out", "nul: text"):
        assert field in (note or ""), note


def test_names_and_impossible_numbers_still_refuse_the_message() -> None:
    for payload in (
        json.dumps(BASE | {"a\u0000": "x"}).encode(),
        b'{"ts": "2026-11-24T08:00:00+08:00", "seq": 7, "x": 1e999}',
    ):
        assert isinstance(parse_message(TOPIC, payload), Rejected)
