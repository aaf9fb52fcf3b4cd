"""Fuzz through the real store: hypothesis-generated JSON and Sparkplug B payloads (any Unicode, lone surrogates
and NUL included, any numbers, nesting, sizes) interleaved with good readings, through a real closed Mosquitto and
a real `diagnose collect` process, on SQLite and PostgreSQL.

Every message is accounted for, exactly: the pure parsers are the oracle (the JSON parser; a mirror Sparkplug
host fed the same messages in the same order). What they accept is stored once, what they refuse is dead-lettered
once with their reason, and the good readings around it are all stored once: the collector keeps up. The cases
that once broke ingestion are fixed examples."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.processes.broker import LocalBroker
from collectors.client import Publisher
from collectors.models import Reading, Rejected
from collectors.payloads import parse_message
from collectors.sparkplug import sparkplug_b_pb2 as pb
from collectors.sparkplug.codec import MetricSpec, encode_payload, nbirth_payload
from collectors.sparkplug.host import SparkplugHost, reading_key
from diagnose.models import DeadLetter, Device, Telemetry
from tests import factories
from tests.collectors.brokerkit import wait_until
from tests.collectors.processkit import CollectProcess

pytestmark = [pytest.mark.broker, pytest.mark.slow]

USCC = factories.uscc()
MAX_PAYLOAD = 4_096  # the collector's DIAGNOSE_MAX_PAYLOAD_BYTES here: "too large" is cheap to reach
SPB_MAX_PAYLOAD = 262_144  # the Sparkplug host's own bound (collectors/sparkplug_bridge.py)
T0 = datetime(2026, 11, 30, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)
FUZZ_JSON = f"plant/{USCC}/F01/"
FUZZ_NODE = f"spBv1.0/{USCC}/{{}}/efuzz"
FUZZ_DEVICE = f"spBv1.0/{USCC}/{{}}/efuzz/SF1"
GOOD_DDATA = f"spBv1.0/{USCC}/DDATA/egood/SG1"


# -- strategies -------------------------------------------------------------------------------------------------
class Big(bytes):
    """A payload shown by its size: a failing example's report stays readable."""

    def __repr__(self) -> str:
        return f"Big({len(self)} bytes, sha256 {hashlib.sha256(self).hexdigest()[:12]})"


def _compact(payload: bytes) -> bytes:
    return Big(payload) if len(payload) > 512 else payload


ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)  # lone surrogates and NUL included
WIRE_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)  # what UTF-8 can carry
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**320), max_value=10**320),
    st.floats(allow_nan=True, allow_infinity=True),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)
BODIES = st.builds(
    lambda known, extra: {**extra, **known},
    st.fixed_dictionaries(
        {},
        optional={
            # Good timestamps from one day (one PostgreSQL partition), or anything at all.
            "ts": st.integers(0, 86_399).map(lambda s: T0_MS + 1000 * s) | JSON_VALUES,
            "seq": st.integers(0, 10**6) | JSON_VALUES,
            "state": st.sampled_from(["RUN", "IDLE", "DOWN", "PLANNED_STOP", "OFF"]) | JSON_VALUES,
            "kind": ANY_TEXT | JSON_VALUES,
            "model": ANY_TEXT,
            "count_total": NUMBERS,
            "power_kw": NUMBERS,
            "online": st.booleans() | JSON_VALUES,
            "heartbeat_s": NUMBERS,
        },
    ),
    st.dictionaries(ANY_TEXT, JSON_VALUES, max_size=3),
)
JSON_PAYLOADS = st.one_of(
    # ensure_ascii=False with a lone surrogate: encoded with surrogatepass, i.e. invalid UTF-8 on the wire.
    st.builds(
        lambda body, ascii: json.dumps(body, ensure_ascii=ascii, allow_nan=True).encode(
            "utf-8", "surrogatepass"
        ),
        BODIES,
        st.booleans(),
    ),
    st.binary(max_size=64),
    st.integers(100, 3_000).map(lambda n: b'{"ts": %d, "seq": 1, "x": %s%s}' % (T0_MS, b"[" * n, b"]" * n)),
    st.integers(MAX_PAYLOAD - 20, 3 * MAX_PAYLOAD).map(lambda n: b'{"pad": "%s"}' % (b"x" * n)),
)
JSON_MESSAGES = st.tuples(
    st.sampled_from(["telemetry", "birth", "status"]).map(FUZZ_JSON.__add__), JSON_PAYLOADS
)

