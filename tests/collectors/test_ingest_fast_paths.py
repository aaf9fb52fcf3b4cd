"""What the ingest hot path's shortcuts must not change: Sparkplug reading keys and times, JSON readings, rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from collectors import profiles
from collectors.models import Reading
from collectors.payloads import parse_message, telemetry_topic
from collectors.sparkplug.codec import MetricSpec, encode_payload, nbirth_payload
from collectors.sparkplug.host import SparkplugHost, reading_key
from collectors.store import Incoming, store_batch
from diagnose import payload_profiles
from diagnose.models import Telemetry
from scoring.uscc import make_uscc
from tests import factories

USCC = make_uscc("91320412MA0000010")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Keys the collector stored before reading_key built its JSON encoder once (json.JSONEncoder.encode per call):
# a redelivery after an upgrade must find its reading under the same key.
STORED_KEYS = [
    (
        (
            1764000000000,
            False,
            "RUN",
            {"count_total": 5, "count_good": 4},
            {"power_kw": 12.5, "energy_kwh": 0.1},
            {},
            None,
        ),
        1849688064000236998,
    ),
    (
        (
            1764000000001,
            True,
            None,
            {},
            {"power_kw": 1e-7},
            {"温度": 21.25, "b": 3.0},
            {"msg": 'ü"x\\', "n": None},
        ),
        1849688064001663499,
    ),
    ((1764000000002, False, "IDLE", {"count_total": 2**62}, {}, {}, {}), 1849688064003026840),
    (
        (946684800000, False, None, {}, {"current_a": -0.0}, {"x": 1e300}, {"t": "a\u2028b"}),
        992670960844887033,
    ),
]


@pytest.mark.parametrize(("args", "key"), STORED_KEYS)
def test_sparkplug_reading_keys_are_the_ones_stored_before(args: tuple, key: int) -> None:  # type: ignore[type-arg]
    assert reading_key(*args) == key


@pytest.mark.parametrize(
    "ms", [946_684_800_000, 946_684_800_999, 1_764_000_000_123, 1_764_000_000_999, 4_102_444_800_000]
)
def test_a_ddata_reading_is_at_its_exact_millisecond(ms: int) -> None:
    host, now = SparkplugHost(), datetime(2026, 11, 24, tzinfo=UTC)
    edge, device = f"spBv1.0/{USCC}/{{}}/edge1", f"spBv1.0/{USCC}/{{}}/edge1/cnc-01"
    host.handle(edge.format("NBIRTH"), nbirth_payload([], bd_seq=0, timestamp_ms=ms), now)
    birth = encode_payload([MetricSpec("power_kw", 1.0, alias=1)], timestamp_ms=ms, seq=1)
    host.handle(device.format("DBIRTH"), birth, now)
    data = encode_payload([MetricSpec(None, 2.5, alias=1)], timestamp_ms=ms, seq=2)
    (reading,) = host.handle(device.format("DDATA"), data, now).parsed
    assert isinstance(reading, Reading)
    assert reading.ts == EPOCH + timedelta(milliseconds=ms)
    assert reading.ts.microsecond == ms % 1000 * 1000 and reading.power_kw == 2.5


def _json(uscc: str = USCC, **body: object) -> Reading:
    payload = {"ts": "2026-11-24T08:00:00+08:00", "seq": 7, **body}
    reading = parse_message(telemetry_topic(uscc, "D01"), json.dumps(payload).encode())
    assert isinstance(reading, Reading), reading
    return reading


def test_a_json_reading_keeps_its_extras_in_order_and_one_without_has_none() -> None:
    plain = _json(state="RUN", count_total=5, count_good=5, power_kw=1.5, energy_kwh=2.0, current_a=0.5)
    assert (plain.metrics, plain.attributes, plain.count_total, plain.current_a) == ({}, {}, 5, 0.5)
    extra = _json(state="RUN", z=1, a="x", m="2.5", power_kw=1.5)
    assert list(extra.metrics.items()) == [("z", 1.0), ("m", 2.5)]
    assert extra.attributes == {"a": "x"} and extra.power_kw == 1.5


@pytest.mark.parametrize(
    "topic",
    [
        f"plant/{USCC}/D01/telemetry",
        f"plant/{USCC}/D01/birth",
        "plant/not-a-uscc/D01/telemetry",
        "plant/a/b/c/telemetry",
        "plant",
        f"spBv1.0/{USCC}/DDATA/edge1/cnc-01",
    ],
)
def test_the_cached_profile_topic_answers_as_the_parser_every_time(topic: str) -> None:
    expected = payload_profiles.parse_topic(topic)
    assert profiles.parse_topic(topic) == expected
    assert profiles.parse_topic(topic) == expected


def test_a_reading_without_extras_is_stored_as_the_orm_stores_no_metrics(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        device = factories.device(session, enterprise.id, "D01")  # type: ignore[arg-type]
        session.commit()
        plain, extra = _json(enterprise.uscc, power_kw=1.5), _json(enterprise.uscc, seq=8, temperature_c=21.5)
        items = [Incoming(telemetry_topic(enterprise.uscc, "D01"), b"", r) for r in (plain, extra)]
        report = store_batch(session=session, items=items, device_ids={})
        session.add(Telemetry(device_id=device.id, seq=9, ts=plain.ts, metrics=None))  # type: ignore[arg-type]
        session.commit()
        assert report.inserted == 2
        stored = dict(session.execute(text("SELECT seq, metrics FROM telemetry ORDER BY seq")).all())  # type: ignore[arg-type]
        assert stored[7] == stored[9]  # the collector's rows and the ORM's agree on "no metrics"
        metrics = stored[8]  # text on SQLite, already decoded on PostgreSQL
        assert (json.loads(metrics) if isinstance(metrics, str) else metrics) == {"temperature_c": 21.5}
