"""Ingest benchmark: N QoS 1 messages from several publishers, the collector against two baselines in the same run.

Each round, on its own broker, three consumers each receive the same N messages, JSON (`plant/…/telemetry`)
and/or Sparkplug B (DDATA by alias from one edge node per publisher process):

* **bare**: a paho subscriber that does nothing (what the broker and publishers can deliver);
* **ceiling**: paho with manual acks + sqlite3 `executemany` into the same `telemetry` table in batches of
  `--batch-rows`, ON CONFLICT DO NOTHING, acknowledging after the commit: the least "store it" can cost
  (payload decoded, no validation, no dead letters);
* **collector**: the real `Collector` in its own process.

Printed per round and as medians: messages per second end to end (first publish → last commit, read from each
consumer's own counter), the CPU seconds each consumer spent per message (not fooled by a loaded machine whose
publishers are the bottleneck), the ratios collector / ceiling (the target, ≥ 0.8) and collector / bare, the
collector's peak RSS (VmHWM), messages lost and duplicate rows. `--rss-every N` prints the collector's RSS every
N rows (start, middle, end: flat or not, over a long run), `--kinds ceiling,collector` leaves the bare subscriber
out of a long run.

    .venv/bin/python bench/ingest.py --messages 50000 --publishers 4 --format both
    .venv/bin/python bench/ingest.py --messages 1000000 --rounds 1 --format json --rss-every 100000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import queue
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session, SQLModel, func, select  # noqa: E402

from apps.processes.broker import LocalBroker, start_local_broker  # noqa: E402
from collectors.client import Publisher  # noqa: E402
from collectors.payloads import telemetry_topic  # noqa: E402
from collectors.sparkplug.codec import MetricSpec, encode_payload, nbirth_payload  # noqa: E402
from diagnose.db import make_engine  # noqa: E402
from diagnose.models import Telemetry  # noqa: E402
from diagnose.services.accounts import orgs  # noqa: E402
from diagnose.services.shopfloor import devices  # noqa: E402
from scoring.uscc import make_uscc  # noqa: E402

USCC = make_uscc("91320412MA000001X")
DEVICES = 20
T0 = datetime(2026, 11, 24, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)
# Sparkplug aliases of the bench's edge nodes (DBIRTH names them, DDATA sends only the aliases).
ALIASES = {"state": 1, "count_total": 2, "count_good": 3, "power_kw": 4, "energy_kwh": 5}
READY_TIMEOUT_S = (
    180  # a loaded 2-core machine may take long to spawn; past this the bench fails, never hangs
)
FORMATS = ("json", "sparkplug")
KINDS = ("bare", "ceiling", "collector")
# Seconds a round may take beyond its messages' share (a million messages at 1,000/s take 1,000 s more): past
# it the bench says how far it got and fails, never hangs.
BASE_TIMEOUT_S = 300
PUBLISH_WINDOW = 50_000


def _timeout_s(messages: int) -> float:
    return BASE_TIMEOUT_S + messages / 1_000


@dataclass(frozen=True, slots=True)
class Plan:
    """What the publishers send for one format: messages in all, rows the collector stores, and births."""

    messages: int  # every publish (births included)
    rows: int  # telemetry rows the collector stores (a Sparkplug DBIRTH carries a reading too)


def _json_payloads(worker: int, workers: int, total: int) -> list[tuple[str, bytes]]:
    out = []
    for n in range(worker, total, workers):
        device = f"B{n % DEVICES:03d}"
        body = {"ts": (T0 + timedelta(milliseconds=n)).isoformat(), "seq": n, "state": "RUN"}
        body |= {"count_total": n, "count_good": n, "power_kw": 12.5, "energy_kwh": n / 100}
        out.append((telemetry_topic(USCC, device), json.dumps(body).encode()))
    return out


def _edge_devices(worker: int, workers: int) -> list[str]:
    """The devices of one edge node (publisher): each device hangs off one edge node only."""
    return [f"B{d:03d}" for d in range(DEVICES) if d % workers == worker]


def _sparkplug_payloads(worker: int, workers: int, total: int) -> list[tuple[str, bytes]]:
    """One edge node `E{worker}` in group USCC: NBIRTH, a DBIRTH per device, then DDATA by alias, seq 1, 2, …"""
    edge = f"E{worker}"
    out = [(f"spBv1.0/{USCC}/NBIRTH/{edge}", nbirth_payload([], bd_seq=0, timestamp_ms=T0_MS - 3_600_000))]
    devices = _edge_devices(worker, workers)
    seq = 0
    initial = {"state": "RUN", "count_total": 0, "count_good": 0, "power_kw": 0.0, "energy_kwh": 0.0}
    for device in devices:
        seq += 1
        metrics = [MetricSpec(name, initial[name], alias=alias) for name, alias in ALIASES.items()]
        birth = encode_payload(metrics, timestamp_ms=T0_MS - 3_600_000, seq=seq % 256)
        out.append((f"spBv1.0/{USCC}/DBIRTH/{edge}/{device}", birth))
    for i, n in enumerate(range(worker, total, workers)):
        seq += 1
        values = {"state": "RUN", "count_total": n, "count_good": n, "power_kw": 12.5, "energy_kwh": n / 100}
        metrics = [MetricSpec(None, values[name], alias=alias) for name, alias in ALIASES.items()]
        payload = encode_payload(metrics, timestamp_ms=T0_MS + n, seq=seq % 256)
        out.append((f"spBv1.0/{USCC}/DDATA/{edge}/{devices[i % len(devices)]}", payload))
    return out


def _payloads(fmt: str, worker: int, workers: int, total: int) -> list[tuple[str, bytes]]:
    return (
        _json_payloads(worker, workers, total)
        if fmt == "json"
        else _sparkplug_payloads(worker, workers, total)
    )


def plan(fmt: str, workers: int, total: int) -> Plan:
    """Messages and collector rows for `total` readings of one format."""
    if fmt == "json":
        return Plan(messages=total, rows=total)
    return Plan(messages=total + workers + DEVICES, rows=total + DEVICES)


def _publish(fmt: str, url: str, worker: int, workers: int, total: int, go, ready) -> None:  # type: ignore[no-untyped-def]
    messages = _payloads(fmt, worker, workers, total)
    publisher = Publisher(url=url, client_id=f"bench-pub-{worker}-{time.monotonic_ns()}").start()
    ready.put(worker)  # connected, payloads built: the ready signal the parent waits for
    if not go.wait(READY_TIMEOUT_S * 2):
        publisher.stop()
        return  # the parent gave up: do not linger
    # paho numbers a client's unacknowledged messages 1-65535 and refuses one whose number is still queued
    # (ERR_QUEUE_SIZE): past PUBLISH_WINDOW in flight, each publish waits for the oldest to be acknowledged.
    infos: deque[Any] = deque()  # paho MQTTMessageInfo (paho is imported in collectors/client.py only)
    for topic, payload in messages:
        if len(infos) >= PUBLISH_WINDOW:
            infos.popleft().wait_for_publish(timeout=_timeout_s(total))
        infos.append(publisher.publish(topic, payload))
    publisher.wait_all_published(list(infos), timeout_s=_timeout_s(total))
    publisher.stop()


def _run_publishers(fmt: str, url: str, workers: int, total: int) -> float:
    """Start the publisher processes, release them together, return the start time."""
    ctx = mp.get_context("spawn")
    go, ready = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_publish, args=(fmt, url, w, workers, total, go, ready)) for w in range(workers)
    ]
    # Keep the Event and Queue referenced until the publishers are joined: Process.start() drops its own
    # reference to the args, and a spawned child that unpickles a collected SemLock dies in SemLock._rebuild.
    _run_publishers.keep = (go, ready)  # type: ignore[attr-defined]
    _run_publishers.procs = procs  # type: ignore[attr-defined]
    for proc in procs:
        proc.start()
    deadline = time.monotonic() + READY_TIMEOUT_S
    for _ in procs:  # wait for every publisher's ready signal (connected, payloads built), not a fixed sleep
        try:
            ready.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            _kill_publishers()
            sys.exit(f"ingest bench: publishers not ready within {READY_TIMEOUT_S} s (exit codes "
                     f"{[p.exitcode for p in procs]}); giving up")  # fmt: skip
    start = time.monotonic()
    go.set()
    return start


def _kill_publishers() -> None:
    for proc in _run_publishers.procs:  # type: ignore[attr-defined]
        if proc.is_alive():
            proc.kill()
        proc.join(10)


def _join_publishers(timeout_s: float) -> None:
    for proc in _run_publishers.procs:  # type: ignore[attr-defined]
        proc.join(timeout_s)
        if proc.is_alive():
            _kill_publishers()
            sys.exit(f"ingest bench: a publisher did not finish within {timeout_s:.0f} s; giving up")
        if proc.exitcode != 0:
            sys.exit(f"ingest bench: a publisher failed (exit code {proc.exitcode})")


def _paho_client(broker_url: str, client_id: str, *, manual_ack: bool):  # type: ignore[no-untyped-def]
    """A persistent-session MQTT 5 paho client like the collector's: Receive Maximum 10 × batch."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from collectors.client import BrokerAddress

    address = BrokerAddress.from_url(broker_url)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack
    )
    address.secure(client)
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 5000
    return client, address, props