SPB_NAMES = st.one_of(
    st.none(),
    st.sampled_from(
        ["state", "count_total", "count_good", "power_kw", "kind", "model", "ideal_cycle_s", "bdSeq"]
    ),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=70),
)
SPB_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    WIRE_TEXT,
    st.binary(max_size=8),
)


@st.composite
def metric_specs(draw: st.DrawFn) -> MetricSpec:
    value = draw(SPB_VALUES)
    datatype = draw(st.sampled_from([None, *range(1, 20)])) if value is not None else pb.Double
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and datatype in (pb.UInt64, pb.UInt32)
        and value < 0
    ):
        datatype = None
    return MetricSpec(
        name=draw(SPB_NAMES),
        value=value,
        alias=draw(st.none() | st.integers(0, 5)),
        timestamp_ms=draw(
            st.none() | st.integers(0, 86_399_000).map(T0_MS.__add__) | st.integers(0, 2**64 - 1)
        ),
        datatype=datatype,
        is_historical=draw(st.booleans()),
    )


SPB_PAYLOADS = st.one_of(
    st.builds(
        lambda metrics, ts, seq: encode_payload(metrics, timestamp_ms=ts, seq=seq),
        st.lists(metric_specs(), max_size=5),
        st.integers(0, 86_399_000).map(T0_MS.__add__) | st.integers(0, 2**64 - 1),
        st.none() | st.integers(0, 300),
    ),
    st.builds(
        lambda bd: nbirth_payload([MetricSpec("power_kw", 1.5)], bd_seq=bd, timestamp_ms=T0_MS),
        st.integers(0, 255),
    ),
    st.binary(max_size=64),
    st.just(encode_payload([MetricSpec("blob", "x" * SPB_MAX_PAYLOAD)], timestamp_ms=T0_MS, seq=1)),
)
SPB_MESSAGES = st.one_of(
    st.tuples(
        st.sampled_from(["NBIRTH", "NDATA", "NDEATH"]).map(FUZZ_NODE.format), SPB_PAYLOADS.map(_compact)
    ),
    st.tuples(
        st.sampled_from(["DBIRTH", "DDATA", "DDEATH"]).map(FUZZ_DEVICE.format), SPB_PAYLOADS.map(_compact)
    ),
)
MESSAGES = st.lists(st.one_of(JSON_MESSAGES, SPB_MESSAGES), min_size=1, max_size=12)

