"""Helpers for broker tests: polling, reliable publishing, a plant in the database, a stoppable TCP proxy."""

from __future__ import annotations

import contextlib
import json
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from paho.mqtt.client import MQTTMessageInfo
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from apps.processes.broker import LocalBroker, start_local_broker
from collectors.client import Publisher
from collectors.payloads import telemetry_topic
from diagnose.models import Telemetry
from tests import factories

WAIT_S = 15.0


def durable_broker() -> LocalBroker:
    """A Mosquitto whose persistence folder it can write even when started as root.

    Run as root, Mosquitto drops to the `mosquitto` user, which cannot write into pytest's 0700
    temp folders: persistence then fails ("Permission denied" in its log) and a restart loses
    sessions. So the folder is made world-writable (a test-only concession).
    """
    workdir = Path(tempfile.mkdtemp(prefix="diagnose-mq-"))
    workdir.chmod(0o777)
    return start_local_broker(workdir=workdir)


def wait_until(predicate: Callable[[], bool], timeout_s: float = WAIT_S, what: str = "condition") -> None:
    """Poll until predicate() is true or fail."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {timeout_s}s")
        time.sleep(0.05)


def stored_seqs(engine: Engine) -> list[int]:
    """Every stored telemetry seq, duplicates kept (there must be none)."""
    with Session(engine) as session:
        return [int(s) for s in session.exec(select(Telemetry.seq)).all()]


def telemetry_count(engine: Engine) -> int:
    """Rows in telemetry."""
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Telemetry)).one())


def make_plant(engine: Engine, devices: Sequence[str] = ("D01",)) -> str:
    """One enterprise with active devices; returns its USCC."""
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        for external_id in devices:
            factories.device(session, enterprise.id, external_id, ideal_cycle_s=30.0)
        session.commit()
        return enterprise.uscc


def messages(uscc: str, seqs: range, device: str = "D01") -> list[tuple[str, bytes]]:
    """Telemetry messages with the given seqs."""
    base = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    topic = telemetry_topic(uscc, device)
    return [
        (
            topic,
            json.dumps({"ts": (base + timedelta(seconds=s)).isoformat(), "seq": s, "state": "RUN"}).encode(),
        )
        for s in seqs
    ]


def publish_reliably(
    url: str, batch: Sequence[tuple[str, bytes]], *, client_id: str, pace_s: float = 0.0
) -> None:
    """At-least-once publishing: whatever the broker did not acknowledge is sent again after a reconnect."""
    publisher = Publisher(url=url, client_id=client_id).start()
    try:
        pending = list(batch)
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            infos = []
            for index, (topic, payload) in enumerate(pending):
                infos.append(((topic, payload), publisher.publish(topic, payload)))
                if pace_s and index % 50 == 49:
                    time.sleep(pace_s)
            pending = []
            for message, info in infos:
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(timeout=5)
                if not _published(info):
                    pending.append(message)
            if pending:
                publisher.connected.wait(10)
        assert not pending, f"{len(pending)} messages never acknowledged by the broker"
    finally:
        publisher.stop()


def _published(info: MQTTMessageInfo) -> bool:
    try:
        return info.is_published()
    except RuntimeError:  # sent while disconnected: not published
        return False


class TcpProxy:
    """A TCP forwarder that can be stopped (every connection cut) and started again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        """Listen and forward."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Refuse new connections and cut the live ones (the database 'goes away')."""
        with self._lock:
            if self._listener is not None:
                # shutdown() wakes the thread blocked in accept(); close() alone leaves it listening.
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def make_plants(engine: Engine, count: int, devices: Sequence[str] = ("D01",)) -> list[str]:
    """`count` enterprises (serials 1…count), each with these active devices; their USCCs."""
    with Session(engine) as session:
        factories.regions(session)
        usccs = []
        for serial in range(1, count + 1):
            enterprise = factories.enterprise(session, serial=serial, name=f"企业{serial}")
            for external_id in devices:
                factories.device(session, enterprise.id, external_id)
            usccs.append(enterprise.uscc)
        session.commit()
    return usccs