def _subscribe(client, address, props, fmt: str) -> bool:  # type: ignore[no-untyped-def]
    """Connect (persistent session), start the network loop and subscribe to the format's topics; False if the
    broker did not confirm the subscription within a minute."""
    subscribed = threading.Event()
    client.on_subscribe = lambda *_a: subscribed.set()
    client.connect(address.host, address.port, clean_start=False, properties=props)
    client.loop_start()
    client.subscribe(_filter(fmt), 1)
    return subscribed.wait(60)


def _bare_main(fmt: str, broker_url: str, batch_rows: int, ready, stop, done, cpu) -> None:  # type: ignore[no-untyped-def]
    """A paho subscriber that only counts (paho acknowledges QoS 1 itself)."""
    client, address, props = _paho_client(broker_url, "bench-bare", manual_ack=False)
    lock = threading.Lock()

    def on_message(_c: object, _u: object, _m: object) -> None:
        with lock:
            done.value += 1

    client.on_message = on_message
    if not _subscribe(client, address, props, fmt):
        return
    cpu0 = time.process_time()
    ready.set()
    stop.wait()
    cpu.value = time.process_time() - cpu0
    client.disconnect()
    client.loop_stop()


def _ceiling_main(  # type: ignore[no-untyped-def]
    fmt: str, broker_url: str, db_path: str, batch_rows: int, ready, stop, done, cpu
) -> None:
    """paho (manual ack) → decode → sqlite3 executemany in batches, commit, then ack: the least storing costs."""
    from collectors.sparkplug.sparkplug_b_pb2 import Payload

    client, address, props = _paho_client(broker_url, "bench-ceiling", manual_ack=True)
    db = sqlite3.connect(db_path, check_same_thread=False)
    db.execute("PRAGMA synchronous=NORMAL")  # as the collector's engine (diagnose/db.py); WAL is the file's
    ids = {external: row_id for row_id, external in db.execute("SELECT id, external_id FROM device")}
    # The hand-over wakes the writer once per batch (or at its 0.2 s deadline), not once per message: the
    # collector's writer does the same (collectors.writer.Intake), and a ceiling must not be slowed by less.
    work: list[tuple[int, tuple[object, ...] | None]] = []
    batch_ready = threading.Condition()
    names: dict[str, dict[int, str]] = {}  # Sparkplug: device → alias → name, from its DBIRTH
    received = datetime.now(UTC).isoformat()

    def on_json(message) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
        body = json.loads(message.payload)
        device = ids[message.topic.split("/")[2]]
        return (device, body["seq"], body["ts"], received, "json", body.get("state"), body.get("count_total"),
                body.get("count_good"), body.get("power_kw"), body.get("energy_kwh"), None, None, 0)  # fmt: skip

    def on_sparkplug(message) -> tuple[object, ...] | None:  # type: ignore[no-untyped-def]
        parts = message.topic.split("/")
        payload = Payload()
        payload.ParseFromString(message.payload)
        if parts[2] == "DBIRTH":
            names[parts[4]] = {m.alias: m.name for m in payload.metrics}
            return None
        if parts[2] != "DDATA":
            return None
        aliases = names[parts[4]]
        values: dict[str, object] = {}
        for metric in payload.metrics:
            field = metric.WhichOneof("value")
            values[aliases[metric.alias]] = getattr(metric, field) if field else None
        return (ids[parts[4]], payload.timestamp << 20, payload.timestamp, received, "sparkplug", values.get("state"),
                values.get("count_total"), values.get("count_good"), values.get("power_kw"), values.get("energy_kwh"),
                None, None, 0)  # fmt: skip

    decode = on_json if fmt == "json" else on_sparkplug

    def on_message(_c: object, _u: object, message) -> None:  # type: ignore[no-untyped-def]
        item = (message.mid, decode(message))
        with batch_ready:
            work.append(item)
            if len(work) == batch_rows:
                batch_ready.notify()

    def writer() -> None:
        sql = (
            "INSERT INTO telemetry (device_id, seq, ts, received_at, source, state, count_total, count_good, "
            "power_kw, energy_kwh, current_a, metrics, is_historical) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (device_id, seq, ts) DO NOTHING"
        )
        while not stop.is_set():
            with batch_ready:
                if len(work) < batch_rows:
                    batch_ready.wait(0.2)
                batch = work[:batch_rows]
                del work[:batch_rows]
            if not batch:
                continue
            db.executemany(sql, [row for _mid, row in batch if row is not None])
            db.commit()
            for mid, _row in batch:
                client.ack(mid, 1)
            done.value += len(batch)

    client.on_message = on_message
    if not _subscribe(client, address, props, fmt):
        return
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    cpu0 = time.process_time()
    ready.set()
    stop.wait()
    cpu.value = time.process_time() - cpu0
    thread.join(5)
    client.disconnect()
    client.loop_stop()


