"""Issue #21, no silent drop on the Sparkplug path: every message type in and out is counted, through the closed
Mosquitto and a real `diagnose collect` (its Prometheus counters), and every message and every metric datatype
ends somewhere one can see: a stored reading, a birth or death applied, or a dead letter with its reason."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.cli import main
from apps.processes.broker import free_port, start_local_broker
from collectors.client import Publisher
from collectors.sparkplug import sparkplug_b_pb2 as pb
from collectors.sparkplug.host import key_ms
from diagnose.models import DeadLetter, Device, DevicePresence, Enterprise, Telemetry
from diagnose.services.shopfloor import broker_accounts
from diagnose.services.shopfloor import gateways as gateway_service
from diagnose.settings import Settings
from tests.collectors.brokerkit import make_plants, wait_until
from tests.collectors.processkit import PROCESS_START_S, CollectProcess

pytestmark = [pytest.mark.broker, pytest.mark.slow]
T0 = 1_796_000_000_000
ADMIN = ("listener", "listener-secret-1")

# Every Sparkplug datatype a metric can carry as a value (spec 3.0 §6.4.16), with a value and where it is stored.
SCALARS: list[tuple[str, int, str, object, object]] = [
    ("i8", pb.Int8, "int_value", 0xFE, -2.0),
    ("i16", pb.Int16, "int_value", 0xFFFE, -2.0),
    ("i32", pb.Int32, "int_value", 7, 7.0),
    ("i64", pb.Int64, "long_value", 2**64 - 3, -3.0),
    ("u8", pb.UInt8, "int_value", 200, 200.0),
    ("u16", pb.UInt16, "int_value", 60000, 60000.0),
    ("u32", pb.UInt32, "int_value", 4_000_000_000, 4e9),
    ("u64", pb.UInt64, "long_value", 2**40, float(2**40)),
    ("f32", pb.Float, "float_value", 0.5, 0.5),
    ("f64", pb.Double, "double_value", 2.25, 2.25),
    ("flag", pb.Boolean, "boolean_value", True, 1.0),
    ("recipe", pb.String, "string_value", "钢件A", "钢件A"),
    ("at", pb.DateTime, "long_value", T0, "2026-11-30T00:53:20Z"),
    ("note", pb.Text, "string_value", "shift 1", "shift 1"),
    (
        "uid",
        pb.UUID,
        "string_value",
        "6f1c2d3e-0000-4000-8000-000000000001",
        "6f1c2d3e-0000-4000-8000-000000000001",
    ),
    ("raw", pb.Bytes, "bytes_value", b"\x01\x02", "base64:AQI="),
    ("file", pb.File, "bytes_value", b"PK", "base64:UEs="),
    ("floats", pb.FloatArray, "bytes_value", b"\x00\x00\x80\x3f", "base64:AACAPw=="),
]
STRUCTURED = {
    "tools": '{"columns":["tool","wear"],"types":[12,10],"rows":[["T1",0.25]]}',
    "motor": '{"template_ref":"Motor","version":"1","is_definition":false,"parameters":{"poles":4},'
    '"metrics":{"rpm":1200}}',
    "unset": None,
}


def _metrics(payload: pb.Payload, ts: int, *, with_alias: bool) -> None:
    for index, (name, datatype, field, value, _) in enumerate(SCALARS, start=1):
        metric = payload.metrics.add(name=name, datatype=datatype, timestamp=ts)
        if with_alias:
            metric.alias = index
        setattr(metric, field, value)
    dataset = payload.metrics.add(name="tools", datatype=pb.DataSet, timestamp=ts).dataset_value
    dataset.num_of_columns, dataset.columns[:], dataset.types[:] = 2, ["tool", "wear"], [pb.String, pb.Double]
    row = dataset.rows.add()
    row.elements.add().string_value = "T1"
    row.elements.add().double_value = 0.25
    template = payload.metrics.add(name="motor", datatype=pb.Template, timestamp=ts).template_value
    template.template_ref, template.version = "Motor", "1"
    template.metrics.add(name="rpm", datatype=pb.Int32).int_value = 1200
    template.parameters.add(name="poles", type=pb.Int32).int_value = 4
    payload.metrics.add(name="unset", datatype=pb.Int32, is_null=True, timestamp=ts)


class Edge:
    """A scripted edge node: numbers its messages (seq) and remembers what it sent, by type."""

    def __init__(self, publisher: Publisher, uscc: str) -> None:
        self.publisher, self.group, self.seq, self.tick = publisher, f"spBv1.0/{uscc}", 0, 0
        self.sent: list[tuple[str, str, bytes]] = []  # (type, topic, payload)
        self.infos: list[object] = []

    def send(self, kind: str, payload: pb.Payload, device: str | None = None, *, seq: bool = True) -> int:
        self.tick += 1
        ts = T0 + 1000 * self.tick
        payload.timestamp = ts
        if kind == "NBIRTH":
            self.seq = 0
            payload.seq = 0
        elif seq:
            self.seq = (self.seq + 1) % 256
            payload.seq = self.seq
        topic = f"{self.group}/{kind}/line1" + (f"/{device}" if device else "")
        body = payload.SerializeToString()
        self.sent.append((kind, topic, body))
        self.infos.append(self.publisher.publish(topic, body))
        return ts


def _bdseq(payload: pb.Payload, value: int = 0) -> pb.Payload:
    payload.metrics.add(name="bdSeq", datatype=pb.Int64).long_value = value
    return payload


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def _counts(port: int) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    received: dict[tuple[str, str], int] = {}
    sent: dict[str, int] = {}
    for (name, labels), value in _scrape(port).items():
        label = dict(labels)
        if name == "diagnose_collector_sparkplug_messages_in_total":
            received[(label["type"], label["outcome"])] = int(value)
        elif name == "diagnose_collector_sparkplug_messages_out_total":
            sent[label["type"]] = int(value)
    return received, sent


@pytest.fixture
def workdir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="diagnose-spb-ledger-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_every_sparkplug_message_type_and_datatype_is_counted_in_and_out(
    engine: Engine, db_settings: Settings, db_url: str, workdir: Path
) -> None:
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    [uscc] = make_plants(engine, 1, devices=("M01",))
    result = CliRunner().invoke(
        main, ["gateways", "create", uscc, "EDGE", "--sparkplug-edge", "line1"], obj=db_settings
    )
    assert result.exit_code == 0, result.output
    made = dict(line.split(": ", 1) for line in result.output.splitlines())
    with Session(engine) as session:
        accounts = gateway_service.gateway_broker_accounts(session=session)
    run = uuid.uuid4().hex[:6]
    collector_id, collector_pw = f"collector-{run}", "collector-secret-1"
    accounts += broker_accounts.collector_accounts(
        username=collector_id, password=collector_pw, client_id=collector_id
    )
    accounts.append(broker_accounts.admin_account(username=ADMIN[0], password=ADMIN[1]))
    broker = start_local_broker(workdir=workdir / "broker", accounts=accounts)
    metrics_port = free_port()
    collector = CollectProcess(
        db_url=db_url,
        mqtt_url=broker.url_for(collector_id, collector_pw),
        client_id=collector_id,
        folder=workdir,
        sparkplug_groups=uscc,
        sparkplug_host_id=f"host-{run}",
        collector_metrics_port=metrics_port,
    ).start()
    publishers: list[Publisher] = []
    try:

        def host_online() -> bool:
            try:
                return _counts(metrics_port)[1].get("STATE", 0) >= 1
            except OSError:
                return False

        wait_until(
            host_online, timeout_s=PROCESS_START_S, what=f"the host's STATE birth (see {collector.log})"
        )
        publisher = Publisher(
            url=broker.url_for(made["username"], made["password"]), client_id=made["username"]
        )
        publishers.append(publisher.start())
        admin = Publisher(url=broker.url_for(*ADMIN), client_id="admin").start()
        publishers.append(admin)
        edge = Edge(publisher, uscc)

        # 1 NBIRTH with node metrics: the edge node is not a registered device, so they are dead-lettered.
        node_birth = _bdseq(pb.Payload())
        node_birth.metrics.add(name="Node Control/Rebirth", datatype=pb.Boolean).boolean_value = False
        node_birth.metrics.add(name="cpu_load", datatype=pb.Double).double_value = 0.5
        edge.send("NBIRTH", node_birth)
        # 2 DBIRTH M01 and 3 DDATA M01 (by alias) with every datatype; 4 a DataSet-only DDATA.
        birth = pb.Payload()
        birth_ts = T0 + 1000 * (edge.tick + 1)
        _metrics(birth, birth_ts, with_alias=True)
        edge.send("DBIRTH", birth, "M01")
        data = pb.Payload()
        data_ts = T0 + 1000 * (edge.tick + 1)
        _metrics(data, data_ts, with_alias=False)
        for metric in data.metrics:  # DDATA as an edge sends it: aliases, no names
            if metric.name in {name for name, *_ in SCALARS}:
                metric.alias = [name for name, *_ in SCALARS].index(metric.name) + 1
                metric.ClearField("name")
        edge.send("DDATA", data, "M01")
        only_dataset = pb.Payload()
        only_ds_ts = T0 + 1000 * (edge.tick + 1)
        only_dataset.metrics.add(
            name="tools", datatype=pb.DataSet, timestamp=only_ds_ts
        ).dataset_value.columns.append("tool")
        edge.send("DDATA", only_dataset, "M01")
        # 5 NDATA: node metrics again. 6 DBIRTH of a device the registry does not know: pending.
        node_data = pb.Payload()
        node_data.metrics.add(name="cpu_load", datatype=pb.Double).double_value = 0.7
        edge.send("NDATA", node_data)
        new_birth = pb.Payload()
        new_birth.metrics.add(name="count_total", datatype=pb.UInt64, alias=1).long_value = 5
        edge.send("DBIRTH", new_birth, "NEW1")
        # 7 DDEATH M01. 8 an NDATA with an alias no birth defined: dead-lettered, one NCMD out.
        edge.send("DDEATH", pb.Payload(), "M01")
        stray = pb.Payload()
        stray.metrics.add(alias=99, datatype=pb.Double).double_value = 1.0
        edge.send("NDATA", stray)
        # 9 another host's command to this node (the admin plays a second host): consumed, not an error.
        ncmd_topic = f"spBv1.0/{uscc}/NCMD/line1"
        admin.publish(ncmd_topic, pb.Payload(timestamp=T0).SerializeToString()).wait_for_publish(10)
        # 10 the rebirth: a bare NBIRTH (consumed) and DBIRTH M01 again, 11 the NDEATH of this birth.
        edge.send("NBIRTH", _bdseq(pb.Payload(), 1))
        rebirth = pb.Payload()
        rebirth.metrics.add(name="count_total", datatype=pb.UInt64, alias=1).long_value = 9
        edge.send("DBIRTH", rebirth, "M01")
        edge.send("NDEATH", _bdseq(pb.Payload(), 1), seq=False)
        publisher.wait_all_published(edge.infos, timeout_s=10)  # type: ignore[arg-type]

        # The edge's messages, the admin's NCMD, and the host's own rebirth NCMD (it hears its group's topics).
        sent_in = len(edge.sent) + 2
        wait_until(
            lambda: sum(_counts(metrics_port)[0].values()) >= sent_in,
            timeout_s=30,
            what="every message counted",
        )
        received, out = _counts(metrics_port)
        assert received == {
            ("NBIRTH", "records"): 1,  # node metrics
            ("NBIRTH", "consumed"): 1,  # bdSeq and controls only
            ("DBIRTH", "records"): 3,
            ("DDATA", "records"): 2,
            ("NDATA", "records"): 1,
            ("NDATA", "dead_lettered"): 1,
            ("DDEATH", "records"): 1,
            ("NDEATH", "records"): 1,
            ("NCMD", "consumed"): 2,
        }
        assert sum(received.values()) == sent_in
        assert out == {"STATE": 1, "NCMD": 1}  # the host's birth, and one rebirth request

        def letters() -> list[DeadLetter]:
            with Session(engine) as session:
                return list(session.exec(select(DeadLetter).order_by(DeadLetter.id)).all())  # type: ignore[arg-type]

        wait_until(lambda: len(letters()) >= 4, timeout_s=30, what="dead letters")
        by_digest = {letter.payload_sha256: letter.reason for letter in letters()}
        digest = {i: hashlib.sha256(body).hexdigest() for i, (_k, _t, body) in enumerate(edge.sent)}
        assert "node metrics of Sparkplug edge node line1" in by_digest[digest[0]]  # NBIRTH
        assert "node metrics of Sparkplug edge node line1" in by_digest[digest[4]]  # NDATA
        assert "unknown device NEW1: registered as pending" in by_digest[digest[5]]
        assert "alias 99 was never defined" in by_digest[digest[7]]
        assert len(by_digest) == 4

        with Session(engine) as session:
            rows = session.exec(
                select(Device.external_id, Telemetry.seq, Telemetry.metrics, Telemetry.count_total)
                .join(Device)
                .join(Enterprise)
                .where(Enterprise.uscc == uscc)
            ).all()
            devices = {d.external_id: d.registry_status for d in session.exec(select(Device)).all()}
            presence = session.exec(
                select(Device.external_id, DevicePresence.online, DevicePresence.source)
                .join(Device)
                .order_by(DevicePresence.id)  # type: ignore[arg-type]
            ).all()
        assert devices == {"M01": "active", "NEW1": "pending"}  # no pending device for the edge node itself
        stored = {key_ms(int(seq)): (device, metrics or {}) for device, seq, metrics, _count in rows}
        assert set(stored) == {birth_ts, data_ts, only_ds_ts, edge_birth_ts(edge)}
        for ts in (birth_ts, data_ts):
            device, metrics = stored[ts]
            expected = {name: value for name, _d, _f, _v, value in SCALARS} | STRUCTURED
            assert device == "M01" and metrics == expected, ts
        assert stored[only_ds_ts][1] == {"tools": '{"columns":["tool"],"types":[],"rows":[]}'}
        # Births and deaths applied in order: DBIRTH M01, DBIRTH NEW1, DDEATH M01, the rebirth's DBIRTH M01,
        # then the NDEATH takes every device of the node offline.
        assert [tuple(row) for row in presence[:4]] == [
            ("M01", True, "birth"),
            ("NEW1", True, "birth"),
            ("M01", False, "death"),
            ("M01", True, "birth"),
        ]
        assert sorted(tuple(row) for row in presence[4:]) == [
            ("M01", False, "death"),
            ("NEW1", False, "death"),
        ]
    finally:
        for publisher in publishers:
            publisher.stop()
        collector.stop()
        broker.stop(kill=True)


def edge_birth_ts(edge: Edge) -> int:
    """The timestamp of the rebirth's DBIRTH M01 (the second to last message sent)."""
    [(_kind, _topic, body)] = [sent for sent in edge.sent[-2:-1]]
    return int(pb.Payload.FromString(body).timestamp)
