"""The JSON status topic and the birth's declared heartbeat and rate (issue #11): parsed, or refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

from collectors.models import DeviceBirth, DeviceStatus, Rejected
from collectors.payloads import parse_message, status_topic

USCC = "91320412MA000001XY"


def test_status_online_and_offline() -> None:
    assert parse_message(status_topic(USCC, "D01"), b'{"online": false}') == DeviceStatus(USCC, "D01", False)
    at = parse_message(status_topic(USCC, "D01"), b'{"online": true, "ts": "2026-11-24T08:00:00+08:00"}')
    assert at == DeviceStatus(USCC, "D01", True, datetime(2026, 11, 24, 0, tzinfo=UTC))


def test_bad_status_is_refused_with_the_field() -> None:
    for payload in (b'{"online": "yes"}', b"{}", b'{"online": true, "ts": "noon"}'):
        parsed = parse_message(status_topic(USCC, "D01"), payload)
        assert isinstance(parsed, Rejected) and ("online" in parsed.reason or "ts" in parsed.reason)


def test_birth_declares_heartbeat_and_rate() -> None:
    topic = f"plant/{USCC}/D01/birth"
    birth = parse_message(topic, b'{"kind": "CNC", "heartbeat_s": 60, "sample_interval_s": 10}')
    assert isinstance(birth, DeviceBirth) and (birth.heartbeat_s, birth.sample_interval_s) == (60, 10)
    refused = parse_message(topic, b'{"heartbeat_s": 0}')
    assert isinstance(refused, Rejected) and "heartbeat_s" in refused.reason