def _collector_main(  # type: ignore[no-untyped-def]
    fmt: str, db_url: str, broker_url: str, batch_rows: int, ready, stop, done, cpu
) -> None:
    from collectors.service import Collector
    from diagnose.settings import load_settings

    settings = load_settings(
        database_url=db_url,
        mqtt_url=broker_url,
        mqtt_client_id="bench-collector",
        sparkplug_groups=USCC if fmt == "sparkplug" else "",
        batch_max_rows=batch_rows,
    )
    collector = Collector(settings, make_engine(settings))

    def count(report: object) -> None:  # called by the writer after each commit
        done.value += getattr(report, "inserted", 0)  # only the writer thread writes it

    collector.writer.on_stored = count
    collector.start()
    clients = [collector.client] + ([collector.sparkplug.client] if collector.sparkplug else [])
    if not all(c.subscribed.wait(READY_TIMEOUT_S) for c in clients):  # SUBACK: deliveries can flow
        return  # the parent sees no ready signal and fails with a message
    cpu0 = time.process_time()
    ready.set()
    stop.wait()
    cpu.value = time.process_time() - cpu0
    collector.stop()


def _filter(fmt: str) -> str:
    return "plant/+/+/telemetry" if fmt == "json" else f"spBv1.0/{USCC}/#"


