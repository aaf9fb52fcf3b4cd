"""mqtts:// against a real Mosquitto TLS listener with a CA this test makes (and, optionally, client certs)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from apps.processes.broker import BrokerTls, LocalBroker, free_port, start_local_broker
from collectors.client import Publisher
from collectors.payloads import telemetry_topic
from collectors.service import Collector
from diagnose.services.shopfloor import broker_accounts
from diagnose.settings import Settings
from tests.collectors.brokerkit import make_plant, stored_seqs, wait_until

pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(
        not (shutil.which("mosquitto") and shutil.which("openssl")), reason="needs mosquitto and openssl"
    ),
    # paho drops the socket of a failed TLS handshake without closing it (inside its retry loop):
    # the refused connections below would otherwise fail on that ResourceWarning.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _pki(folder: Path) -> dict[str, Path]:
    """A CA, a broker certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    files = {
        name: folder / name
        for name in ("ca.key", "ca.crt", "server.key", "server.crt", "client.key", "client.crt")
    }
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=diagnose test CA",
             "-keyout", str(files["ca.key"]), "-out", str(files["ca.crt"]))  # fmt: skip
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for who, subject in (("server", "/CN=127.0.0.1"), ("client", "/CN=diagnose-collector-1")):
        csr = folder / f"{who}.csr"
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject,
                 "-keyout", str(files[f"{who}.key"]), "-out", str(csr))  # fmt: skip
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(files["ca.crt"]), "-CAkey", str(files["ca.key"]),
                 "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(files[f"{who}.crt"]))  # fmt: skip
    for key in ("server.key", "client.key"):
        files[key].chmod(0o644)  # mosquitto may run as another user when the tests run as root
    return files


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _pki(tmp_path_factory.mktemp("pki"))


def _broker(tmp_path: Path, pki: dict[str, Path], *, require_certificate: bool) -> LocalBroker:
    tls = BrokerTls(free_port(), pki["ca.crt"], pki["server.crt"], pki["server.key"], require_certificate)
    return start_local_broker(workdir=tmp_path / "broker", tls=tls)


def _tls_url(broker: LocalBroker, query: str) -> str:
    assert broker.tls is not None and broker.login is not None
    user, password = broker.login
    return f"mqtts://{user}:{password}@127.0.0.1:{broker.tls.port}?{query}"


def test_publisher_speaks_mqtts_with_the_ca(tmp_path: Path, pki: dict[str, Path]) -> None:
    broker = _broker(tmp_path, pki, require_certificate=False)
    got: list[str] = []
    arrived = threading.Event()
    listener = Publisher(url=broker.url, client_id="plain-listener").start(timeout_s=5)
    try:
        assert listener.subscribe(
            "plant/#", lambda topic, _p: (got.append(topic), arrived.set()), qos=1
        )  # SUBACK
        secure = Publisher(url=_tls_url(broker, f"cafile={pki['ca.crt']}"), client_id="tls-pub").start(
            timeout_s=5
        )
        secure.publish("plant/x/D01/telemetry", b"{}").wait_for_publish(5)
        assert arrived.wait(5) and got == ["plant/x/D01/telemetry"]
        secure.stop()
        # Without our CA the broker's certificate is not trusted: no connection.
        with pytest.raises(TimeoutError):
            Publisher(url=_tls_url(broker, "").rstrip("?"), client_id="tls-untrusting").start(timeout_s=2)
    finally:
        listener.stop()
        broker.stop()


def test_collector_over_mqtts_with_a_client_certificate(
    tmp_path: Path, pki: dict[str, Path], engine: Engine, db_settings: Settings
) -> None:
    broker = _broker(tmp_path, pki, require_certificate=True)
    uscc = make_plant(engine)
    with_cert = f"cafile={pki['ca.crt']}&certfile={pki['client.crt']}&keyfile={pki['client.key']}"
    settings = db_settings.model_copy(
        update={"mqtt_url": _tls_url(broker, with_cert), "sparkplug_groups": ""}
    )
    collector = Collector(settings, engine).start()
    try:
        wait_until(collector.client.connected.is_set, what="collector connected over TLS")
        # No client certificate: refused at the TLS handshake when the listener requires one.
        with pytest.raises(TimeoutError):
            Publisher(url=_tls_url(broker, f"cafile={pki['ca.crt']}"), client_id="no-cert").start(timeout_s=2)
        device = Publisher(url=_tls_url(broker, with_cert), client_id="tls-device").start(timeout_s=5)
        infos = [
            device.publish(
                telemetry_topic(uscc, "D01"), f'{{"ts": {1_796_000_000_000 + i}, "seq": {i}}}'.encode()
            )
            for i in range(1, 6)
        ]
        device.wait_all_published(infos, timeout_s=10)
        wait_until(lambda: stored_seqs(engine) == [1, 2, 3, 4, 5], what="stored over TLS")
        device.stop()
    finally:
        collector.stop()
        broker.stop()


def test_the_shipped_config_has_a_tls_listener() -> None:
    from apps.processes.broker import DEPLOY_CONFIG

    text = DEPLOY_CONFIG.read_text()
    assert "listener 8883" in text and "cafile " in text and "allow_anonymous false" in text
    assert broker_accounts.DEVICE_ID_RE.pattern  # the same module provisions the accounts