# The cases that once broke ingestion, and others of their kind: kept as fixed examples.
INVALID_UTF8_NAME = encode_payload([MetricSpec("rpmXX", 1.0)], timestamp_ms=T0_MS, seq=1).replace(
    b"rpmXX", b"rpm\xed\xa0"
)
FIXED = [
    [(FUZZ_JSON + "birth", b'{"kind": "\\ud800"}')],  # issue #20: stopped ingestion for everyone, for good
    [
        (FUZZ_JSON + "birth", b'{"kind": "CNC\\u0000"}'),
        (FUZZ_JSON + "status", b'{"online": true, "ts": "2026-11-24T08:00:00\\u0000Z"}'),
        (FUZZ_JSON + "telemetry", b'{"ts": %d, "seq": 5, "a\\u0000": 1}' % T0_MS),
    ],
    [
        (FUZZ_JSON + "telemetry", b'{"ts": %d, "seq": 6, "power_kw": 1%s}' % (T0_MS, b"0" * 400)),
        (FUZZ_JSON + "telemetry", b'{"ts": %d, "seq": 7, "x": 1e999}' % T0_MS),
        (FUZZ_JSON + "telemetry", Big(b"[" * 2_000 + b"]" * 2_000)),
        (FUZZ_JSON + "birth", b'{"kind": "\xed\xa0\x80"}'),
        (FUZZ_JSON + "telemetry", Big(b'{"pad": "%s"}' % (b"x" * 10_000))),
    ],
    [
        (FUZZ_NODE.format("NBIRTH"), nbirth_payload([], bd_seq=1, timestamp_ms=T0_MS)),
        (
            FUZZ_DEVICE.format("DBIRTH"),
            encode_payload([MetricSpec("kind", "CNC\x00")], timestamp_ms=T0_MS, seq=1),
        ),
        (FUZZ_DEVICE.format("DBIRTH"), INVALID_UTF8_NAME),
        (
            FUZZ_DEVICE.format("DBIRTH"),
            encode_payload([MetricSpec("power_kw", 2.0)], timestamp_ms=T0_MS, seq=1),
        ),
        (
            FUZZ_DEVICE.format("DDATA"),
            encode_payload([MetricSpec("power_kw", 2.5)], timestamp_ms=T0_MS + 1, seq=2),
        ),
    ],
]


# -- the run ----------------------------------------------------------------------------------------------------
@pytest.fixture
def broker(durable_mosquitto: LocalBroker) -> LocalBroker:
    return durable_mosquitto


class Ledger:
    """What must be in the database: telemetry keys and dead letters (topic, SHA-256) with their counts."""

    def __init__(self) -> None:
        self.rows: set[tuple[str, int, datetime]] = set()
        self.letters: Counter[tuple[str, str]] = Counter()
        self.mirror = SparkplugHost(max_payload_bytes=max(MAX_PAYLOAD, SPB_MAX_PAYLOAD))
        self.good_seq = 0  # the good JSON device's
        self.good_spb = 1  # the good edge node's Sparkplug seq (its DBIRTH was 1)
        self.good_ms = T0_MS

    def fuzz(self, topic: str, payload: bytes) -> None:
        parsed = (
            [parse_message(topic, payload, max_payload_bytes=MAX_PAYLOAD)]
            if topic.startswith("plant/")
            else list(self.mirror.handle(topic, payload, datetime.now(UTC)).parsed)
        )
        for item in parsed:
            if isinstance(item, Rejected):
                self.letters[(topic, hashlib.sha256(payload).hexdigest())] += 1
            elif isinstance(item, Reading):
                self.rows.add((item.device_id, item.seq, item.ts))

    def good_json(self) -> tuple[str, bytes]:
        self.good_seq += 1
        ts = T0 + timedelta(seconds=self.good_seq)
        self.rows.add(("G01", self.good_seq, ts))
        body = {"ts": ts.isoformat(), "seq": self.good_seq, "state": "RUN", "power_kw": 3.5}
        return f"plant/{USCC}/G01/telemetry", json.dumps(body).encode()

    def good_sparkplug(self) -> tuple[str, bytes]:
        self.good_spb = (self.good_spb + 1) % 256
        self.good_ms += 1_000
        power = float(self.good_spb)
        key = reading_key(self.good_ms, False, None, {}, {"power_kw": power}, {})
        self.rows.add(("SG1", key, T0 + timedelta(milliseconds=self.good_ms - T0_MS)))
        payload = encode_payload(
            [MetricSpec("power_kw", power)], timestamp_ms=self.good_ms, seq=self.good_spb
        )
        return GOOD_DDATA, payload


