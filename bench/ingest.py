"""Ingest benchmark: N QoS 1 messages from several publisher processes, collector vs a bare paho subscriber.

Prints messages stored per second end to end (first publish → last commit), the rate of a bare paho
subscriber that does nothing (same broker, same N, same run), their ratio, the collector's peak RSS
(VmHWM from /proc) and the messages lost. Target: ratio ≥ 0.6 on SQLite. Each round has its own broker
and database; the medians of the rounds are reported, since one round on a shared machine is noisy.

    .venv/bin/python bench/ingest.py --messages 50000 --publishers 4
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import queue
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from sqlmodel import Session, SQLModel, func, select  # noqa: E402

from apps.broker import LocalBroker, start_local_broker  # noqa: E402
from collectors.client import Publisher  # noqa: E402
from collectors.payloads import telemetry_topic  # noqa: E402
from diagnose.db import make_engine  # noqa: E402
from diagnose.models import Telemetry  # noqa: E402
from diagnose.services import devices, orgs  # noqa: E402
from scoring.uscc import make_uscc  # noqa: E402

USCC = make_uscc("91320412MA000001X")
DEVICES = 20
T0 = datetime(2026, 11, 24, tzinfo=UTC)


def _payloads(worker: int, workers: int, total: int) -> list[tuple[str, bytes]]:
    out = []
    for n in range(worker, total, workers):
        device = f"B{n % DEVICES:03d}"
        body = {"ts": (T0 + timedelta(milliseconds=n)).isoformat(), "seq": n, "state": "RUN"}
        body |= {"count_total": n, "count_good": n, "power_kw": 12.5, "energy_kwh": n / 100}
        out.append((telemetry_topic(USCC, device), json.dumps(body).encode()))
    return out


READY_TIMEOUT_S = (
    180  # a loaded 2-core machine may take long to spawn; past this the bench fails, never hangs
)


def _publish(url: str, worker: int, workers: int, total: int, go, ready) -> None:  # type: ignore[no-untyped-def]
    messages = _payloads(worker, workers, total)
    publisher = Publisher(url=url, client_id=f"bench-pub-{worker}-{time.monotonic_ns()}").start()
    ready.put(worker)  # connected, payloads built: the ready signal the parent waits for
    if not go.wait(READY_TIMEOUT_S * 2):
        publisher.stop()
        return  # the parent gave up: do not linger
    infos = [publisher.publish(topic, payload) for topic, payload in messages]
    publisher.wait_all_published(infos, timeout_s=300)
    publisher.stop()


def _run_publishers(url: str, workers: int, total: int) -> float:
    """Start the publisher processes, release them together, return the start time."""
    ctx = mp.get_context("spawn")
    go, ready = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_publish, args=(url, w, workers, total, go, ready)) for w in range(workers)]
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


def _join_publishers() -> None:
    for proc in _run_publishers.procs:  # type: ignore[attr-defined]
        proc.join(300)
        if proc.is_alive():
            _kill_publishers()
            sys.exit("ingest bench: a publisher did not finish within 300 s; giving up")
        if proc.exitcode != 0:
            sys.exit(f"ingest bench: a publisher failed (exit code {proc.exitcode})")


def bare_subscriber_rate(broker: LocalBroker, total: int, workers: int) -> float:
    """Messages per second a paho subscriber that does nothing receives (QoS 1, persistent session)."""
    received = 0
    done = threading.Event()
    lock = threading.Lock()

    def on_message(_c: object, _u: object, _m: object) -> None:
        nonlocal received
        with lock:
            received += 1
            if received >= total:
                done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare", protocol=mqtt.MQTTv5)
    client.on_message = on_message
    assert broker.login is not None  # the bench's broker is closed like production: the subscriber logs in
    client.username_pw_set(*broker.login)
    subscribed = threading.Event()
    client.on_subscribe = lambda *_a: subscribed.set()
    client.connect("127.0.0.1", broker.port, clean_start=False)
    client.loop_start()
    client.subscribe("plant/+/+/telemetry", 1)
    if not subscribed.wait(60):
        sys.exit("ingest bench: the bare subscriber got no SUBACK within 60 s")
    start = _run_publishers(broker.url, workers, total)
    if not done.wait(600):
        print(f"ingest bench: bare subscriber got only {received} of {total} in 600 s", file=sys.stderr)
    print(f"bare subscriber received {received}", file=sys.stderr)
    elapsed = time.monotonic() - start
    _join_publishers()
    client.disconnect()
    client.loop_stop()
    return received / elapsed


def _collector_main(  # type: ignore[no-untyped-def]
    db_url: str, broker_url: str, batch_rows: int, ready, stop, committed
) -> None:
    from collectors.service import Collector
    from diagnose.settings import load_settings

    settings = load_settings(
        database_url=db_url,
        mqtt_url=broker_url,
        mqtt_client_id="bench-collector",
        sparkplug_groups="",
        batch_max_rows=batch_rows,
    )
    collector = Collector(settings, make_engine(settings))

    def count(report: object) -> None:  # called by the writer after each commit
        with committed.get_lock():
            committed.value += getattr(report, "inserted", 0)

    collector.writer.on_stored = count
    collector.start()
    if not collector.client.subscribed.wait(READY_TIMEOUT_S):  # SUBACK: deliveries can flow
        return  # the parent sees no ready signal and fails with a message
    ready.set()
    while not stop.wait(0.2):
        pass
    collector.stop()


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def collector_rate(
    broker: LocalBroker, db_url: str, total: int, workers: int, batch_rows: int
) -> tuple[float, int, int, int]:
    """(stored per second, peak RSS kB, lost, duplicates) for the real collector in its own process."""
    engine = make_engine(url=db_url)
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    committed = ctx.Value("q", 0)  # rows the collector has committed, read without touching the database
    proc = ctx.Process(target=_collector_main, args=(db_url, broker.url, batch_rows, ready, stop, committed))
    proc.start()
    if not ready.wait(READY_TIMEOUT_S):
        proc.kill()
        sys.exit(f"ingest bench: the collector was not subscribed within {READY_TIMEOUT_S} s")
    start = _run_publishers(broker.url, workers, total)

    def stored() -> int:
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(Telemetry)).one())

    # Poll the collector's own commit counter, not the database: a COUNT(*) every few milliseconds
    # would compete with the collector for the CPU and the database. The rows are counted after.
    deadline = time.monotonic() + 600
    while committed.value < total and time.monotonic() < deadline and proc.is_alive():
        time.sleep(0.005)
    if committed.value < total:
        print(f"ingest bench: the collector stored {committed.value} of {total} (alive: {proc.is_alive()})",
              file=sys.stderr)  # fmt: skip
    elapsed = time.monotonic() - start
    _join_publishers()
    time.sleep(1.0)  # anything still arriving would be a duplicate or a late message
    count = stored()
    with Session(engine) as session:
        distinct = int(session.exec(select(func.count(func.distinct(Telemetry.seq)))).one())
    peak = _peak_rss_kb(proc.pid or 0)
    stop.set()
    proc.join(30)
    if proc.is_alive():
        proc.kill()
    engine.dispose()
    return total / elapsed, peak, total - distinct, count - distinct


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


def one_round(args: argparse.Namespace) -> tuple[float, float, int, int, int]:
    """One broker, one fresh database: (bare msg/s, collector msg/s, peak RSS kB, lost, duplicates)."""
    workdir = Path(tempfile.mkdtemp(prefix="diagnose-bench-"))
    workdir.chmod(0o777)  # Mosquitto run as root drops to its own user and must write its persistence
    (workdir / "broker").mkdir()
    (workdir / "broker").chmod(0o777)
    broker = start_local_broker(workdir=workdir / "broker")
    db_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    try:
        _prepare(db_url)
        bare = bare_subscriber_rate(broker, args.messages, args.publishers)
        stored, peak_kb, lost, duplicates = collector_rate(
            broker, db_url, args.messages, args.publishers, args.batch_rows
        )
    finally:
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return bare, stored, peak_kb, lost, duplicates


def main() -> None:
    """Run both measurements `--rounds` times and print each round and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument(
        "--batch-rows", type=int, default=500, help="DIAGNOSE_BATCH_MAX_ROWS of the collector"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds, each with its own broker and database; the medians are reported (default 3)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty database (one round only); default: a SQLite file in a temp folder per round",
    )
    args = parser.parse_args()
    rounds = 1 if args.database_url else max(1, args.rounds)
    results = []
    for number in range(1, rounds + 1):
        bare, stored, peak_kb, lost, duplicates = one_round(args)
        results.append((bare, stored, peak_kb, lost, duplicates))
        print(
            f"round {number}: bare {bare:8.0f} msg/s, collector {stored:8.0f} msg/s, "
            f"ratio {stored / bare:5.2f}, peak RSS {peak_kb / 1024:6.1f} MiB, lost {lost}, duplicates {duplicates}"
        )
    bare = statistics.median(r[0] for r in results)
    stored = statistics.median(r[1] for r in results)
    ratio = statistics.median(r[1] / r[0] for r in results)
    backend = (args.database_url or "sqlite").split(":", 1)[0]
    print(
        f"messages                      {args.messages} from {args.publishers} publisher processes "
        f"({backend}), median of {rounds} round(s)"
    )
    print(f"bare paho subscriber          {bare:10.0f} msg/s")
    print(f"collector, stored end to end  {stored:10.0f} msg/s")
    print(f"ratio collector / bare        {ratio:10.2f}   (target ≥ 0.6)")
    print(f"collector peak RSS            {max(r[2] for r in results) / 1024:10.1f} MiB (highest round)")
    print(f"messages lost                 {sum(r[3] for r in results):10d} (all rounds)")
    print(f"duplicate rows                {sum(r[4] for r in results):10d} (all rounds)")


if __name__ == "__main__":
    main()
