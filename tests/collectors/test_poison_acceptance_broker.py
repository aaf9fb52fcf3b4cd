"""Issue #20's acceptance, on real parts: two `diagnose collect` processes split by `diagnose collectors assign`,
closed Mosquitto accounts, and one enterprise's device sending the 18-byte surrogate birth and others of its kind
(NUL in a name, a huge number, deep nesting, invalid UTF-8, an over-long payload), retained and not. The other
enterprise's readings keep being stored, and so do the sender's own good ones; each poison is dead-lettered
once, with its reason, also across a SIGKILL and restart of the collector that holds it."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.cli import main
from apps.processes.broker import LocalBroker, start_local_broker
from collectors.client import Publisher
from collectors.payloads import birth_topic, status_topic, telemetry_topic
from diagnose.models import DeadLetter, Device, Enterprise, Telemetry
from diagnose.services.shopfloor import broker_accounts
from diagnose.settings import Settings
from tests.collectors.brokerkit import make_plants, messages, wait_until
from tests.collectors.processkit import PROCESS_START_S, CollectProcess

pytestmark = [pytest.mark.broker, pytest.mark.slow]
T = 1_796_000_000_000  # epoch ms, 2026-11-30
HUGE = b'{"ts": %d, "seq": 900001, "power_kw": 1%s}' % (T, b"0" * 400)
DEEP = b'{"ts": %d, "seq": 900002, "x": %s%s}' % (T, b"[" * 5_000, b"]" * 5_000)
LONG = b'{"ts": %d, "seq": 900003, "pad": "%s"}' % (T, b"x" * 200_000)
# (topic kind, payload, retained, what the dead letter's reason says)
POISON = [
    ("birth", b'{"kind": "\\ud800"}', True, "U+D800 (a lone surrogate) is not allowed in names"),
    ("status", b'{"online": true, "ts": "2026-11-24T08:00:00\\u0000Z"}', True, "ts: not RFC 3339"),
    ("telemetry", HUGE, True, "power_kw: must be a finite number, got an integer of 401 digits"),
    ("birth", b'{"kind": "CNC\\u0000"}', False, "U+0000 (NUL) is not allowed in names"),
    ("birth", b'{"kind": "\xed\xa0\x80"}', False, "bad JSON: 'utf-8' codec can't decode"),
    ("telemetry", DEEP, False, "bad JSON: more than 256 arrays and objects"),
    ("telemetry", LONG, False, "payload too large: 200047 bytes > 65536"),
]
TOPICS = {"birth": birth_topic, "status": status_topic, "telemetry": telemetry_topic}


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Started as root, Mosquitto drops to `mosquitto`, which must be able to write its persistence here.
    folder = Path(tempfile.mkdtemp(prefix="diagnose-poison-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _seqs(engine: Engine, uscc: str) -> list[int]:
    with Session(engine) as session:
        rows = session.exec(
            select(Telemetry.seq).join(Device).join(Enterprise).where(Enterprise.uscc == uscc)
        ).all()
    return sorted(int(seq) for seq in rows)


def _letters(engine: Engine) -> list[DeadLetter]:
    with Session(engine) as session:
        return list(session.exec(select(DeadLetter)).all())


def test_one_devices_poison_stops_nobody(
    engine: Engine, db_settings: Settings, db_url: str, workdir: Path
) -> None:
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    e1, e2 = make_plants(engine, 2)
    run = uuid.uuid4().hex[:6]
    devices = {uscc: (broker_accounts.device_username(uscc, "D01"), f"pw-{uscc}") for uscc in (e1, e2)}
    collectors = {name: (f"{name}-{run}", f"secret-{name}") for name in ("a", "b")}
    accounts = [
        broker_accounts.device_account(uscc, "D01", broker_accounts.mosquitto_hash(password))
        for uscc, (_user, password) in devices.items()
    ]
    for client_id, password in collectors.values():
        accounts += broker_accounts.collector_accounts(
            username=client_id, password=password, client_id=client_id
        )
    broker: LocalBroker = start_local_broker(workdir=workdir / "broker", accounts=accounts)
    publishers: list[Publisher] = []
    processes: list[CollectProcess] = []

    def device(uscc: str) -> Publisher:
        username, password = devices[uscc]
        publisher = Publisher(url=broker.url_for(username, password), client_id=username).start()
        publishers.append(publisher)
        return publisher

    def collector(name: str) -> CollectProcess:
        client_id, password = collectors[name]
        process = CollectProcess(
            db_url=db_url, mqtt_url=broker.url_for(client_id, password), client_id=client_id, folder=workdir
        ).start()
        processes.append(process)
        return process

    try:
        # `diagnose collectors assign`: a takes e1 (the sender's enterprise), b takes e2.
        for name, uscc in (("a", e1), ("b", e2)):
            result = CliRunner().invoke(
                main, ["collectors", "assign", collectors[name][0], uscc], obj=db_settings
            )
            assert result.exit_code == 0, result.output
        sender, other = device(e1), device(e2)
        # Retained poison is there before any collector subscribes: each one's first session gets it.
        sent = [
            sender.publish(TOPICS[kind](e1, "D01"), payload, retain=True)
            for kind, payload, retained, _ in POISON
            if retained
        ]
        sender.wait_all_published(sent, timeout_s=10)
        a, b = collector("a"), collector("b")
        a.wait_holding(engine, e1)
        b.wait_holding(engine, e2)

        def stream(publisher: Publisher, items: list[tuple[str, bytes]], pace_s: float = 0.01) -> None:
            infos = []
            for topic, payload in items:
                infos.append(publisher.publish(topic, payload))
                threading.Event().wait(pace_s)
            publisher.wait_all_published(infos, timeout_s=30)

        others = threading.Thread(target=stream, args=(other, messages(e2, range(1, 81))))
        others.start()
        live = [(TOPICS[kind](e1, "D01"), payload) for kind, payload, retained, _ in POISON if not retained]
        # The sender's own good readings between its poison: they are stored too.
        mixed = [m for pair in zip(messages(e1, range(1, 5)), live, strict=True) for m in pair]
        stream(sender, [*mixed, *messages(e1, range(5, 21))])
        others.join(60)
        wait_until(lambda: _seqs(engine, e2) == list(range(1, 81)), timeout_s=30, what="e2's first 80")
        wait_until(lambda: _seqs(engine, e1) == list(range(1, 21)), timeout_s=30, what="e1's good readings")
        wait_until(
            lambda: len(_letters(engine)) >= len(POISON), timeout_s=30, what="every poison dead-lettered"
        )

        # The collector holding the poison dies without a goodbye and comes back on the same session: the
        # retained poison is not handed over again, what e1 sent meanwhile is stored; e2 never waits.
        a.stop(kill=True)
        others = threading.Thread(target=stream, args=(other, messages(e2, range(81, 161))))
        others.start()
        stream(sender, messages(e1, range(21, 41)))
        others.join(60)
        wait_until(lambda: _seqs(engine, e2) == list(range(1, 161)), timeout_s=30, what="e2 while a was down")
        a = collector("a")
        wait_until(
            lambda: _seqs(engine, e1) == list(range(1, 41)),
            timeout_s=PROCESS_START_S,
            what=f"e1's readings after the restart (see {a.log})",
        )
        b_log = b.log
        assert b.alive(), f"the other enterprise's collector stopped; see {b_log}"

        letters = _letters(engine)
        by_payload = Counter(letter.payload_sha256 for letter in letters)
        for kind, payload, retained, reason in POISON:
            digest = hashlib.sha256(payload).hexdigest()
            assert by_payload[digest] == 1, (
                f"{kind} (retained: {retained}) dead-lettered {by_payload[digest]} times"
            )
            [letter] = [letter for letter in letters if letter.payload_sha256 == digest]
            assert letter.topic == TOPICS[kind](e1, "D01") and reason in letter.reason, letter.reason
            assert letter.payload_size == len(payload) and len(letter.payload) == min(len(payload), 8_192)
        assert len(letters) == len(POISON)
        assert datetime.now(UTC) - max(x.received_at for x in letters) < timedelta(minutes=5)
    finally:
        for process in processes:
            process.stop()
        for publisher in publishers:
            publisher.stop()
        broker.stop(kill=True)
