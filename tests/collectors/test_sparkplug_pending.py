"""A Sparkplug device seen before it is confirmed loses nothing; readings are keyed by timestamp and content.

The bytes come from tests/collectors/spb_wire.py, an encoder written apart from collectors/sparkplug/codec.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, func, select

from collectors.replay import replay_device
from collectors.sparkplug.host import SparkplugHost
from collectors.store import Incoming, store_batch
from diagnose.models import DeadLetter, Device, Telemetry
from diagnose.services.shopfloor import devices
from tests import factories
from tests.collectors import spb_wire as w

T0_MS = 1_795_000_000_000
NOW = datetime(2026, 11, 20, tzinfo=UTC)
DATA_MESSAGES = 50


def _edge_node_stream(uscc: str) -> list[tuple[str, bytes]]:
    """NBIRTH, DBIRTH, 50 DDATA by alias, then a report-by-exception DDATA at the last one's timestamp."""
    node, dev = f"spBv1.0/{uscc}/{{}}/EDGE9", f"spBv1.0/{uscc}/{{}}/EDGE9/press-7"
    stream = [(node.format("NBIRTH"), w.payload([w.metric(0, w.INT64, name="bdSeq")], ts_ms=T0_MS, seq=0))]
    birth = [
        w.metric("IDLE", w.STRING, name="state", alias=1),
        w.metric(0, w.UINT64, name="count_total", alias=2),
        w.metric(0.5, w.DOUBLE, name="power_kw", alias=3),
        w.metric("PRESS", w.STRING, name="kind"),
    ]
    stream.append((dev.format("DBIRTH"), w.payload(birth, ts_ms=T0_MS, seq=1)))
    seq = 1
    for i in range(1, DATA_MESSAGES + 1):
        seq = (seq + 1) % 256
        metrics = [w.metric("RUN", w.STRING, alias=1), w.metric(i * 3, w.UINT64, alias=2)]
        stream.append((dev.format("DDATA"), w.payload(metrics, ts_ms=T0_MS + i * 1000, seq=seq)))
    seq = (seq + 1) % 256
    same_ms = w.payload([w.metric(7.25, w.DOUBLE, alias=3)], ts_ms=T0_MS + DATA_MESSAGES * 1000, seq=seq)
    stream.append((dev.format("DDATA"), same_ms))
    return stream


def _ingest(session: Session, stream: list[tuple[str, bytes]]) -> None:
    host = SparkplugHost()  # a fresh host each time, as after a collector restart (the node rebirths)
    items = [
        Incoming(topic, payload, parsed)
        for topic, payload in stream
        for parsed in host.handle(topic, payload, NOW).parsed
    ]
    store_batch(session=session, items=items, device_ids={})
    session.commit()


def test_pending_sparkplug_device_is_stored_in_full_when_confirmed(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        factories.regions(session)
        uscc = factories.enterprise(session).uscc
        session.commit()
        stream = _edge_node_stream(uscc)
        _ingest(session, stream)

        device = session.exec(select(Device).where(Device.external_id == "press-7")).one()
        assert (device.registry_status, device.protocol, device.kind) == ("pending", "sparkplug", "PRESS")
        letters = session.exec(select(DeadLetter)).all()
        assert len(letters) == DATA_MESSAGES + 2  # the DBIRTH's values, 50 DDATA, the same-ms DDATA
        assert all(letter.held is not None for letter in letters)
        assert session.exec(select(func.count()).select_from(Telemetry)).one() == 0

        devices.confirm_device(session=session, actor="test", device=device)
        report = replay_device(session=session, uscc=uscc, external_id="press-7")
        session.commit()
        assert (report.replayed, report.inserted, report.still_failing) == (
            DATA_MESSAGES + 2,
            DATA_MESSAGES + 2,
            [],
        )

        rows = session.exec(select(Telemetry).order_by(Telemetry.ts, Telemetry.seq)).all()  # type: ignore[arg-type]
        assert len(rows) == DATA_MESSAGES + 2
        assert [r.count_total for r in rows if r.state == "RUN"] == [
            i * 3 for i in range(1, DATA_MESSAGES + 1)
        ]
        last_ms = [r for r in rows if r.ts == rows[-1].ts]
        assert {(r.state, r.count_total, r.power_kw) for r in last_ms} == {
            ("RUN", DATA_MESSAGES * 3, None),
            (None, None, 7.25),
        }  # same timestamp, other metrics: both kept

        # The whole stream again (a redelivery after a reconnect and rebirth): nothing stored twice.
        _ingest(session, stream)
        assert session.exec(select(func.count()).select_from(Telemetry)).one() == DATA_MESSAGES + 2
        # A second replay finds nothing left to replay.
        again = replay_device(session=session, uscc=uscc, external_id="press-7")
        assert (again.replayed, again.inserted) == (0, 0)