def _stored(
    engine: Engine,
) -> tuple[set[tuple[str, int, datetime]], Counter[tuple[str, str]], list[DeadLetter]]:
    with Session(engine) as session:
        rows = session.exec(select(Device.external_id, Telemetry.seq, Telemetry.ts).join(Device)).all()
        letters = [
            letter
            for letter in session.exec(select(DeadLetter)).all()
            if letter.topic.startswith(FUZZ_JSON) or "/efuzz" in letter.topic
        ]
    keys = {(device, int(seq), ts.astimezone(UTC)) for device, seq, ts in rows}
    return keys, Counter((d.topic, d.payload_sha256 or "") for d in letters), letters


def test_fuzzed_payloads_through_mosquitto_and_the_collector_process(
    engine: Engine, db_url: str, broker: LocalBroker, tmp_path: Path
) -> None:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        for external_id in ("G01", "F01"):
            factories.device(session, enterprise.id, external_id)
        for external_id in ("SG1", "SF1", "efuzz"):
            factories.device(session, enterprise.id, external_id, protocol="sparkplug")
        session.commit()
    run = uuid.uuid4().hex[:6]
    collector = CollectProcess(
        db_url=db_url,
        mqtt_url=broker.url,
        client_id=f"fuzz-{run}",
        folder=tmp_path,
        collector_enterprises=USCC,
        sparkplug_groups=USCC,
        sparkplug_host_id=f"h{run}",
        max_payload_bytes=MAX_PAYLOAD,
        dead_letters_per_device_hour=10**9,
        dead_letter_bytes_per_enterprise_day=10**12,
    ).start()
    publisher = Publisher(url=broker.url, client_id=f"plant-{run}").start()
    ledger = Ledger()
    try:
        collector.wait_holding(engine, USCC)

        def good_edge_born() -> bool:  # births again until the host has taken them (it may subscribe late)
            births = [
                (f"spBv1.0/{USCC}/NBIRTH/egood", nbirth_payload([], bd_seq=0, timestamp_ms=T0_MS)),
                (
                    f"spBv1.0/{USCC}/DBIRTH/egood/SG1",
                    encode_payload([MetricSpec("kind", "CNC")], timestamp_ms=T0_MS, seq=1),
                ),
            ]
            publisher.wait_all_published([publisher.publish(t, p) for t, p in births], timeout_s=10)
            with Session(engine) as session:
                return (
                    session.exec(select(Device.edge_node).where(Device.external_id == "SG1")).one() == "egood"
                )

        wait_until(good_edge_born, timeout_s=30, what=f"the good edge node born (see {collector.log})")

        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            phases=(Phase.explicit, Phase.generate),  # no shrinking against a live process
            suppress_health_check=list(HealthCheck),
        )
        @given(batch=MESSAGES)
        @example(batch=FIXED[0])
        @example(batch=FIXED[1])
        @example(batch=FIXED[2])
        @example(batch=FIXED[3])
        def interleaved(batch: list[tuple[str, bytes]]) -> None:
            stream: list[tuple[str, bytes]] = []
            for topic, payload in batch:
                stream += [ledger.good_json(), (topic, payload), ledger.good_sparkplug()]
                ledger.fuzz(topic, payload)
            stream += [
                ledger.good_json(),
                ledger.good_sparkplug(),
            ]  # each client's last message is a good one
            publisher.wait_all_published([publisher.publish(t, p) for t, p in stream], timeout_s=30)
            # The last good reading of each client stored means everything before it on that client is done.
            wait_until(
                lambda: ledger.rows <= _stored(engine)[0],
                timeout_s=60,
                what=f"readings (see {collector.log})",
            )
            rows, letters, stored = _stored(engine)
            assert rows == ledger.rows  # each accepted reading once, nothing else
            unexpected = [
                (d.topic, d.reason, bytes(d.payload[:120]))
                for d in stored
                if not ledger.letters[(d.topic, d.payload_sha256 or "")]
            ]
            assert letters == ledger.letters, unexpected  # each refused message once, nothing else
            assert all(d.reason and not d.reason.startswith("could not be stored") for d in stored)
            assert collector.alive()

        interleaved()
    finally:
        publisher.stop()
        collector.stop()
    assert collector.process is not None and collector.process.returncode == 0