def _rss_kb(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of a process, kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return -1


@dataclass(frozen=True, slots=True)
class Measure:
    """One consumer in one round."""

    rate: float  # messages (bare, ceiling) or rows (collector) per second, first publish → last one done
    cpu_us: float  # the consumer process's CPU per message, µs
    peak_kb: int
    lost: int
    duplicates: int
    rss_early_kb: int  # once a tenth was done
    rss_end_kb: int  # when all was done
    rss_series: tuple[tuple[int, int], ...] = ()  # (done, VmRSS kB) every --rss-every done, and at the end


def measure(kind: str, fmt: str, broker: LocalBroker, db_url: str, args: argparse.Namespace) -> Measure:
    """Run one consumer in its own process against the publishers."""
    total, workers = args.messages, args.publishers
    expected = plan(fmt, workers, total)
    target = expected.rows if kind == "collector" else expected.messages
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    done, cpu = ctx.Value("q", 0, lock=False), ctx.Value("d", 0.0, lock=False)
    if kind == "bare":
        proc = ctx.Process(target=_bare_main, args=(fmt, broker.url, args.batch_rows, ready, stop, done, cpu))
    elif kind == "ceiling":
        db_path = db_url.removeprefix("sqlite:///")
        proc = ctx.Process(
            target=_ceiling_main, args=(fmt, broker.url, db_path, args.batch_rows, ready, stop, done, cpu)
        )
    else:
        proc = ctx.Process(
            target=_collector_main, args=(fmt, db_url, broker.url, args.batch_rows, ready, stop, done, cpu)
        )
    proc.start()
    if not ready.wait(READY_TIMEOUT_S):
        proc.kill()
        sys.exit(f"ingest bench: the {kind} consumer was not subscribed within {READY_TIMEOUT_S} s")
    start = _run_publishers(fmt, broker.url, workers, total)
    # Poll the consumer's own counter, not the database: a COUNT(*) every few milliseconds would compete
    # with it for the CPU and the database. The rows are counted after.
    deadline = time.monotonic() + _timeout_s(total)
    rss_early_kb = 0  # RSS once a tenth is done (the process warmed up), against RSS at the end: flat or not
    every = args.rss_every or target + 1
    series: list[tuple[int, int]] = [(0, _rss_kb(proc.pid or 0, "VmRSS:"))]
    while done.value < target and time.monotonic() < deadline and proc.is_alive():
        now_done = done.value
        if not rss_early_kb and now_done >= target // 10:
            rss_early_kb = _rss_kb(proc.pid or 0, "VmRSS:")
        if now_done >= series[-1][0] + every:  # a sample per `every` rows, at the row count reached
            series.append((now_done, _rss_kb(proc.pid or 0, "VmRSS:")))
        time.sleep(0.005)
    elapsed = time.monotonic() - start
    if done.value < target:
        print(f"ingest bench: {kind} ({fmt}) reached {done.value} of {target} (alive: {proc.is_alive()})",
              file=sys.stderr)  # fmt: skip
    _join_publishers(_timeout_s(total))
    lost = duplicates = 0
    if kind != "bare":
        time.sleep(1.0)  # anything still arriving would be a duplicate or a late message
        lost, duplicates = _lost_and_duplicates(db_url, fmt, total)
    peak = _rss_kb(proc.pid or 0, "VmHWM:")
    rss_end_kb = _rss_kb(proc.pid or 0, "VmRSS:")
    series.append((done.value, rss_end_kb))
    stop.set()
    proc.join(30)
    if proc.is_alive():
        proc.kill()
    return Measure(
        done.value / elapsed,
        cpu.value / max(done.value, 1) * 1e6,
        peak,
        lost,
        duplicates,
        rss_early_kb or rss_end_kb,
        rss_end_kb,
        tuple(series),
    )


def _lost_and_duplicates(db_url: str, fmt: str, total: int) -> tuple[int, int]:
    """The run's readings missing, and stored twice. A Sparkplug key is epoch ms << 20: the births' readings
    (an hour before T0) are left aside."""
    first = 0 if fmt == "json" else T0_MS << 20
    engine = make_engine(url=db_url)
    with Session(engine) as session:
        mine = select(Telemetry.device_id, Telemetry.seq).where(Telemetry.seq >= first)
        count = int(session.exec(select(func.count()).select_from(mine.subquery())).one())
        distinct = int(session.exec(select(func.count()).select_from(mine.distinct().subquery())).one())
    engine.dispose()
    return total - distinct, count - distinct


def _prepare(db_url: str) -> None:
    engine = make_engine(url=db_url)
    SQLModel.metadata.create_all(engine)  # the models' schema; the migrations are tested elsewhere
    with Session(engine) as session:
        for code, name, level, parent in [
            ("320000", "江苏省", "province", None),
            ("320400", "常州市", "city", "320000"),
            ("320412", "武进区", "district", "320400"),
        ]:
            orgs.upsert_region(session=session, code=code, name=name, level=level, parent_code=parent)
        enterprise = orgs.create_enterprise(
            session=session,
            actor="system:bench",
            uscc=USCC,
            name="基准测试",
            region_code="320412",
            industry_code="3421",
        )
        for i in range(DEVICES):
            devices.register_device(
                session=session,
                actor="system:bench",
                enterprise_id=enterprise.id,
                external_id=f"B{i:03d}",  # type: ignore[arg-type]
            )
        session.commit()
    engine.dispose()


def one_round(fmt: str, args: argparse.Namespace) -> dict[str, Measure]:
    """One broker, fresh databases: each consumer measured against the same publishers."""
    workdir = Path(tempfile.mkdtemp(prefix="diagnose-bench-"))
    workdir.chmod(0o777)  # Mosquitto run as root drops to its own user and must write its persistence
    (workdir / "broker").mkdir()
    (workdir / "broker").chmod(0o777)
    broker = start_local_broker(workdir=workdir / "broker")
    results: dict[str, Measure] = {}
    try:
        for kind in args.kinds:
            if kind == "collector" and args.database_url:
                db_url = args.database_url
            else:
                db_url = f"sqlite:///{workdir / f'{kind}.db'}"
            if kind != "bare":
                _prepare(db_url)
            results[kind] = measure(kind, fmt, broker, db_url, args)
    finally:
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _round_printed(fmt: str, number: int, args: argparse.Namespace) -> dict[str, Measure]:
    """One round, printed on one line with the load at its end."""
    r = one_round(fmt, args)
    ceiling, collector = r["ceiling"], r["collector"]
    bare_rate = f"bare {r['bare'].rate:7.0f} msg/s, " if "bare" in r else ""
    bare_cpu = f"bare {r['bare'].cpu_us:4.0f}, " if "bare" in r else ""
    print(
        f"{fmt} round {number}: {bare_rate}ceiling {ceiling.rate:7.0f}, collector {collector.rate:7.0f}; "
        f"CPU µs/msg {bare_cpu}ceiling {ceiling.cpu_us:4.0f}, collector {collector.cpu_us:4.0f}; "
        f"collector/ceiling {collector.rate / ceiling.rate:4.2f}, peak RSS {collector.peak_kb / 1024:5.1f} MiB, "
        f"lost {collector.lost}, duplicates {collector.duplicates}; load {_load()}"
    )
    if args.rss_every:
        samples = ", ".join(f"{rows:,}: {kb / 1024:.1f}" for rows, kb in collector.rss_series)
        print(f"{fmt} round {number}: collector RSS MiB by rows stored: {samples}")
    return r


def _print_medians(
    fmt: str, results: list[dict[str, Measure]], args: argparse.Namespace, rounds: int, backend: str
) -> None:
    def median(kind: str, attr: str) -> float:
        return statistics.median(getattr(r[kind], attr) for r in results)

    print(f"{fmt}: {args.messages} readings from {args.publishers} publisher processes ({backend}), "
          f"median of {rounds} round(s)")  # fmt: skip
    if "bare" in results[0]:
        print(f"  bare paho subscriber          {median('bare', 'rate'):10.0f} msg/s  "
              f"{median('bare', 'cpu_us'):6.0f} µs CPU/msg")  # fmt: skip
    print(f"  ceiling paho + executemany    {median('ceiling', 'rate'):10.0f} msg/s  "
          f"{median('ceiling', 'cpu_us'):6.0f} µs CPU/msg")  # fmt: skip
    print(f"  collector, stored end to end  {median('collector', 'rate'):10.0f} rows/s "
          f"{median('collector', 'cpu_us'):6.0f} µs CPU/msg")  # fmt: skip
    ratio = statistics.median(r["collector"].rate / r["ceiling"].rate for r in results)
    cpu_ratio = statistics.median(r["ceiling"].cpu_us / r["collector"].cpu_us for r in results)
    print(f"  ratio collector / ceiling     {ratio:10.2f}   (target ≥ 0.8; CPU per message ceiling / collector "
          f"{cpu_ratio:.2f})")  # fmt: skip
    if "bare" in results[0]:
        bare_ratio = statistics.median(r["collector"].rate / r["bare"].rate for r in results)
        print(f"  ratio collector / bare        {bare_ratio:10.2f}")
    peak = max(r["collector"].peak_kb for r in results) / 1024
    print(f"  collector peak RSS            {peak:10.1f} MiB (highest round)")
    early, end = results[-1]["collector"].rss_early_kb, results[-1]["collector"].rss_end_kb
    print(f"  collector RSS a tenth in, end {early / 1024:10.1f} → {end / 1024:.1f} MiB (last round)")
    lost, ceiling_lost = (sum(r[k].lost for r in results) for k in ("collector", "ceiling"))
    twice, ceiling_twice = (sum(r[k].duplicates for r in results) for k in ("collector", "ceiling"))
    print(f"  messages lost                 {lost:10d} (all rounds; ceiling {ceiling_lost})")
    print(f"  duplicate rows                {twice:10d} (all rounds; ceiling {ceiling_twice})")


def main() -> None:
    """Run the consumers `--rounds` times per format and print each round and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument("--format", choices=[*FORMATS, "both"], default="both")
    parser.add_argument(
        "--batch-rows", type=int, default=500, help="DIAGNOSE_BATCH_MAX_ROWS of the collector and the ceiling"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds, each with its own broker and databases; the medians are reported (default 3)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty database for the collector (one round only); default: a SQLite file per round. "
        "The ceiling is always sqlite3",
    )
    parser.add_argument(
        "--rss-every",
        type=int,
        default=0,
        help="print the collector's RSS every N stored rows (and at the start and end): flat or not",
    )
    parser.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help="consumers to run, of bare,ceiling,collector (ceiling and collector always: they are the ratio)",
    )
    args = parser.parse_args()
    if not 1 <= args.publishers <= DEVICES:
        sys.exit(f"ingest bench: --publishers must be 1 to {DEVICES}")
    chosen = {kind.strip() for kind in args.kinds.split(",") if kind.strip()}
    if chosen - set(KINDS):
        sys.exit(
            f"ingest bench: --kinds takes {','.join(KINDS)}, not {','.join(sorted(chosen - set(KINDS)))}"
        )
    args.kinds = [kind for kind in KINDS if kind in chosen | {"ceiling", "collector"}]
    rounds = 1 if args.database_url else max(1, args.rounds)
    formats = FORMATS if args.format == "both" else (args.format,)
    backend = (args.database_url or "sqlite").split(":", 1)[0]
    print(f"load average before: {_load()}")
    failures = 0
    for fmt in formats:
        results = [_round_printed(fmt, number, args) for number in range(1, rounds + 1)]
        _print_medians(fmt, results, args, rounds, backend)
        failures += sum(r[k].lost + r[k].duplicates for r in results for k in ("ceiling", "collector"))
    print(f"load average after: {_load()}")
    if failures:
        sys.exit(f"ingest bench: {failures} readings lost or stored twice")


if __name__ == "__main__":
    main()
