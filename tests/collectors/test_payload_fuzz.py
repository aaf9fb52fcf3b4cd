"""Fuzz: malformed payloads and topics never crash the JSON parser or the store path; all are dead-lettered."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from collectors.models import DeviceBirth, Reading, Rejected
from collectors.payloads import parse_message
from collectors.store import Incoming, store_batch
from diagnose.models import DeadLetter, Telemetry
from tests import factories

USCC = factories.uscc()
TOPICS = st.one_of(
    st.text(max_size=120),
    st.builds(
        lambda d, k: f"plant/{USCC}/{d}/{k}",
        st.text(max_size=70),
        st.sampled_from(["telemetry", "birth", "x"]),
    ),
    st.builds(lambda u: f"plant/{u}/D01/telemetry", st.text(min_size=0, max_size=20)),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
BODIES = st.dictionaries(
    st.sampled_from(
        ["ts", "seq", "state", "count_total", "count_good", "power_kw", "energy_kwh", "x" * 70, "rpm"]
    ),
    JSON_VALUES,
    max_size=7,
)
PAYLOADS = st.one_of(
    st.binary(max_size=300),
    BODIES.map(lambda body: json.dumps(body, allow_nan=True).encode()),
    st.text(max_size=100).map(str.encode),
)


@pytest.mark.slow
@given(topic=TOPICS, payload=PAYLOADS)
@settings(max_examples=400, deadline=None)
def test_parser_never_raises_and_explains_rejections(topic: str, payload: bytes) -> None:
    parsed = parse_message(topic, payload)
    assert isinstance(parsed, Reading | DeviceBirth | Rejected)
    if isinstance(parsed, Rejected):
        assert parsed.reason and parsed.payload == payload and parsed.topic == topic


@pytest.fixture
def known_device(engine: Engine) -> Engine:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        factories.device(session, enterprise.id, "D01")
        session.commit()
    return engine


@given(batch=st.lists(st.tuples(TOPICS, PAYLOADS), min_size=1, max_size=25))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_store_path_dead_letters_everything_it_cannot_use(
    known_device: Engine, batch: list[tuple[str, bytes]]
) -> None:
    items = [Incoming(topic, payload, parse_message(topic, payload)) for topic, payload in batch]
    with Session(known_device) as session:
        before_dead = session.exec(select(func.count()).select_from(DeadLetter)).one()
        before_rows = session.exec(select(func.count()).select_from(Telemetry)).one()
        report = store_batch(session=session, items=items, device_ids={})
        session.commit()
        dead = session.exec(select(func.count()).select_from(DeadLetter)).one() - before_dead
        rows = session.exec(select(func.count()).select_from(Telemetry)).one() - before_rows
    rejected = sum(isinstance(i.parsed, Rejected) for i in items)
    assert report.dead_lettered == dead >= rejected
    assert rows == report.inserted
    assert dead + report.offered - report.dead_lettered == len(items)
